import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import CFB from "cfb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MAX_MATROSKA_ELEMENTS } from "../src/cleaners/media/matroska-screen.js";
import { makeMarkedLegacyOffice } from "./helpers/make-legacy-office.js";
import { streamHash } from "./helpers/make-media.js";
import { findMarker } from "./helpers/marker-scan.js";
import { type RunningServer, postFile, startServer } from "./helpers/server.js";
import { CONVERT, exiftool, ffmpegQuiet, pixelSignature, run } from "./helpers/tools.js";
import { watchRemoval } from "./helpers/watch-service.js";
import { expectQuickRefusal as expectQuickRefusalOf, removeBytesWatched } from "./helpers/quick-refusal.js";

/**
 * Files of many tiny structures that ExifTool or our cleaners walk one by one (TIFF directories
 * and their entries, Matroska elements, compound files' directory entries): each a quick 422 within bounded memory, while real files of many such
 * structures (a TIFF of thousands of pages, a directory of hundreds of entries) are still cleaned.
 */


let dir: string;
let server: RunningServer;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-hostile-structs-"));
  server = await startServer();
});

afterAll(async () => {
  await server?.stop();
  if (dir != null) await fs.rm(dir, { recursive: true, force: true });
});

const removeWatched = (name: string, data: Buffer) => removeBytesWatched(server, dir, name, data);

const expectQuickRefusal = (name: string, data: Buffer) => expectQuickRefusalOf(server, dir, name, data);

/** A classic little-endian TIFF field: tag, type (2 ASCII, 3 SHORT, 4 LONG), count, value or offset. */
type Field = [tag: number, type: number, count: number, value: number];

const SHORT = 3;
const LONG = 4;
/** A 1x1 8-bit grey page whose one pixel is at offset 8. */
const ONE_PIXEL: Field[] = [
  [256, SHORT, 1, 1],
  [257, SHORT, 1, 1],
  [258, SHORT, 1, 8],
  [259, SHORT, 1, 1],
  [262, SHORT, 1, 1],
  [273, LONG, 1, 8],
  [277, SHORT, 1, 1],
  [278, SHORT, 1, 1],
  [279, LONG, 1, 1],
];

/** One IFD (fields sorted by tag) pointing at `next`. */
function ifd(fields: readonly Field[], next: number): Buffer {
  const b = Buffer.alloc(2 + fields.length * 12 + 4);
  b.writeUInt16LE(fields.length, 0);
  [...fields]
    .sort((a, z) => a[0] - z[0])
    .forEach(([tag, type, count, value], i) => {
      const at = 2 + i * 12;
      b.writeUInt16LE(tag, at);
      b.writeUInt16LE(type, at + 2);
      b.writeUInt32LE(count, at + 4);
      if (type === SHORT && count === 1) b.writeUInt16LE(value, at + 8);
      else b.writeUInt32LE(value, at + 8);
    });
  b.writeUInt32LE(next, 2 + fields.length * 12);
  return b;
}

/**
 * A TIFF of `pages` one-pixel pages chained one after the other, the first with `extra` fields
 * too, then `tail` (values the extra fields point at, which start at the returned `tailAt`).
 */
function chainedTiff(pages: number, extra: (tailAt: number) => Field[] = () => [], tail = Buffer.alloc(0)): Buffer {
  const header = Buffer.from([0x49, 0x49, 42, 0, 10, 0, 0, 0, 0x80, 0]);
  const firstLength = 2 + (ONE_PIXEL.length + extra(0).length) * 12 + 4;
  const pageLength = 2 + ONE_PIXEL.length * 12 + 4;
  const tailAt = 10 + firstLength + (pages - 1) * pageLength;
  const parts: Buffer[] = [header];
  for (let i = 0, at = 10; i < pages; i++) {
    const fields = i === 0 ? [...ONE_PIXEL, ...extra(tailAt)] : ONE_PIXEL;
    const length = 2 + fields.length * 12 + 4;
    parts.push(ifd(fields, i === pages - 1 ? 0 : at + length));
    at += length;
  }
  return Buffer.concat([...parts, tail]);
}

/** `n` private fields (tags 65535 down) of SHORT 1. */
const privateShorts = (n: number): Field[] => Array.from({ length: n }, (_, i) => [65535 - i, SHORT, 1, 1]);

/**
 * `pages` one-pixel pages from a Canon camera, each whose EXIF directory holds a maker note: a
 * bare directory of `fields(valuesAt)` (Canon's layout: offsets from the TIFF's start) followed by
 * `values`, which start at `valuesAt`.
 */
function cameraPages(pages: number, fields: (valuesAt: number) => Field[], values = Buffer.alloc(0)): Buffer {
  const make = Buffer.from("Canon\0", "latin1");
  const pageIfdLength = 2 + (ONE_PIXEL.length + 2) * 12 + 4;
  const exifLength = 2 + 12 + 4;
  const noteIfdLength = 2 + fields(0).length * 12 + 4;
  const pageLength = pageIfdLength + make.length + exifLength + noteIfdLength + values.length;
  const parts: Buffer[] = [Buffer.from([0x49, 0x49, 42, 0, 10, 0, 0, 0, 0x80, 0])];
  for (let p = 0; p < pages; p++) {
    const makeAt = 10 + p * pageLength + pageIfdLength;
    const exifAt = makeAt + make.length;
    const noteAt = exifAt + exifLength;
    const page: Field[] = [...ONE_PIXEL, [271, 2, make.length, makeAt], [34665, LONG, 1, exifAt]];
    parts.push(ifd(page, p === pages - 1 ? 0 : 10 + (p + 1) * pageLength), make);
    parts.push(ifd([[37500, 7, noteIfdLength + values.length, noteAt]], 0), ifd(fields(noteAt + noteIfdLength), 0), values);
  }
  return Buffer.concat(parts);
}

describe("TIFF", () => {
  it("a chain of 100,000 one-pixel pages (11 MB; ExifTool's 60 s timeout, then 422 after 25-100 s) and one directory of 65,535 entries (786 kB; 17 s) are quick 422s", async () => {
    await expectQuickRefusal("chain.tif", chainedTiff(100_000));
    await expectQuickRefusal("wide.tif", chainedTiff(1, () => privateShorts(65_535 - ONE_PIXEL.length)));
  }, 120_000);

  it("a maker note holding a directory of 65,535 entries (786 kB; 13 s and 1.4 MB of JSON) and seven of 15,000 (1.3 MB; together past 100,000) are quick 422s", async () => {
    await expectQuickRefusal("maker-note.tif", cameraPages(1, () => privateShorts(65_535)));
    await expectQuickRefusal("maker-notes.tif", cameraPages(7, () => privateShorts(15_000)));
  }, 120_000);

  it("a maker note of 300 entries, each an ASCII field holding the marker, is still cleaned to the same pixel", async () => {
    const marker = "maker-note-marker";
    const value = Buffer.from(`${marker}\0`, "latin1");
    const tiff = cameraPages(1, (at) => Array.from({ length: 300 }, (_, i): Field => [0xc000 + i, 2, value.length, at + i * value.length]), Buffer.concat(Array<Buffer>(300).fill(value)));
    const { result, file } = await removeWatched("maker-note-300.tif", tiff);
    const read = JSON.parse(await exiftool(["-json", "-G0", "-u", file]))[0] as Record<string, unknown>;
    expect(Object.values(read).filter((v) => v === marker).length).toBe(300);
    expect(result.status, JSON.stringify(result.body)).toBe(200);
    expect(await findMarker(result.cleaned!, marker)).toEqual([]);
    const cleaned = path.join(dir, "cleaned-maker-note-300.tif");
    await fs.writeFile(cleaned, result.cleaned!);
    expect(await pixelSignature(cleaned)).toBe(await pixelSignature(file));
  }, 60_000);

  it("a page whose directory holds 400 entries, each private ASCII field holding the marker, is still cleaned to the same pixel", async () => {
    const marker = "wide-ifd-marker";
    const value = Buffer.from(`${marker}\0`, "latin1");
    const tail = Buffer.concat(Array<Buffer>(391).fill(value));
    const tiff = chainedTiff(1, (tailAt) => Array.from({ length: 391 }, (_, i): Field => [65535 - i, 2, value.length, tailAt + i * value.length]), tail);
    const { result, file } = await removeWatched("hundreds.tif", tiff);
    expect(result.status, JSON.stringify(result.body)).toBe(200);
    expect(await findMarker(result.cleaned!, marker)).toEqual([]);
    const cleaned = path.join(dir, "cleaned-hundreds.tif");
    await fs.writeFile(cleaned, result.cleaned!);
    expect(await pixelSignature(cleaned)).toBe(await pixelSignature(file));
  }, 60_000);

  it("a TIFF of 2,000 pages written by ImageMagick is still cleaned with every page", async () => {
    const marker = "many-pages-marker";
    const file = path.join(dir, "pages.tif");
    await run(CONVERT, ["-size", "2x2", "xc:red", "-duplicate", "1999", "-depth", "8", "-compress", "none", file]);
    await exiftool(["-q", "-overwrite_original", `-IFD0:Artist=${marker}`, `-XMP-dc:Creator=${marker}`, file]);
    const { result } = await watchRemoval(server, file);
    expect(result.status, JSON.stringify(result.body)).toBe(200);
    expect(await findMarker(result.cleaned!, marker)).toEqual([]);
    const cleaned = path.join(dir, "cleaned-pages.tif");
    await fs.writeFile(cleaned, result.cleaned!);
    const { stdout } = await run("identify", ["-format", "%wx%h\\n", cleaned]);
    const pages = stdout.toString("utf8").trim().split("\n");
    expect(pages.length).toBe(2000);
    expect(new Set(pages)).toEqual(new Set(["2x2"]));
  }, 120_000);
});

/** A WebM made by ffmpeg (VP8 and Opus) with `args` before the output, its name in `dir`. */
async function webm(name: string, seconds: number, args: string[] = []): Promise<string> {
  const file = path.join(dir, name);
  const sources = ["-f", "lavfi", "-i", `testsrc=s=32x32:r=30:d=${seconds}`, "-f", "lavfi", "-i", `sine=d=${seconds}`];
  await run("ffmpeg", [...ffmpegQuiet, ...sources, "-c:v", "libvpx", "-b:v", "50k", "-deadline", "realtime", "-c:a", "libopus", "-b:a", "16k", ...args, file]);
  return file;
}

/**
 * The md5 of each decoded video frame or copied audio packet, without timestamps: the remux of
 * a WebM of 2.5 ms Opus frames starts the streams 3 ms later (noticed, not this test's subject).
 */
async function frameHashes(file: string, stream: string): Promise<string[]> {
  return (await streamHash(file, stream, stream.endsWith(":v"))).split("\n").map((line) => line.split(",").at(-1)!.trim());
}

/** The length and value of the EBML size (a variable-length integer) at `at`. */
function ebmlSize(b: Buffer, at: number): { length: number; value: number } {
  const length = Math.clz32(b[at]!) - 23;
  let value = b[at]! & (0xff >> length);
  for (let i = 1; i < length; i++) value = value * 256 + b[at + i]!;
  return { length, value };
}

/** `bytes`, a WebM, with `n` empty Void elements (2 bytes each) just before its first cluster, its segment's size grown to match. */
function withVoids(bytes: Buffer, n: number): Buffer {
  const header = ebmlSize(bytes, 4);
  const segment = 4 + header.length + header.value;
  expect(bytes.readUInt32BE(segment)).toBe(0x18538067);
  const size = ebmlSize(bytes, segment + 4);
  const grown = Buffer.from(bytes);
  // An 8-byte size (ffmpeg writes one) takes the new length whatever it is.
  expect(size.length).toBe(8);
  grown.writeUIntBE(0, segment + 5, 1);
  grown.writeUIntBE(size.value + 2 * n, segment + 6, 6);
  const cluster = grown.indexOf(Buffer.from([0x1f, 0x43, 0xb6, 0x75]));
  return Buffer.concat([grown.subarray(0, cluster), Buffer.alloc(2 * n, Buffer.from([0xec, 0x80])), grown.subarray(cluster)]);
}

/** An EBML element of `id` holding `payload`, its size written on 8 bytes. */
function ebmlElement(id: number[], payload: Buffer): Buffer {
  const size = Buffer.alloc(8);
  size[0] = 0x01;
  size.writeUIntBE(payload.length, 2, 6);
  return Buffer.concat([Buffer.from(id), size, payload]);
}

/** An EBML unsigned integer element of `id` on 4 bytes. */
function ebmlUint(id: number[], value: number): Buffer {
  const b = Buffer.alloc(5);
  b[0] = 0x84;
  b.writeUInt32BE(value, 1);
  return Buffer.concat([Buffer.from(id), b]);
}

/**
 * `bytes`, a WebM whose last element is its index (ffmpeg writes it so), with that index replaced
 * by one of `n` cue points, as an all-intra recording has one per frame (they point at the file's
 * own clusters in turn), its segment's size grown to match.
 */
function withCuePoints(bytes: Buffer, n: number): Buffer {
  const header = ebmlSize(bytes, 4);
  const segment = 4 + header.length + header.value;
  const size = ebmlSize(bytes, segment + 4);
  expect(size.length).toBe(8);
  const data = segment + 4 + size.length;
  const clusters: number[] = [];
  let cues = -1;
  for (let at = data; at < bytes.length; ) {
    // An element ID is as long as its first byte's leading zeros say (a Void's is one byte).
    const idLength = Math.clz32(bytes[at]!) - 23;
    const id = bytes.readUIntBE(at, idLength);
    const s = ebmlSize(bytes, at + idLength);
    if (id === 0x1f43b675) clusters.push(at - data);
    if (id === 0x1c53bb6b) cues = at;
    at += idLength + s.length + s.value;
  }
  expect(cues).toBeGreaterThan(0);
  const points = Array.from({ length: n }, (_, i) =>
    ebmlElement([0xbb], Buffer.concat([ebmlUint([0xb3], i), ebmlElement([0xb7], Buffer.concat([ebmlUint([0xf7], 1), ebmlUint([0xf1], clusters[i % clusters.length]!)]))])),
  );
  const grown = Buffer.concat([bytes.subarray(0, cues), ebmlElement([0x1c, 0x53, 0xbb, 0x6b], Buffer.concat(points))]);
  grown.writeUIntBE(0, segment + 5, 1);
  grown.writeUIntBE(grown.length - data, segment + 6, 6);
  return grown;
}

describe("Matroska", () => {
  it("a WebM of a million empty Void elements (2 MB; cleaned 200 in 10-18 s) is a quick 422", async () => {
    const plain = await fs.readFile(await webm("plain.webm", 1));
    await expectQuickRefusal("voids.webm", withVoids(plain, 1_000_000));
  }, 120_000);

  it("a WebM of 120,000 blocks (more than the other elements allowed), and a live one whose segment's size is unknown, are still cleaned, their frames unchanged", async () => {
    const marker = "webm-blocks-marker";
    const tags = ["-metadata", `title=${marker}`, "-metadata:s:a", `handler_name=${marker}`];
    // Opus frames of 2.5 ms: 400 blocks a second (one frame a second of video: audio alone is MKA, which is not cleaned).
    const blocks = await webm("blocks.webm", 300, ["-r", "1", "-frame_duration", "2.5", ...tags]);
    const live = await webm("live.webm", 20, [...tags, "-live", "1"]);
    for (const [file, streams] of [[blocks, ["0:v", "0:a"]], [live, ["0:v", "0:a"]]] as const) {
      const { result } = await watchRemoval(server, file);
      expect(result.status, JSON.stringify(result.body)).toBe(200);
      expect(await findMarker(result.cleaned!, marker)).toEqual([]);
      const cleaned = path.join(dir, `cleaned-${path.basename(file)}`);
      await fs.writeFile(cleaned, result.cleaned!);
      for (const stream of streams) {
        const before = await frameHashes(file, stream);
        if (file === blocks && stream === "0:a") expect(before.length).toBeGreaterThan(MAX_MATROSKA_ELEMENTS);
        expect(await frameHashes(cleaned, stream)).toEqual(before);
      }
    }
  }, 180_000);

  it("a WebM indexed by 100,000 cue points, as an hour of all-intra video is, is cleaned and read in seconds (ExifTool's unknown tags took 54 s of a quiet machine on it, past its timeout on a busy one)", async () => {
    const marker = "webm-cues-marker";
    const plain = await fs.readFile(await webm("indexed.webm", 2, ["-an", "-g", "1", "-metadata", `title=${marker}`]));
    const file = path.join(dir, "many-cues.webm");
    await fs.writeFile(file, withCuePoints(plain, 100_000));
    const { result, ms, peakTreeMb, slowestHealthMs } = await watchRemoval(server, file);
    expect(result.status, JSON.stringify(result.body)).toBe(200);
    expect(ms).toBeLessThan(30_000);
    expect(peakTreeMb).toBeLessThan(600);
    expect(slowestHealthMs).toBeLessThan(1_000);
    expect(await findMarker(result.cleaned!, marker)).toEqual([]);
    const cleaned = path.join(dir, "cleaned-many-cues.webm");
    await fs.writeFile(cleaned, result.cleaned!);
    const before = await frameHashes(file, "0:v");
    expect(before.length).toBe(60);
    expect(await frameHashes(cleaned, "0:v")).toEqual(before);
    const res = await postFile(`${server.baseUrl}/api/v1/extract`, { name: "many-cues.webm", data: await fs.readFile(file) }, { headers: { "X-API-Key": server.apiKey } });
    const body = await res.text();
    expect(res.status, body).toBe(200);
    expect(body).toContain(marker);
  }, 120_000);
});

/** The compound file `file` with `n` more empty streams in its root storage. */
async function withEmptyStreams(file: string, n: number): Promise<Buffer> {
  const cfb = CFB.read(await fs.readFile(file), { type: "buffer" });
  const root = cfb.FullPaths[0]!;
  // Pushed directly: CFB.utils.cfb_add checks every name against all others (minutes for 100,000).
  for (let i = 0; i < n; i++) {
    cfb.FileIndex.push({ name: `x${i}`, type: 2, content: Buffer.alloc(0), size: 0, color: 0, clsid: "", state: 0, start: 0 });
    cfb.FullPaths.push(`${root}x${i}`);
  }
  return CFB.write(cfb, { type: "buffer" }) as Buffer;
}

describe("compound files", () => {
  it("a Word document of 100,000 empty streams (13 MB; 422 after 28 s, the process tree at ~700 MB) is a quick 422, while one of 3,000 is still cleaned", async () => {
    const marker = "compound-dir-marker";
    const doc = await makeMarkedLegacyOffice(dir, "doc", marker);
    await expectQuickRefusal("streams.doc", await withEmptyStreams(doc, 100_000));
    const { result } = await removeWatched("some-streams.doc", await withEmptyStreams(doc, 3_000));
    expect(result.status, JSON.stringify(result.body)).toBe(200);
    expect(await findMarker(result.cleaned!, marker)).toEqual([]);
  }, 180_000);
});
