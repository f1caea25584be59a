import crypto from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { streamHash } from "./helpers/make-media.js";
import { findMarker } from "./helpers/marker-scan.js";
import { identificationSeiNal } from "./helpers/make-sei.js";
import { appendInside, replacePayload } from "./helpers/plant-boxes.js";
import { withUnitTails } from "./helpers/plant-nal.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { type RunningServer, startServer } from "./helpers/server.js";
import { ffmpegQuiet, run } from "./helpers/tools.js";

/*
 * An H.264, HEVC or AV1 codec configuration record (`avcC`, `hvcC`, `av1C`) ends where its fields
 * do (for AV1: its sequence header), but a writer may go on: ffmpeg's parsers stop after the
 * parameter sets (and the High profiles' extension) or the sequence header, and its muxers copy
 * the record whole into MP4, MOV, Matroska's CodecPrivate and FLV's sequence header. Bytes planted past the fields must not reach the copy, whatever path
 * cleans it (the MP4/MOV box rewrite, or the remux of MKV and FLV, or of an MP4 with a box the
 * rewrite does not know).
 */

let server: RunningServer;
let dir: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-config-trailing-"));
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

type Codec = "h264" | "hevc" | "av1";
const ENCODERS: Record<Codec, string[]> = {
  // yuv420p: High profile (100), whose avcC goes on after the PPS with the chroma format and bit depths.
  h264: ["-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p"],
  hevc: ["-c:v", "libx265", "-x265-params", "log-level=error", "-tag:v", "hvc1"],
  av1: ["-c:v", "libaom-av1", "-cpu-used", "8"],
};
const CONFIG: Record<Codec, string> = { h264: "avcC", hevc: "hvcC", av1: "av1C" };

/** An MP4 of 10 pictures and a sound track, with `trailing` appended inside its video's codec configuration box. */
async function mp4WithTrailing(codec: Codec, trailing: Buffer, name: string): Promise<string> {
  const file = path.join(dir, `${name}.mp4`);
  await run("ffmpeg", [
    ...ffmpegQuiet, "-f", "lavfi", "-i", "testsrc=size=64x48:rate=10:duration=1", "-f", "lavfi", "-i", "sine=frequency=440:duration=1",
    ...ENCODERS[codec], "-c:a", "aac", file,
  ]);
  await appendInside(file, ["moov", "trak", "mdia", "minf", "stbl", "stsd", "entry", CONFIG[codec]], trailing);
  return file;
}

/** The same streams copied by ffmpeg into another container (its muxers copy the configuration record as they read it). */
async function copiedInto(file: string, extension: string): Promise<string> {
  const out = file.replace(/\.mp4$/, `.${extension}`);
  await run("ffmpeg", [...ffmpegQuiet, "-i", file, "-map", "0", "-c", "copy", out]);
  return out;
}

const cases: Array<{ codec: Codec; container: string }> = [
  { codec: "h264", container: "mp4" },
  { codec: "hevc", container: "mp4" },
  { codec: "h264", container: "mov" },
  { codec: "h264", container: "mkv" },
  { codec: "hevc", container: "mkv" },
  { codec: "h264", container: "flv" },
  { codec: "av1", container: "mp4" },
  { codec: "av1", container: "mkv" },
];

describe("bytes past the fields of an avcC/hvcC/av1C", () => {
  it.each(cases)("$codec in $container: they do not reach the copy, decoded frames identical", async ({ codec, container }) => {
    const marker = `Cfgtrail${crypto.randomBytes(6).toString("hex")}`;
    const mp4 = await mp4WithTrailing(codec, Buffer.from(` ${marker} `, "latin1"), `trailing-${codec}-${container}`);
    const file = container === "mp4" ? mp4 : await copiedInto(mp4, container);
    if (codec === "h264") {
      const { stdout } = await run("ffprobe", ["-v", "error", "-select_streams", "V:0", "-show_entries", "stream=profile", "-of", "csv=p=0", file]);
      expect(stdout.toString("utf8").trim()).toBe("High");
    }
    expect(await findMarker(file, marker)).not.toEqual([]);

    const { status, body, cleaned } = await removeViaApi(server, file);
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body["remaining"]).toEqual({});
    const out = path.join(dir, `cleaned-${path.basename(file)}`);
    await fs.writeFile(out, cleaned!);
    expect(await findMarker(out, marker)).toEqual([]);
    expect(await streamHash(out, "0:V", true)).toBe(await streamHash(file, "0:V", true));
    expect(await streamHash(out, "0:a", true)).toBe(await streamHash(file, "0:a", true));
  }, 60_000);

  // A box the rewrite does not know sends the MP4 to ffmpeg's remux, which copies the avcC whole.
  it("h264 in an MP4 that is remuxed: they do not reach the copy either", async () => {
    const marker = `Cfgtrail${crypto.randomBytes(6).toString("hex")}`;
    const file = await mp4WithTrailing("h264", Buffer.from(marker, "latin1"), "trailing-remuxed");
    await appendInside(file, ["moov"], Buffer.concat([Buffer.from([0, 0, 0, 12]), Buffer.from("zzzz\0\0\0\0", "latin1")]));

    const { status, body, cleaned } = await removeViaApi(server, file);
    expect(status, JSON.stringify(body)).toBe(200);
    const out = path.join(dir, "cleaned-trailing-remuxed.mp4");
    await fs.writeFile(out, cleaned!);
    expect(await findMarker(out, marker)).toEqual([]);
    expect(await streamHash(out, "0:V", true)).toBe(await streamHash(file, "0:V", true));
  }, 60_000);

  // The SPS syntax ends with its VUI: decoders stop at its stop bit, and every stream copy keeps
  // what a writer appended to the unit (the avcC's own fields around it stay as they were).
  it.each(["mp4", "mkv", "flv"])("h264 in %s whose SPS holds bytes after its stop bit: they do not reach the copy, decoded frames identical", async (container) => {
    const marker = `Spstail${crypto.randomBytes(6).toString("hex")}`;
    const mp4 = await mp4WithTrailing("h264", Buffer.alloc(0), `sps-tail-${container}`);
    const plain = await streamHash(mp4, "0:V", true);
    await replacePayload(mp4, ["moov", "trak", "mdia", "minf", "stbl", "stsd", "entry", "avcC"], (avcc) => withSpsTail(avcc, Buffer.from(` ${marker}`, "latin1")));
    const file = container === "mp4" ? mp4 : await copiedInto(mp4, container);
    expect(await findMarker(file, marker)).not.toEqual([]);
    expect(await streamHash(file, "0:V", true)).toBe(plain);

    const { status, body, cleaned } = await removeViaApi(server, file);
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body["remaining"]).toEqual({});
    const out = path.join(dir, `cleaned-sps-tail.${container}`);
    await fs.writeFile(out, cleaned!);
    expect(await findMarker(out, marker)).toEqual([]);
    expect(await streamHash(out, "0:V", true)).toBe(plain);
  }, 60_000);

  // Streams that repeat their parameter sets (avc3, cameras) carry the SPS in the samples too,
  // where the box rewrite finds it through the sample tables.
  it("h264 in an MP4 whose samples repeat an SPS holding bytes after its stop bit: they do not reach the copy, decoded frames identical", async () => {
    const marker = `Spsband${crypto.randomBytes(6).toString("hex")}`;
    const raw = path.join(dir, "sps-in-band.h264");
    await run("ffmpeg", [
      ...ffmpegQuiet, "-f", "lavfi", "-i", "testsrc=size=64x48:rate=10:duration=1", ...ENCODERS.h264, "-g", "3", "-x264-params", "repeat-headers=1", "-f", "h264", raw,
    ]);
    const muxed = async (name: string): Promise<string> => {
      const file = path.join(dir, name);
      await run("ffmpeg", [...ffmpegQuiet, "-r", "10", "-f", "h264", "-i", raw, "-c", "copy", file]);
      return file;
    };
    const plain = await streamHash(await muxed("sps-plain.mp4"), "0:V", true);
    const planted = withUnitTails(await fs.readFile(raw), "h264", [7], Buffer.from(` ${marker}`, "latin1"));
    expect(planted.count).toBeGreaterThanOrEqual(4);
    await fs.writeFile(raw, planted.stream);
    const file = await muxed("sps-in-band.mp4");
    expect((await findMarker(file, marker)).length).toBeGreaterThan(0);
    expect(await streamHash(file, "0:V", true)).toBe(plain);

    const { status, body, cleaned } = await removeViaApi(server, file);
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body["remaining"]).toEqual({});
    const out = path.join(dir, "cleaned-sps-in-band.mp4");
    await fs.writeFile(out, cleaned!);
    expect(await findMarker(out, marker)).toEqual([]);
    expect(await streamHash(out, "0:V", true)).toBe(plain);
  }, 60_000);

  // A track may have several sample descriptions (a stream whose parameter sets change); each
  // has its own avcC, which the copy keeps, so each is cleaned, not only the first.
  it.each(["bytes past its fields", "an SEI unit among its parameter sets"] as const)(
    "h264 in an MP4 whose second sample description's avcC holds %s: they do not reach the copy",
    async (what) => {
      const marker = `Cfgsecond${crypto.randomBytes(6).toString("hex")}`;
      const file = await mp4WithTrailing("h264", Buffer.alloc(0), `second-description-${what.length}`);
      await replacePayload(file, ["moov", "trak", "mdia", "minf", "stbl", "stsd"], (stsd) => withSecondDescription(stsd, marker, what));
      expect(await findMarker(file, marker)).not.toEqual([]);

      const { status, body, cleaned } = await removeViaApi(server, file);
      expect(status, JSON.stringify(body)).toBe(200);
      expect(body["remaining"]).toEqual({});
      const out = path.join(dir, `cleaned-second-description-${what.length}.mp4`);
      await fs.writeFile(out, cleaned!);
      expect(await findMarker(out, marker)).toEqual([]);
      expect(await streamHash(out, "0:V", true)).toBe(await streamHash(file, "0:V", true));
    },
    60_000,
  );
});

/**
 * The payload of an `stsd` of one `avc1` entry with a copy of that entry added as the second
 * description, its avcC holding `marker` (past the record's fields, or in an SEI unit counted
 * among its SPS).
 */
function withSecondDescription(stsd: Buffer, marker: string, what: "bytes past its fields" | "an SEI unit among its parameter sets"): Buffer {
  const entry = stsd.subarray(8, 8 + stsd.readUInt32BE(8));
  const avcc = entry.indexOf("avcC", 8 + 78, "latin1") - 4;
  const record = entry.subarray(avcc + 8, avcc + entry.readUInt32BE(avcc));
  let planted: Buffer;
  if (what === "bytes past its fields") planted = Buffer.concat([record, Buffer.from(marker, "latin1")]);
  else {
    const nal = identificationSeiNal(marker);
    let at = 6;
    for (let n = 0; n < (record[5]! & 0x1f); n++) at += 2 + record.readUInt16BE(at);
    planted = Buffer.concat([record.subarray(0, at), Buffer.from([nal.length >> 8, nal.length & 0xff]), nal, record.subarray(at)]);
    planted[5] = (planted[5]! & 0xe0) | ((planted[5]! & 0x1f) + 1);
  }
  const second = Buffer.concat([entry.subarray(0, avcc), Buffer.from([0, 0, 0, 0]), Buffer.from("avcC", "latin1"), planted, entry.subarray(avcc + entry.readUInt32BE(avcc))]);
  second.writeUInt32BE(8 + planted.length, avcc);
  second.writeUInt32BE(second.length, 0);
  const out = Buffer.concat([stsd, second]);
  out.writeUInt32BE(2, 4);
  return out;
}

/** An avcC whose one SPS has `tail` appended to it (its length grown to match). */
function withSpsTail(avcc: Buffer, tail: Buffer): Buffer {
  if ((avcc[5]! & 0x1f) !== 1) throw new Error(`expected one SPS, got ${avcc.toString("hex")}`);
  const size = avcc.readUInt16BE(6);
  const out = Buffer.concat([avcc.subarray(0, 8 + size), tail, avcc.subarray(8 + size)]);
  out.writeUInt16BE(size + tail.length, 6);
  return out;
}
