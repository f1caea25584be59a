import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cameraExif, exifSegment } from "./helpers/make-exif-blocks.js";
import { pngChunk } from "./helpers/make-images.js";
import { postFile, type RunningServer, startServer } from "./helpers/server.js";
import { CONVERT, exiftool, ffmpegQuiet, pixelSignature, run } from "./helpers/tools.js";
import { expectQuickRefusal as expectQuickRefusalOf, removeBytesWatched } from "./helpers/quick-refusal.js";

/**
 * Images and audio of a million tiny chunks (PNG chunks, JPEG segments, FLAC metadata blocks,
 * ID3v2 frames), each of which ExifTool turns into a tag: each a quick 422 within bounded memory
 * (before: 12-43 s for a tenth of them or for a million, past ExifTool's 60 s timeout for some),
 * while a picture whose data is cut into many chunks is still cleaned.
 */


let dir: string;
let server: RunningServer;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-hostile-chunks-"));
  server = await startServer();
});

afterAll(async () => {
  await server?.stop();
  if (dir != null) await fs.rm(dir, { recursive: true, force: true });
});

const times = (n: number, piece: Buffer): Buffer => Buffer.concat(Array<Buffer>(n).fill(piece));

async function made(name: string, args: string[]): Promise<Buffer> {
  const file = path.join(dir, name);
  await run("ffmpeg", [...ffmpegQuiet, ...args, file]);
  return fs.readFile(file);
}

const removeWatched = (name: string, data: Buffer) => removeBytesWatched(server, dir, name, data);

const expectQuickRefusal = (name: string, data: Buffer) => expectQuickRefusalOf(server, dir, name, data);

/** A PNG's chunks after its signature, as [type, data]. */
function chunksOf(png: Buffer): Array<[string, Buffer]> {
  const out: Array<[string, Buffer]> = [];
  for (let at = 8; at < png.length; ) {
    const length = png.readUInt32BE(at);
    out.push([png.toString("latin1", at + 4, at + 8), png.subarray(at + 8, at + 8 + length)]);
    at += 12 + length;
  }
  return out;
}

describe("PNG", () => {
  it("200,000 empty text chunks (2.8 MB; 100,000 took 19 s) and a million private chunks (12 MB, 14 s) are quick 422s", async () => {
    const png = await fs.readFile(path.join(dir, await plainPng()));
    const iend = png.length - 12;
    const withChunks = (chunk: Buffer, n: number) => Buffer.concat([png.subarray(0, iend), times(n, chunk), png.subarray(iend)]);
    await expectQuickRefusal("text.png", withChunks(pngChunk("tEXt", Buffer.from("k\0v", "latin1")), 200_000));
    await expectQuickRefusal("private.png", withChunks(pngChunk("zzTx", Buffer.alloc(0)), 1_000_000));
  }, 120_000);

  it("a picture whose data is cut into 20,000 chunks (more than the text chunks allowed) is still cleaned, its pixels unchanged", async () => {
    const png = await fs.readFile(path.join(dir, await plainPng()));
    const chunks = chunksOf(png);
    const data = Buffer.concat(chunks.filter(([type]) => type === "IDAT").map(([, d]) => d));
    const piece = Math.ceil(data.length / 20_000);
    const idats: Buffer[] = [];
    for (let at = 0; at < data.length; at += piece) idats.push(pngChunk("IDAT", data.subarray(at, at + piece)));
    expect(idats.length).toBeGreaterThan(10_000);
    const first = chunks.findIndex(([type]) => type === "IDAT");
    const rebuilt = Buffer.concat([
      png.subarray(0, 8),
      ...chunks.slice(0, first).map(([type, d]) => pngChunk(type, d)),
      ...idats,
      pngChunk("tEXt", Buffer.from("Author\0chunked-marker", "latin1")),
      pngChunk("IEND", Buffer.alloc(0)),
    ]);
    const { result, file } = await removeWatched("chunked.png", rebuilt);
    expect(result.status, JSON.stringify(result.body)).toBe(200);
    expect(result.cleaned!.includes("chunked-marker")).toBe(false);
    const cleaned = path.join(dir, "cleaned-chunked.png");
    await fs.writeFile(cleaned, result.cleaned!);
    expect(await pixelSignature(cleaned)).toBe(await pixelSignature(file));
  }, 120_000);
});

/** A 400x400 noise PNG (ImageMagick), its name in `dir`. */
async function plainPng(): Promise<string> {
  const name = "plain.png";
  await run(CONVERT, ["-size", "400x400", "xc:", "+noise", "Random", path.join(dir, name)]);
  return name;
}

describe("JPEG", () => {
  it("20 EXIF segments each holding a maker note of 5,400 entries (1.3 MB; ExifTool 25 s, 100 of them past its 60 s) are a quick 422", async () => {
    const jpeg = await made("camera.jpg", ["-f", "lavfi", "-i", "testsrc=s=64x64:d=1", "-frames:v", "1"]);
    const segment = exifSegment(cameraExif(5_400));
    expect(segment.length).toBeLessThan(65_536);
    await expectQuickRefusal("maker-notes.jpg", Buffer.concat([jpeg.subarray(0, 2), times(20, segment), jpeg.subarray(2)]));
  }, 120_000);

  it("a photo whose EXIF maker note holds 300 entries, its first scan past 64 kB, is still cleaned to the same pixels", async () => {
    const marker = "jpeg-maker-note-marker";
    const jpeg = await made("photo.jpg", ["-f", "lavfi", "-i", "testsrc=s=64x64:d=1", "-frames:v", "1"]);
    const padding = Buffer.concat([Buffer.from([0xff, 0xef, 0xfd, 0xe8]), Buffer.alloc(65_000 - 2)]);
    const { result, file } = await removeWatched("maker-note.jpg", Buffer.concat([jpeg.subarray(0, 2), exifSegment(cameraExif(300, marker)), padding, jpeg.subarray(2)]));
    const read = JSON.parse(await exiftool(["-json", "-G0", "-u", file]))[0] as Record<string, unknown>;
    expect(Object.values(read).filter((v) => v === marker).length).toBe(300);
    expect(result.status, JSON.stringify(result.body)).toBe(200);
    expect(result.cleaned!.includes(marker)).toBe(false);
    const cleaned = path.join(dir, "cleaned-maker-note.jpg");
    await fs.writeFile(cleaned, result.cleaned!);
    expect(await pixelSignature(cleaned)).toBe(await pixelSignature(file));
  }, 60_000);


  it("a million empty APP15 segments before the picture (4 MB; took the service 43 s) are a quick 422", async () => {
    const jpeg = await made("plain.jpg", ["-f", "lavfi", "-i", "testsrc=s=64x64:d=1", "-frames:v", "1"]);
    await expectQuickRefusal("segments.jpg", Buffer.concat([jpeg.subarray(0, 2), times(1_000_000, Buffer.from([0xff, 0xef, 0, 2])), jpeg.subarray(2)]));
  }, 120_000);
});

describe("EXIF blocks of PNG and WebP", () => {
  it("a PNG's eXIf chunk and a WebP's EXIF chunk holding a maker note of 16,448 entries (197 kB; ExifTool 2.9 s, 525 kB of JSON) are quick 422s", async () => {
    // 0x4040: the same count in either byte order, which ExifTool's guess of a maker note's order keeps.
    const block = cameraExif(0x4040);
    const png = await fs.readFile(path.join(dir, await plainPng()));
    const ihdrEnd = 8 + 12 + png.readUInt32BE(8);
    await expectQuickRefusal("exif.png", Buffer.concat([png.subarray(0, ihdrEnd), pngChunk("eXIf", block), png.subarray(ihdrEnd)]));
    const webp = path.join(dir, "plain.webp");
    await run(CONVERT, ["-size", "16x16", "xc:red", "-define", "webp:lossless=true", webp]);
    const image = (await fs.readFile(webp)).subarray(12);
    const riffChunk = (id: string, data: Buffer): Buffer => {
      const head = Buffer.alloc(8);
      head.write(id, 0, "latin1");
      head.writeUInt32LE(data.length, 4);
      return Buffer.concat([head, data, Buffer.alloc(data.length % 2)]);
    };
    // VP8X: the EXIF flag, then the canvas' width and height less one, 24 bits each.
    const vp8x = Buffer.from([0x08, 0, 0, 0, 15, 0, 0, 15, 0, 0]);
    const body = Buffer.concat([Buffer.from("WEBP", "latin1"), riffChunk("VP8X", vp8x), image, riffChunk("EXIF", block)]);
    const head = Buffer.from("RIFF\0\0\0\0", "latin1");
    head.writeUInt32LE(body.length, 4);
    await expectQuickRefusal("exif.webp", Buffer.concat([head, body]));
  }, 120_000);
});

describe("GIF", () => {
  it("a million empty comments (3 MB; took the service 23 s) are a quick 422, while an animation of 12,000 frames (more than the comments allowed) is still cleaned", async () => {
    const gif = path.join(dir, "plain.gif");
    await run(CONVERT, ["-size", "1x1", "xc:red", gif]);
    const bytes = await fs.readFile(gif);
    const trailer = bytes.lastIndexOf(0x3b);
    const withBlocks = (block: Buffer, n: number) => Buffer.concat([bytes.subarray(0, trailer), times(n, block), bytes.subarray(trailer)]);
    await expectQuickRefusal("comments.gif", withBlocks(Buffer.from([0x21, 0xfe, 0]), 1_000_000));
    // A graphic control (a 10 ms delay) and a one-pixel image of colour 0 per frame, plus one comment.
    const frame = Buffer.from([0x21, 0xf9, 4, 0, 1, 0, 0, 0, 0x2c, 0, 0, 0, 0, 1, 0, 1, 0, 0, 2, 2, 0x44, 1, 0]);
    const comment = Buffer.concat([Buffer.from([0x21, 0xfe, 14]), Buffer.from("frames-marker!", "latin1"), Buffer.from([0])]);
    const { result } = await removeWatched("frames.gif", Buffer.concat([withBlocks(frame, 12_000).subarray(0, -1), comment, Buffer.from([0x3b])]));
    expect(result.status, JSON.stringify(result.body)).toBe(200);
    expect(result.cleaned!.includes("frames-marker")).toBe(false);
    const cleaned = path.join(dir, "cleaned-frames.gif");
    await fs.writeFile(cleaned, result.cleaned!);
    const { stdout } = await run("identify", ["-format", "%n\\n", cleaned]);
    expect(stdout.toString("utf8").trim().split("\n")[0]).toBe("12001");
  }, 120_000);
});

/** A ZIP of `n` empty stored members named 0, 1, 2...: local headers, central directory, end record. */
function emptyMembersZip(n: number): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (let i = 0; i < n; i++) {
    const name = Buffer.from(String(i), "latin1");
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(10, 4);
    local.writeUInt16LE(name.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(10, 4);
    central.writeUInt16LE(10, 6);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name);
    centrals.push(central, name);
    offset += 30 + name.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(n, 8);
  end.writeUInt16LE(n, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}

describe("ZIP", () => {
  it("a ZIP of 65,535 empty members (5.4 MB) is a quick 422 (was ExifTool's 60 s timeout with the service and its children at 1,155 MB)", async () => {
    await expectQuickRefusal("members.zip", emptyMembersZip(65_535));
  }, 120_000);
});

describe("RIFF", () => {
  it("a WAV of a million empty chunks (8 MB; cleaned in 7-8 s) is a quick 422, while an AVI of 14,600 media chunks in its movi list is still cleaned", async () => {
    const wav = await made("plain.wav", ["-f", "lavfi", "-i", "sine=d=1"]);
    const chunks = Buffer.concat([wav.subarray(12), times(1_000_000, Buffer.from("zzzz\0\0\0\0", "latin1"))]);
    const riff = Buffer.concat([Buffer.from("RIFF\0\0\0\0WAVE", "latin1"), chunks]);
    riff.writeUInt32LE(riff.length - 8, 4);
    await expectQuickRefusal("chunks.wav", riff);
    const avi = await made("long.avi", ["-f", "lavfi", "-i", "testsrc=s=16x16:r=30:d=200", "-f", "lavfi", "-i", "sine=d=200", "-c:v", "mjpeg", "-c:a", "pcm_s16le", "-metadata", "title=avi-marker"]);
    const { result } = await removeWatched("long.avi", avi);
    expect(result.status, JSON.stringify(result.body)).toBe(200);
    expect(result.body["remaining"]).toEqual({});
    expect(result.cleaned!.includes("avi-marker")).toBe(false);
  }, 120_000);
});

describe("FLAC and ID3v2", () => {
  it("a million empty padding blocks (4 MB; 100,000 took 12 s) or 200,000 one-letter Vorbis comments (1.4 MB; ExifTool alone 32 s) in a FLAC are quick 422s", async () => {
    const flac = await made("plain.flac", ["-f", "lavfi", "-i", "sine=d=1"]);
    // STREAMINFO stays first; no longer the last block.
    const info = Buffer.from(flac.subarray(4, 42));
    info[0] = info[0]! & 0x7f;
    await expectQuickRefusal("blocks.flac", Buffer.concat([flac.subarray(0, 4), info, times(1_000_000, Buffer.from([1, 0, 0, 0])), flac.subarray(42)]));
    const count = Buffer.alloc(8);
    count.writeUInt32LE(200_000, 4);
    const comments = Buffer.concat([count, times(200_000, Buffer.from("\x03\0\0\0a=b", "latin1"))]);
    const head = Buffer.from([4, 0, 0, 0]);
    head.writeUIntBE(comments.length, 1, 3);
    await expectQuickRefusal("comments.flac", Buffer.concat([flac.subarray(0, 4), info, head, comments, flac.subarray(42)]));
  }, 120_000);

  it("tags short enough to lie within the file's first 64 kB (the screen walks those on the main thread) are still refused past the limits: an ID3v2.2 tag of 10,001 empty frames (60 kB), a FLAC of 10,001 empty padding blocks (40 kB)", async () => {
    const mp3 = await made("short.mp3", ["-f", "lavfi", "-i", "sine=d=1", "-c:a", "libmp3lame", "-id3v2_version", "0"]);
    const frames = times(10_001, Buffer.from("TT2\0\0\0", "latin1"));
    const size = frames.length;
    const header = Buffer.from([0x49, 0x44, 0x33, 2, 0, 0, (size >> 21) & 0x7f, (size >> 14) & 0x7f, (size >> 7) & 0x7f, size & 0x7f]);
    const flac = await made("short.flac", ["-f", "lavfi", "-i", "sine=d=1"]);
    const info = Buffer.from(flac.subarray(4, 42));
    info[0] = info[0]! & 0x7f;
    const padding = times(10_001, Buffer.from([1, 0, 0, 0]));
    // Each with where its tags end, within the 64 kB the screen sees first.
    const files: Array<[string, Buffer, number]> = [
      ["frames22.mp3", Buffer.concat([header, frames, mp3]), header.length + size],
      ["padding.flac", Buffer.concat([flac.subarray(0, 4), info, padding, flac.subarray(42)]), 42 + padding.length],
    ];
    for (const [name, data, tagsEnd] of files) {
      expect(tagsEnd).toBeLessThan(64 * 1024 - 4);
      const res = await postFile(`${server.baseUrl}/api/v1/extract`, { name, data }, { headers: { "X-API-Key": server.apiKey } });
      const body = (await res.json()) as Record<string, unknown>;
      expect(res.status, `${name}: ${JSON.stringify(body)}`).toBe(422);
      await expectQuickRefusal(name, data);
    }
  }, 120_000);

  it("an MP3 whose ID3v2 tag holds a million tiny frames (13 MB; 100,000 took 13 s) is a quick 422", async () => {
    const mp3 = await made("plain.mp3", ["-f", "lavfi", "-i", "sine=d=1", "-c:a", "libmp3lame", "-id3v2_version", "0"]);
    const frame = Buffer.concat([Buffer.from("TXXX", "latin1"), Buffer.from([0, 0, 0, 3, 0, 0, 0, 0x61, 0])]);
    const body = times(1_000_000, frame);
    const size = body.length;
    const header = Buffer.from([0x49, 0x44, 0x33, 3, 0, 0, (size >> 21) & 0x7f, (size >> 14) & 0x7f, (size >> 7) & 0x7f, size & 0x7f]);
    await expectQuickRefusal("frames.mp3", Buffer.concat([header, body, mp3]));
  }, 120_000);
});
