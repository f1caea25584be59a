import crypto from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cleanIsoBoxes } from "../src/cleaners/media/iso-rewrite.js";
import { rewriteMoov } from "../src/cleaners/media/iso-moov.js";
import { removeSampleSeiUserData, seiUserDataLeft } from "../src/cleaners/media/iso-sei.js";
import { isoShapeHolds } from "../src/cleaners/proof/iso-proof.js";
import { isDescriptive } from "../src/cleaners/keep.js";
import { isMediaStructural } from "../src/cleaners/media/structural.js";
import type { FoundTag } from "../src/cleaners/types.js";
import { makeMarkedMedia, mediaContent, quickTimeTags, streamKinds } from "./helpers/make-media.js";
import { makeSeiVideo } from "./helpers/make-sei.js";
import { findMarker } from "./helpers/marker-scan.js";
import { appendInside, ownBox } from "./helpers/plant-boxes.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { type RunningServer, startServer } from "./helpers/server.js";
import { exiftool, run } from "./helpers/tools.js";

let server: RunningServer;
let dir: string;
const MARKER = `Boxmark${crypto.randomBytes(6).toString("hex")}`;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-remove-mp4-boxes-"));
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

/** An MPEG-4 Part 2 video with AAC sound and every QuickTime tag ExifTool writes (the benchmark's kind of MP4). */
async function makeMpeg4Video(): Promise<string> {
  const file = path.join(dir, `mpeg4-${crypto.randomUUID()}.mp4`);
  await run("ffmpeg", [
    "-nostdin", "-loglevel", "error", "-y", "-f", "lavfi", "-i", "testsrc=size=64x48:rate=10:duration=1", "-f", "lavfi", "-i", "sine=duration=1",
    "-c:v", "mpeg4", "-c:a", "aac", "-metadata", `title=${MARKER}`, "-metadata:s:v", `handler_name=${MARKER}`, file,
  ]);
  await quickTimeTags(file, MARKER);
  return file;
}

/** The box rewrite's own output, before verification. */
async function rewritten(file: string): Promise<string> {
  const out = path.join(dir, `rewritten-${crypto.randomUUID()}.mp4`);
  const workDir = await fs.mkdtemp(path.join(dir, "work-"));
  expect(await cleanIsoBoxes(file, out, workDir, { file, demuxer: "mov" })).not.toBeNull();
  return out;
}

/** Whether the box rewrite takes the file (true) or leaves it to ffmpeg's remux (false); what it wrote is scanned too. */
async function boxRewriteTakes(file: string): Promise<boolean> {
  const out = path.join(dir, `direct-${crypto.randomUUID()}`);
  const workDir = await fs.mkdtemp(path.join(dir, "work-"));
  const outcome = await cleanIsoBoxes(file, out, workDir, { file, demuxer: "mov", demuxerArgs: ["-enable_drefs", "0"] });
  const written = await fs.readFile(out).catch(() => null);
  if (outcome == null) {
    expect(written, "a declined rewrite writes nothing").toBeNull();
    return false;
  }
  expect(await findMarker(written!, MARKER)).toEqual([]);
  return true;
}

async function expectCleanCopy(file: string, name: string): Promise<Record<string, unknown>> {
  const before = await mediaContent(file);
  const kinds = (await streamKinds(file)).filter((k) => k !== "cover" && k !== "data");
  const { status, body, cleaned } = await removeViaApi(server, file, name);
  expect(status, JSON.stringify(body)).toBe(200);
  expect(body["remaining"]).toEqual({});
  const out = path.join(dir, `cleaned-${crypto.randomUUID()}-${name}`);
  await fs.writeFile(out, cleaned!);
  expect(await findMarker(out, MARKER)).toEqual([]);
  expect(cleaned!.includes("x264 - core")).toBe(false);
  expect(await streamKinds(out)).toEqual(kinds);
  // Decoded pictures and sound, md5 for md5.
  expect(await mediaContent(out)).toEqual(before);
  return body["removed"] as Record<string, unknown>;
}

describe("MP4 and MOV removal rewrites the boxes where that is exact", () => {
  it.each([
    ["M4A with cover art and iTunes tags", true, () => makeMarkedMedia(dir, "m4a", MARKER)],
    ["M4V with XMP, user data, Keys and GPS", true, () => makeMarkedMedia(dir, "m4v", MARKER)],
    ["3GP", true, () => makeMarkedMedia(dir, "3gp", MARKER)],
    ["H.264 MOV with SEI identification", true, () => makeSeiVideo(dir, "h264", "mov", MARKER)],
    ["HEVC MP4 with SEI identification in hvcC", true, () => makeSeiVideo(dir, "hevc", "mp4", MARKER)],
    // Subtitles may be telemetry (telemetry.ts), and a timecode track's: those go through ffmpeg.
    ["MP4 with a subtitle track", false, () => makeMarkedMedia(dir, "mp4", MARKER)],
    ["MOV with subtitles and timecode", false, () => makeMarkedMedia(dir, "mov", MARKER)],
  ] as const)("%s: box rewrite %s", async (_name, taken, make) => {
    const file = await make();
    expect(await findMarker(file, MARKER)).not.toEqual([]);
    expect(await boxRewriteTakes(file)).toBe(taken);
  });
});

describe("planted metadata no writer puts there is still removed", () => {
  const trak = ["moov", "trak"];
  const sampleEntry = ["moov", "trak", "mdia", "minf", "stbl", "stsd", "entry"];
  it.each([
    // Boxes the rewrite does not know: the whole file goes to the remux, which copies none of them.
    ["a box of its own inside moov", false, (f: string) => appendInside(f, ["moov"], ownBox("xmrk", MARKER))],
    ["a box of its own inside a video sample entry", false, (f: string) => appendInside(f, sampleEntry, ownBox("xmrk", MARKER))],
    ["a box of its own inside a track", false, (f: string) => appendInside(f, trak, ownBox("xmrk", MARKER))],
    // Where the rewrite knows what the bytes are (padding, the space between samples): blanked.
    ["a free box inside a track", true, (f: string) => appendInside(f, trak, ownBox("free", MARKER))],
    ["bytes after the last sample inside the media data", true, (f: string) => appendInside(f, ["mdat"], Buffer.from(MARKER))],
    ["a top-level box of its own after moov", true, (f: string) => fs.appendFile(f, ownBox("xmrk", MARKER))],
  ] as const)("%s (box rewrite: %s)", async (_name, taken, plant) => {
    const file = await makeMarkedMedia(dir, "m4v", MARKER);
    await plant(file);
    expect(await findMarker(file, MARKER)).not.toEqual([]);
    expect(await boxRewriteTakes(file)).toBe(taken);
    const removed = await expectCleanCopy(file, "planted.m4v");
    expect(removed["seiUserData"]).toBe(1);
  });

  it("hands back the video and sound of an M4V as they were, with its encoder's SEI gone", async () => {
    const file = await makeMarkedMedia(dir, "m4v", MARKER);
    const removed = await expectCleanCopy(file, "clip.m4v");
    expect(removed).toMatchObject({ seiUserData: 1, xmp: expect.any(Number), quicktime: expect.any(Number) });
  });
});

describe("verification of a box-rewritten MP4 skips the ExifTool re-read only when the copy's shape leaves it nothing to find", () => {
  it("removes every tag of an MPEG-4 video through the API, the pictures and sound decoding the same", async () => {
    const file = await makeMpeg4Video();
    expect(await findMarker(file, MARKER)).not.toEqual([]);
    const removed = await expectCleanCopy(file, "clip.mp4");
    expect(removed).toMatchObject({ xmp: expect.any(Number), quicktime: expect.any(Number) });
  });

  it("holds for the rewrite of an MPEG-4 video, not for the original; ExifTool's -ee read of that rewrite finds only structure", async () => {
    const file = await makeMpeg4Video();
    expect(await isoShapeHolds(file)).toBe(false);
    const out = await rewritten(file);
    expect(await isoShapeHolds(out)).toBe(true);
    // What the skipped re-read would have said: nothing but the file's own structure.
    const [tags] = JSON.parse(await exiftool(["-j", "-G0", "-u", "-ee", "-a", out])) as Array<Record<string, unknown>>;
    const leftovers = Object.entries(tags!)
      .map(([key, value]) => ({ group: key.split(":")[0]!, tag: key.split(":")[1] ?? "", value }))
      .filter((t) => t.tag !== "" && !isDescriptive(t.group, t.tag) && !isMediaStructural({ ...t, value: t.value as FoundTag["value"] }));
    expect(leftovers).toEqual([]);
  });

  it("does not hold for H.264, whose SEI ExifTool's -ee reads", async () => {
    const file = await makeMarkedMedia(dir, "m4v", MARKER);
    expect(await isoShapeHolds(await rewritten(file))).toBe(false);
  });

  // What a faulty cleaner could leave in the copy: the check must send each to the re-read.
  it.each([
    ["a box of its own in a track", (f: string) => appendInside(f, ["moov", "trak"], ownBox("xmrk", MARKER))],
    ["user data in moov", (f: string) => appendInside(f, ["moov"], ownBox("udta", MARKER))],
    ["an unknown box in a sample entry", (f: string) => appendInside(f, ["moov", "trak", "mdia", "minf", "stbl", "stsd", "entry"], ownBox("xmrk", MARKER))],
    ["a top-level uuid box", (f: string) => fs.appendFile(f, ownBox("uuid", MARKER))],
    ["a free box that is not blank", (f: string) => fs.appendFile(f, ownBox("free", MARKER))],
    ["a handler name", async (f: string) => {
      const bytes = await fs.readFile(f);
      const at = bytes.indexOf("hdlr") + 4 + 24;
      bytes.write("Cam", at, "latin1");
      await fs.writeFile(f, bytes);
    }],
    ["a creation date", async (f: string) => {
      const bytes = await fs.readFile(f);
      bytes.writeUInt32BE(0x12345678, bytes.indexOf("mvhd") + 8);
      await fs.writeFile(f, bytes);
    }],
  ] as const)("does not hold with %s", async (_name, plant) => {
    const out = await rewritten(await makeMpeg4Video());
    expect(await isoShapeHolds(out)).toBe(true);
    await plant(out);
    expect(await isoShapeHolds(out)).toBe(false);
  });
});

describe("SEI user data found through the sample tables", () => {
  /** The `moov` box of a small file (32-bit sizes). */
  function moovOf(bytes: Buffer): Buffer {
    for (let at = 0; at + 8 <= bytes.length; at += bytes.readUInt32BE(at)) {
      if (bytes.toString("latin1", at + 4, at + 8) === "moov") return bytes.subarray(at, at + bytes.readUInt32BE(at));
    }
    throw new Error("no moov");
  }

  it("removes every H.264 user-data message without an ffmpeg scan, and writes nothing when a NAL length runs past its sample", async () => {
    const file = await makeSeiVideo(dir, "h264", "mp4", MARKER);
    const bytes = await fs.readFile(file);
    const video = rewriteMoov(Buffer.from(moovOf(bytes)))!.tracks.find((t) => t.kind === "video")!;
    expect(video.nal).not.toBeNull();
    const track = { codec: "h264" as const, lengthSize: video.nal!.lengthSize, samples: video.nal!.samples };

    const copy = path.join(dir, "sei-samples.mp4");
    await fs.writeFile(copy, bytes);
    // The encoder's own message, a position on each of the 10 pictures, the planted identification on two (as remove-sei.test.ts counts).
    const removed = await removeSampleSeiUserData(copy, track);
    expect(removed?.messages).toBe(13);
    const cleaned = await fs.readFile(copy);
    // Every sample it wrote to is named, and none of those named still holds user data.
    expect(removed?.changed.length).toBeGreaterThan(0);
    expect(await seiUserDataLeft(copy, { ...track, samples: removed!.changed })).toBe(0);
    expect(await seiUserDataLeft(copy, track)).toBe(0);
    expect(await findMarker(cleaned, MARKER)).toEqual([]);
    expect(cleaned.includes("x264 - core")).toBe(false);
    expect(cleaned.length).toBe(bytes.length);

    const broken = Buffer.from(bytes);
    const first = track.samples[0]!;
    broken.writeUInt32BE(first.end - first.start, first.start);
    await fs.writeFile(copy, broken);
    expect(await removeSampleSeiUserData(copy, track)).toBeNull();
    expect((await fs.readFile(copy)).equals(broken)).toBe(true);
  });
});

describe("cleaning started from the ftyp brand before ExifTool names the type", () => {
  // ExifTool reads an `isom` file whose compatible brands name only QuickTime as a MOV: the
  // early cleaning (guessed MP4 from the brand) is dropped and the file cleaned as detected.
  it("an isom-branded file ExifTool calls MOV is cleaned and verified as a MOV", async () => {
    const bytes = await fs.readFile(await makeMpeg4Video());
    expect(bytes.toString("latin1", 4, 12)).toBe("ftypisom");
    for (let at = 16; at < bytes.readUInt32BE(0); at += 4) bytes.write("qt  ", at, "latin1");
    // No extension: ExifTool lets an .mp4 name decide, the service's temp files have none.
    const file = path.join(dir, "isom-qt");
    await fs.writeFile(file, bytes);
    expect((await exiftool(["-s3", "-FileType", file])).trim()).toBe("MOV");
    await expectCleanCopy(file, "clip.mov");
    const { cleaned } = await removeViaApi(server, file, "again.mov");
    const out = path.join(dir, "brand-mov.out");
    await fs.writeFile(out, cleaned!);
    expect((await exiftool(["-s3", "-FileType", out])).trim()).toBe("MOV");
  });
});

describe("tracks that carry no picture or sound", () => {
  /** Child boxes of `[from, to)` (32-bit sizes): type, start, end. */
  function boxes(buf: Buffer, from: number, to: number): Array<{ type: string; at: number; end: number }> {
    const out: Array<{ type: string; at: number; end: number }> = [];
    for (let at = from; at + 8 <= to; at += buf.readUInt32BE(at)) out.push({ type: buf.toString("latin1", at + 4, at + 8), at, end: at + buf.readUInt32BE(at) });
    return out;
  }
  const child = (buf: Buffer, box: { at: number; end: number }, type: string) => boxes(buf, box.at + 8, box.end).find((b) => b.type === type)!;

  // A timed-metadata track (as phones write GPS): its samples are in the media data, where the
  // box rewrite keeps every byte of the kept tracks' samples and zeroes every other.
  /** The M4V's sound track relabelled a metadata track (handler `meta`), its first sample overwritten by the marker; with `format`, its sample entry renamed too. */
  async function relabelled(format: string | null): Promise<string> {
    const file = await makeMarkedMedia(dir, "m4v", MARKER);
    const bytes = await fs.readFile(file);
    const moov = boxes(bytes, 0, bytes.length).find((b) => b.type === "moov")!;
    const sound = boxes(bytes, moov.at + 8, moov.end).filter((b) => b.type === "trak")[1]!;
    const mdia = child(bytes, sound, "mdia");
    const hdlr = child(bytes, mdia, "hdlr");
    expect(bytes.toString("latin1", hdlr.at + 16, hdlr.at + 20)).toBe("soun");
    bytes.write("meta", hdlr.at + 16, "latin1");
    const stbl = child(bytes, child(bytes, mdia, "minf"), "stbl");
    const stco = child(bytes, stbl, "stco");
    const stsz = child(bytes, stbl, "stsz");
    const firstSample = bytes.readUInt32BE(stco.at + 16);
    const firstSize = bytes.readUInt32BE(stsz.at + 12) || bytes.readUInt32BE(stsz.at + 20);
    expect(firstSize).toBeGreaterThan(MARKER.length);
    bytes.write(MARKER, firstSample, "latin1");
    if (format != null) bytes.write(format, child(bytes, stbl, "stsd").at + 20, "latin1");
    await fs.writeFile(file, bytes);
    return file;
  }

  it("drops a metadata track and blanks its samples in the media data; the video decodes the same", async () => {
    const file = await relabelled("mebx");
    expect(await streamKinds(file)).toEqual(["video", "data"]);
    expect(await boxRewriteTakes(file)).toBe(true);
    const video = (await mediaContent(file))["video"];
    const { status, body, cleaned } = await removeViaApi(server, file, "gps.m4v");
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body["remaining"]).toEqual({});
    const out = path.join(dir, "cleaned-gps.m4v");
    await fs.writeFile(out, cleaned!);
    expect(await findMarker(out, MARKER)).toEqual([]);
    expect(await streamKinds(out)).toEqual(["video"]);
    expect((await mediaContent(out))["video"]).toBe(video);
  });

  // ffmpeg takes the kind from the sample format: AAC under a metadata handler is sound to it.
  it("leaves a metadata-labelled track of sound samples to the remux, which keeps it", async () => {
    const file = await relabelled(null);
    expect(await streamKinds(file)).toEqual(["video", "audio"]);
    expect(await boxRewriteTakes(file)).toBe(false);
  });
});
