import crypto from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { streamHash } from "./helpers/make-media.js";
import { makeSeiStream, type SeiCodec } from "./helpers/make-sei.js";
import { findMarker } from "./helpers/marker-scan.js";
import { withUnreadUnits } from "./helpers/plant-nal.js";
import { cleanedCopyViaApi } from "./helpers/remove-api.js";
import { type RunningServer, startServer } from "./helpers/server.js";
import { ffmpegQuiet, run } from "./helpers/tools.js";

/*
 * Decoders must ignore H.264 and HEVC units of the types the standards reserve, and filler data's
 * bytes are meant to be all ones: a writer can leave anything in either, and a remux copies them
 * with the pictures. MP4 and MOV samples (walked in place) and Matroska, MPEG-TS, AVI and FLV
 * streams (patched where ffmpeg's scan finds the units) kept them. A constant-bitrate stream has
 * megabytes of true filler a second, which the scan passes over. A unit whose forbidden bit is
 * set is dropped by decoders as invalid, whatever its type.
 */

let server: RunningServer;
let dir: string;
const MARKER = `Unread${crypto.randomBytes(5).toString("hex")}`;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-unread-nal-"));
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

const cases: Array<[SeiCodec, string]> = [
  ["h264", "mp4"],
  ["h264", "mkv"],
  ["h264", "ts"],
  ["hevc", "mp4"],
  ["hevc", "mkv"],
  ["hevc", "ts"],
  ["h264", "avi"],
  ["h264", "flv"],
];

describe("units no decoder reads in H.264 and HEVC video", () => {
  it.each(cases)("%s in %s: units of a reserved and an unspecified type, a filler unit and a unit with its forbidden bit set holding text become filler; the frames are the same", async (codec, container) => {
    const { stream } = withUnreadUnits(await fs.readFile(await makeSeiStream(dir, codec, MARKER, container)), codec, MARKER);
    const bare = path.join(dir, `planted-${container}.${codec}`);
    await fs.writeFile(bare, stream);
    const file = path.join(dir, `planted-${codec}.${container}`);
    await run("ffmpeg", [...ffmpegQuiet, "-r", "10", "-f", codec, "-i", bare, "-c", "copy", ...(container === "mp4" && codec === "hevc" ? ["-tag:v", "hvc1"] : []), file]);
    expect(await findMarker(file, MARKER)).not.toEqual([]);
    const { out, removed } = await cleanedCopyViaApi(server, file, dir);
    expect(await findMarker(out, MARKER)).toEqual([]);
    expect(removed["unreadUnits"]).toBe(4);
    expect(await streamHash(out, "0:V", true)).toBe(await streamHash(file, "0:V", true));
  }, 60_000);

  it("a constant-bitrate MPEG-TS whose filler units come to 36 MB is cleaned, its frames the same (it was refused as too complex while the scan held filler)", async () => {
    const file = path.join(dir, "cbr.ts");
    const cbr = ["-b:v", "15M", "-minrate", "15M", "-maxrate", "15M", "-bufsize", "2M", "-x264-params", "nal-hrd=cbr"];
    await run("ffmpeg", [...ffmpegQuiet, "-f", "lavfi", "-i", "testsrc=size=160x120:rate=25:duration=20", "-c:v", "libx264", "-preset", "ultrafast", ...cbr, "-f", "mpegts", file]);
    const filler = await run("ffmpeg", [...ffmpegQuiet, "-i", file, "-c", "copy", "-bsf:v", "filter_units=pass_types=12", "-f", "h264", "-"]);
    expect(filler.stdout.length).toBeGreaterThan(32 * 1024 * 1024);
    const { out } = await cleanedCopyViaApi(server, file, dir);
    expect(await streamHash(out, "0:V", true)).toBe(await streamHash(file, "0:V", true));
  }, 120_000);
});
