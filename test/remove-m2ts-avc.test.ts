import crypto from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mediaContent } from "./helpers/make-media.js";
import { findMarker } from "./helpers/marker-scan.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { type RunningServer, startServer } from "./helpers/server.js";
import { exiftool, run } from "./helpers/tools.js";

let server: RunningServer;
let dir: string;
const MARKER = `Avchdmark${crypto.randomBytes(6).toString("hex")}`;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-m2ts-avc-"));
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

describe("POST /api/v1/remove on an AVCHD-style M2TS (H.264 and AC-3)", () => {
  // What camcorders and cameras write (a Sony A7 III's .mts in metadata-extractor's samples): the
  // copy's H.264 size and ffmpeg's AC-3 descriptor were taken for metadata left behind.
  it("strips the tags and keeps the H.264 and AC-3 streams decoding the same", async () => {
    const file = path.join(dir, "clip.m2ts");
    await run("ffmpeg", [
      "-nostdin", "-loglevel", "error", "-y",
      "-f", "lavfi", "-i", "testsrc=size=320x240:rate=25:duration=2", "-f", "lavfi", "-i", "sine=frequency=440:duration=2",
      "-c:v", "libx264", "-c:a", "ac3", "-metadata", `service_provider=${MARKER}`, "-metadata", `service_name=${MARKER}`,
      "-mpegts_m2ts_mode", "1", "-f", "mpegts", file,
    ]);
    expect(await findMarker(file, MARKER)).not.toEqual([]);
    expect((await exiftool(["-s3", "-ee", "-H264:ImageWidth", file])).trim()).toBe("320");
    const before = await mediaContent(file);

    const { status, body, cleaned } = await removeViaApi(server, file, "clip.mts");
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body["remaining"]).toEqual({});
    const out = path.join(dir, `cleaned-${crypto.randomUUID()}.m2ts`);
    await fs.writeFile(out, cleaned!);
    expect(await findMarker(out, MARKER)).toEqual([]);
    expect(await mediaContent(out)).toEqual(before);
  });
});
