import crypto from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { streamHash } from "./helpers/make-media.js";
import { makeMpeg4Video, type Mpeg4Container } from "./helpers/make-mpeg4.js";
import { findMarker } from "./helpers/marker-scan.js";
import { badMatroskaCrcs } from "./helpers/matroska-crc.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { type RunningServer, startServer } from "./helpers/server.js";

let server: RunningServer;
let dir: string;
const MARKER = `Udmark${crypto.randomBytes(6).toString("hex")}`;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-remove-mpeg4-"));
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

async function cleanedCopy(file: string, name: string): Promise<{ out: string; removed: Record<string, number> }> {
  const { status, body, cleaned } = await removeViaApi(server, file);
  expect(status, JSON.stringify(body)).toBe(200);
  expect(body["remaining"]).toEqual({});
  const out = path.join(dir, name);
  await fs.writeFile(out, cleaned!);
  return { out, removed: body["removed"] as Record<string, number> };
}

describe("MPEG-4 Part 2 user data", () => {
  it.each(["mp4", "mov", "mkv", "avi"] as const)(
    "ffmpeg's mpeg4 in %s: the Lavc string and a planted unit go, decoded frames identical",
    async (container: Mpeg4Container) => {
      const file = await makeMpeg4Video(dir, container, "mpeg4", MARKER);
      expect(await findMarker(file, MARKER)).not.toEqual([]);
      expect((await fs.readFile(file)).includes("\0\0\x01\xb2Lavc", 0, "latin1")).toBe(true);

      const { out, removed } = await cleanedCopy(file, `cleaned-mpeg4.${container}`);
      expect(removed["mpeg4UserData"]).toBeGreaterThanOrEqual(2);
      expect(await findMarker(out, MARKER)).toEqual([]);
      expect((await fs.readFile(out)).includes("Lavc")).toBe(false);
      expect(await streamHash(out, "0:V", true)).toBe(await streamHash(file, "0:V", true));
      expect(await streamHash(out, "0:a")).toBe(await streamHash(file, "0:a"));
      if (container === "mkv") expect(await badMatroskaCrcs(out)).toEqual([]);
    },
    60_000,
  );

  it.each(["mp4", "avi"] as const)(
    "Xvid in %s: the planted unit goes, the XviD build decoders choose their IDCT by stays, decoded frames identical",
    async (container: Mpeg4Container) => {
      const file = await makeMpeg4Video(dir, container, "libxvid", MARKER);
      const { out, removed } = await cleanedCopy(file, `cleaned-xvid.${container}`);
      expect(removed["mpeg4UserData"]).toBeGreaterThanOrEqual(2);
      expect(await findMarker(out, MARKER)).toEqual([]);
      const bytes = await fs.readFile(out);
      expect(bytes.includes("\0\0\x01\xb2XviD", 0, "latin1")).toBe(true);
      expect(await streamHash(out, "0:V", true)).toBe(await streamHash(file, "0:V", true));
    },
    60_000,
  );
});
