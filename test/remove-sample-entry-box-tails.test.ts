import crypto from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { streamHash } from "./helpers/make-media.js";
import { findMarker } from "./helpers/marker-scan.js";
import { box } from "./helpers/make-images.js";
import { appendInside } from "./helpers/plant-boxes.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { type RunningServer, startServer } from "./helpers/server.js";
import { ffmpegQuiet, run } from "./helpers/tools.js";

/*
 * The boxes a video sample entry holds beside its codec configuration (pixel aspect ratio `pasp`,
 * bit rates `btrt`, colour by numbers `colr`, field order `fiel`, clean aperture `clap`) are a few
 * numbers each, which readers take from the front of the box: bytes a writer puts after them are
 * read by no one and were copied into the clean MP4/MOV with the box.
 */

let server: RunningServer;
let dir: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-entry-tails-"));
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

const u32s = (...n: number[]): Buffer => Buffer.concat(n.map((v) => Buffer.from([v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff])));

/** Each box's fields as ffmpeg's MP4/MOV demuxer reads them. */
const FIELDS: Record<string, Buffer> = {
  pasp: u32s(1, 1),
  btrt: u32s(0, 40_000, 30_000),
  colr: Buffer.concat([Buffer.from("nclx", "latin1"), Buffer.from([0, 1, 0, 1, 0, 1, 0])]),
  fiel: Buffer.from([1, 0]),
  clap: u32s(64, 1, 48, 1, 0, 1, 0, 1),
};

describe("bytes past the fields of a video sample entry's display boxes", () => {
  it.each(Object.keys(FIELDS).flatMap((type) => [{ type, container: "mp4" }, ...(type === "fiel" ? [{ type, container: "mov" }] : [])]))(
    "$type in $container: they do not reach the copy, decoded frames identical",
    async ({ type, container }) => {
      const marker = `Boxtail${crypto.randomBytes(6).toString("hex")}`;
      const file = path.join(dir, `${type}.${container}`);
      await run("ffmpeg", [...ffmpegQuiet, "-f", "lavfi", "-i", "testsrc=size=64x48:rate=10:duration=1", "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p", file]);
      await appendInside(file, ["moov", "trak", "mdia", "minf", "stbl", "stsd", "entry"], box(type, Buffer.concat([FIELDS[type]!, Buffer.from(` ${marker}`, "latin1")])));
      expect(await findMarker(file, marker)).not.toEqual([]);

      const { status, body, cleaned } = await removeViaApi(server, file);
      expect(status, JSON.stringify(body)).toBe(200);
      expect(body["remaining"]).toEqual({});
      const out = path.join(dir, `cleaned-${type}.${container}`);
      await fs.writeFile(out, cleaned!);
      expect(await findMarker(out, marker)).toEqual([]);
      expect(await streamHash(out, "0:V", true)).toBe(await streamHash(file, "0:V", true));
    },
    60_000,
  );
});
