import crypto from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { groupAmrFrames } from "./helpers/amr-samples.js";
import { mediaContent, quickTimeTags, streamKinds } from "./helpers/make-media.js";
import { findMarker } from "./helpers/marker-scan.js";
import { appendInside, ownBox } from "./helpers/plant-boxes.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { type RunningServer, startServer } from "./helpers/server.js";
import { exiftool, ffmpegQuiet, run } from "./helpers/tools.js";

/*
 * Apple Lossless in M4A and AMR speech in 3GP/3G2 (phones' recordings) were refused: ExifTool
 * reports ALAC's codec configuration as an unnamed box, AMR's names its encoder's maker, and a
 * 3G2 was no type the service knew.
 */

let server: RunningServer;
let dir: string;
const MARKER = `Alacamr${crypto.randomBytes(6).toString("hex")}`;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-remove-alac-amr-"));
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

const SINE = ["-f", "lavfi", "-i", "sine=frequency=440:duration=1"];

/** Six channels of different tones, ALAC's 5.1 (its MPEG 5.1 D layout). */
const SIX_CHANNELS = ["-filter_complex", "sine=f=220:d=1[a];sine=f=330:d=1[b];sine=f=440:d=1[c];sine=f=550:d=1[d];sine=f=660:d=1[e];sine=f=770:d=1[f];[a][b][c][d][e][f]join=inputs=6:channel_layout=5.1"];

async function makeAlacM4a(channels: 1 | 6 = 1): Promise<string> {
  const file = path.join(dir, `alac-${crypto.randomUUID()}.m4a`);
  await run("ffmpeg", [...ffmpegQuiet, ...(channels === 1 ? SINE : SIX_CHANNELS), "-c:a", "alac", "-metadata", `title=${MARKER}`, "-metadata:s:a", `handler_name=${MARKER}`, file]);
  await quickTimeTags(file, MARKER);
  return file;
}

/**
 * AMR-NB speech (Debian's ffmpeg decodes AMR but has no encoder): a raw `.amr` of 12.2 kbit/s
 * frames (a header byte, then 31 bytes the decoder reads as speech parameters) with MPEG-4 or
 * H.263 video, as a phone records it (the sound track first); ffmpeg's muxer writes its own name
 * as the `damr` and `d263` vendor.
 */
async function speechFrames(): Promise<string> {
  const amr = path.join(dir, `speech-${crypto.randomUUID()}.amr`);
  const frames = Array.from({ length: 50 }, () => Buffer.concat([Buffer.from([0x3c]), crypto.randomBytes(31)]));
  await fs.writeFile(amr, Buffer.concat([Buffer.from("#!AMR\n", "latin1"), ...frames]));
  return amr;
}

/** Each stream's start in seconds, by codec. */
async function starts(file: string): Promise<Record<string, number>> {
  const { stdout } = await run("ffprobe", ["-v", "error", "-show_entries", "stream=codec_name,start_time", "-of", "csv=p=0", file]);
  return Object.fromEntries(stdout.toString("utf8").trim().split("\n").map((line) => [line.split(",")[0], Number(line.split(",")[1])]));
}

/** How many packets (samples) ffmpeg reads from the sound track. */
async function soundPackets(file: string): Promise<number> {
  const { stdout } = await run("ffprobe", ["-v", "error", "-select_streams", "a:0", "-count_packets", "-show_entries", "stream=nb_read_packets", "-of", "csv=p=0", file]);
  return Number(stdout.toString("utf8").trim());
}

/**
 * A voice recording: AMR speech alone in a 3GP, five frames to a sample as older phones wrote it,
 * with the raw AMR file of its frames.
 */
async function makeGroupedAmrRecording(): Promise<{ file: string; frames: string }> {
  const frames = await speechFrames();
  const file = path.join(dir, `voice-${crypto.randomUUID()}.3gp`);
  await run("ffmpeg", [...ffmpegQuiet, "-i", frames, "-c:a", "copy", "-metadata", `title=${MARKER}`, "-metadata:s:a", `handler_name=${MARKER}`, "-f", "3gp", file]);
  await groupAmrFrames(file, 5);
  await quickTimeTags(file, MARKER);
  return { file, frames };
}

async function makeAmrVideo(format: "3gp" | "3g2", video: "mpeg4" | "h263" = "mpeg4", speechStart = 0): Promise<string> {
  const file = path.join(dir, `amr-${crypto.randomUUID()}.${format}`);
  await run("ffmpeg", [
    ...ffmpegQuiet, "-itsoffset", String(speechStart), "-i", await speechFrames(), "-f", "lavfi", "-i", "testsrc=size=176x144:rate=10:duration=1", "-map", "0", "-map", "1",
    "-c:v", video, "-c:a", "copy", "-metadata", `title=${MARKER}`, "-metadata:s:a", `handler_name=${MARKER}`, "-f", format, file,
  ]);
  await quickTimeTags(file, MARKER);
  return file;
}

async function expectCleanCopy(file: string, fileType: string): Promise<string> {
  expect(await findMarker(file, MARKER)).not.toEqual([]);
  expect((await exiftool(["-s3", "-FileType", file])).trim()).toBe(fileType);
  const before = await mediaContent(file);
  const kinds = await streamKinds(file);
  const { status, body, cleaned } = await removeViaApi(server, file);
  expect(status, JSON.stringify(body)).toBe(200);
  expect(body["remaining"]).toEqual({});
  expect(body["removed"]).toMatchObject({ xmp: expect.any(Number), quicktime: expect.any(Number) });
  const out = path.join(dir, `cleaned-${path.basename(file)}`);
  await fs.writeFile(out, cleaned!);
  expect(await findMarker(out, MARKER)).toEqual([]);
  expect((await exiftool(["-s3", "-FileType", out])).trim()).toBe(fileType);
  expect(await streamKinds(out)).toEqual(kinds);
  // Decoded sound (and pictures), md5 for md5.
  expect(await mediaContent(out)).toEqual(before);
  return out;
}

describe("Apple Lossless M4A", () => {
  it("is cleaned, its lossless sound decoding the same", async () => {
    const file = await makeAlacM4a();
    expect((await exiftool(["-s3", "-AudioFormat", file])).trim()).toBe("alac");
    await expectCleanCopy(file, "M4A");
  });

  it("is refused, never handed back, when its codec configuration box carries more than the codec's numbers", async () => {
    const file = await makeAlacM4a();
    // Bytes after the 24-byte configuration: no decoder reads them, ExifTool shows one blob of
    // another length, and ffmpeg's remux copies them.
    await appendInside(file, ["moov", "trak", "mdia", "minf", "stbl", "stsd", "entry", "alac"], Buffer.from(MARKER));
    const { status, body } = await removeViaApi(server, file);
    expect(status, JSON.stringify(body)).toBe(422);
    expect(body["error"]).toBe("The file's metadata could not be removed completely.");
  });
});

/**
 * The 24-byte `chan` atom Apple's encoder (iTunes, afconvert, qaac) writes into the ALAC
 * configuration after its 24 bytes of numbers for three channels or more: version 0, a Core Audio
 * layout tag, no channel bitmap, no channel descriptions.
 */
function alacChan(layoutTag: number, reserved = 0): Buffer {
  const b = Buffer.alloc(24);
  b.writeUInt32BE(24, 0);
  b.write("chan", 4, "latin1");
  b.writeUInt32BE(layoutTag, 12);
  b.writeUInt32BE(reserved, 16);
  return b;
}

/** The size of the first `alac` box inside a sample entry (the codec configuration). */
function alacCookieSize(b: Buffer): number {
  const entry = b.indexOf("alac", b.indexOf("stsd"), "latin1");
  const cookie = b.indexOf("alac", entry + 4, "latin1");
  return b.readUInt32BE(cookie - 4);
}

describe("Apple Lossless M4A in six channels, as Apple's encoder writes it", () => {
  const MPEG_5_1_D = (124 << 16) | 6;

  it("is cleaned, the channel layout atom of its configuration (ALAC's only 5.1 layout) left out, its six channels decoding the same", async () => {
    const file = await makeAlacM4a(6);
    await appendInside(file, ["moov", "trak", "mdia", "minf", "stbl", "stsd", "entry", "alac"], alacChan(MPEG_5_1_D));
    expect(alacCookieSize(await fs.readFile(file))).toBe(60);
    expect((await exiftool(["-s3", "-AudioChannels", file])).trim()).toBe("6");
    const out = await expectCleanCopy(file, "M4A");
    expect(alacCookieSize(await fs.readFile(out))).toBe(36);
  });

  it.each([
    ["a layout ALAC does not use for six channels (MPEG 5.1 A)", alacChan((121 << 16) | 6)],
    ["the layout with a channel bitmap holding data", alacChan(MPEG_5_1_D, 0x4d41524b)],
  ])("is refused, never handed back, when the atom names %s", async (_, chan) => {
    const file = await makeAlacM4a(6);
    await appendInside(file, ["moov", "trak", "mdia", "minf", "stbl", "stsd", "entry", "alac"], chan);
    const { status, body } = await removeViaApi(server, file);
    expect(status, JSON.stringify(body)).toBe(422);
    expect(body["error"]).toBe("The file's metadata could not be removed completely.");
  });
});

describe("AMR speech in 3GPP files", () => {
  it.each([
    ["3gp", "3GP"],
    ["3g2", "3G2"],
  ] as const)("a %s is cleaned, its encoder's maker blanked, sound and pictures decoding the same", async (format, fileType) => {
    const file = await makeAmrVideo(format);
    expect((await exiftool(["-s3", "-EncoderVendor", file])).trim()).toBe("FFMP");
    const out = await expectCleanCopy(file, fileType);
    expect((await exiftool(["-s3", "-EncoderVendor", out])).trim()).toBe("");
  });

  it("with H.263 video (older phones) is cleaned, the H.263 configuration's maker blanked too", async () => {
    const file = await makeAmrVideo("3gp", "h263");
    const vendor = (b: Buffer): string => b.toString("latin1", b.indexOf("d263") + 4, b.indexOf("d263") + 8);
    expect(vendor(await fs.readFile(file))).toBe("FFMP");
    const out = await expectCleanCopy(file, "3GP");
    expect(vendor(await fs.readFile(out))).toBe("\0\0\0\0");
  });

  it("with bytes after the AMR configuration's numbers goes to ffmpeg's remux, never hands them back", async () => {
    const file = await makeAmrVideo("3gp");
    await appendInside(file, ["moov", "trak", "mdia", "minf", "stbl", "stsd", "entry", "damr"], Buffer.from(MARKER));
    const out = await expectCleanCopy(file, "3GP");
    expect((await exiftool(["-s3", "-EncoderVendor", out])).trim()).toBe("FFMP");
  });

  it("with several frames to a sample (older phones), sent to the remux by a box of its own, is cleaned, every frame kept", async () => {
    const { file, frames } = await makeGroupedAmrRecording();
    await appendInside(file, ["moov", "trak", "mdia", "minf", "stbl", "stsd", "entry"], ownBox("xmrk", MARKER));
    expect(await soundPackets(file)).toBe(10);
    expect(await findMarker(file, MARKER)).not.toEqual([]);
    const { status, body, cleaned } = await removeViaApi(server, file);
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body["remaining"]).toEqual({});
    const out = path.join(dir, `cleaned-${path.basename(file)}`);
    await fs.writeFile(out, cleaned!);
    expect(await findMarker(out, MARKER)).toEqual([]);
    expect((await exiftool(["-s3", "-FileType", out])).trim()).toBe("3GP");
    // ffmpeg's decoder reads only the first frame of a sample, so the original cannot be the
    // reference: the copy must decode to the 50 frames the recording was made of, md5 for md5.
    expect(await mediaContent(out)).toEqual(await mediaContent(frames));
    expect(await soundPackets(out)).toBe(50);
  });

  it("whose speech starts after its pictures keeps that start when it goes to the remux", async () => {
    const file = await makeAmrVideo("3gp", "mpeg4", 0.5);
    await appendInside(file, ["moov", "trak", "mdia", "minf", "stbl", "stsd", "entry"], ownBox("xmrk", MARKER));
    expect(await starts(file)).toEqual({ amr_nb: 0.5, mpeg4: 0 });
    const out = await expectCleanCopy(file, "3GP");
    expect(await starts(out)).toEqual({ amr_nb: 0.5, mpeg4: 0 });
  });

  it("with a box of its own inside the AMR sample entry goes to ffmpeg's remux, which writes its own name as the maker", async () => {
    const file = await makeAmrVideo("3gp");
    await appendInside(file, ["moov", "trak", "mdia", "minf", "stbl", "stsd", "entry"], ownBox("xmrk", MARKER));
    const out = await expectCleanCopy(file, "3GP");
    expect((await exiftool(["-s3", "-EncoderVendor", out])).trim()).toBe("FFMP");
  });
});
