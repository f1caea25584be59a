import crypto from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { streamHash } from "./helpers/make-media.js";
import { findMarker } from "./helpers/marker-scan.js";
import { withUnitTails } from "./helpers/plant-nal.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { type RunningServer, startServer } from "./helpers/server.js";
import { ffmpegQuiet, run } from "./helpers/tools.js";

/*
 * A parameter set ends with its RBSP stop bit: decoders read no further, but a writer may append
 * bytes to the unit, and every stream copy keeps them, in the codec configuration record (avcC,
 * hvcC, Matroska's CodecPrivate, FLV's sequence header) and wherever the samples repeat the
 * parameter sets (x264's and x265's repeat-headers, cameras, broadcasts). Planted after every
 * H.264 SPS and PPS (the PPS with and without the High profiles' last fields) and every HEVC VPS,
 * SPS and PPS, they must not reach the copy, whether the file is rewritten box by box (MP4) or
 * remuxed (MKV, FLV, MPEG-TS, AVI), and the decoded pictures must be the same.
 */

let server: RunningServer;
let dir: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-parameter-set-tails-"));
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

type Codec = "h264" | "hevc";
/** x264's High profile writes the PPS's 8x8 transform field; its Main profile does not, and says so with constraint_set1. */
type Encoding = "h264 high" | "h264 main" | "hevc";

const ENCODERS: Record<Encoding, string[]> = {
  "h264 high": ["-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p", "-g", "3", "-x264-params", "repeat-headers=1"],
  "h264 main": ["-c:v", "libx264", "-preset", "veryfast", "-profile:v", "main", "-pix_fmt", "yuv420p", "-g", "3", "-x264-params", "repeat-headers=1"],
  hevc: ["-c:v", "libx265", "-x265-params", "log-level=error:repeat-headers=1:keyint=3:min-keyint=3"],
};
/** NAL unit types of the parameter sets: H.264 SPS and PPS, HEVC VPS, SPS and PPS. */
const PARAMETER_SETS: Record<Codec, number[]> = { h264: [7, 8], hevc: [32, 33, 34] };

/** A raw stream of 10 pictures whose parameter sets come again before every third. */
async function rawStream(encoding: Encoding, name: string): Promise<string> {
  const file = path.join(dir, `${name}.${encoding.split(" ")[0]}`);
  await run("ffmpeg", [...ffmpegQuiet, "-f", "lavfi", "-i", "testsrc=size=64x48:rate=10:duration=1", ...ENCODERS[encoding], "-f", encoding.split(" ")[0]!, file]);
  return file;
}

/**
 * The raw stream copied into an MP4 (whose muxer takes the configuration record from the
 * stream's parameter sets, which stay in the samples too), then into `file`'s container if it is
 * another (a raw stream has no timestamps for the others' muxers).
 */
async function muxed(raw: string, codec: Codec, file: string): Promise<string> {
  const mp4 = file.replace(/\.[a-z0-9]+$/, ".mp4");
  await run("ffmpeg", [...ffmpegQuiet, "-r", "10", "-f", codec, "-i", raw, "-c", "copy", mp4]);
  if (mp4 !== file) await run("ffmpeg", [...ffmpegQuiet, "-i", mp4, "-c", "copy", file]);
  return file;
}

const cases: Array<{ encoding: Encoding; container: string }> = [
  { encoding: "h264 high", container: "mp4" },
  { encoding: "h264 high", container: "mkv" },
  { encoding: "h264 high", container: "flv" },
  { encoding: "h264 high", container: "ts" },
  { encoding: "h264 high", container: "avi" },
  { encoding: "h264 main", container: "mp4" },
  { encoding: "h264 main", container: "mkv" },
  { encoding: "hevc", container: "mp4" },
  { encoding: "hevc", container: "mkv" },
  { encoding: "hevc", container: "ts" },
];

describe("bytes after the stop bit of parameter sets repeated in the samples", () => {
  it.each(cases)("$encoding in $container: they reach neither the configuration record nor the samples of the copy, decoded frames identical", async ({ encoding, container }) => {
    const codec = encoding.split(" ")[0] as Codec;
    const name = `${encoding.replace(" ", "-")}-${container}`;
    const marker = `Pstail${crypto.randomBytes(6).toString("hex")}`;
    const raw = await rawStream(encoding, name);
    const plain = await streamHash(await muxed(raw, codec, path.join(dir, `plain-${name}.${container}`)), "0:V", true);
    const planted = withUnitTails(await fs.readFile(raw), codec, PARAMETER_SETS[codec], Buffer.from(` ${marker}`, "latin1"));
    expect(planted.count).toBeGreaterThanOrEqual(4 * PARAMETER_SETS[codec].length);
    await fs.writeFile(raw, planted.stream);
    const file = await muxed(raw, codec, path.join(dir, `${name}.${container}`));
    expect((await findMarker(file, marker)).length).toBeGreaterThan(0);
    expect(await streamHash(file, "0:V", true)).toBe(plain);

    const { status, body, cleaned } = await removeViaApi(server, file);
    expect(status, JSON.stringify(body)).toBe(200);
    const out = path.join(dir, `cleaned-${name}.${container}`);
    await fs.writeFile(out, cleaned!);
    expect(await findMarker(out, marker)).toEqual([]);
    expect(await streamHash(out, "0:V", true)).toBe(plain);
  }, 90_000);
});
