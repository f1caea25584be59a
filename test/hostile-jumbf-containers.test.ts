import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { box } from "./helpers/make-images.js";
import { c2paStore } from "./helpers/make-jumbf.js";
import { findMarker } from "./helpers/marker-scan.js";
import { expectQuickRefusal, removeBytesWatched, TOO_COMPLEX } from "./helpers/quick-refusal.js";
import { postFile, type RunningServer, startServer } from "./helpers/server.js";
import { CONVERT, ffmpegQuiet, pixelSignature, run } from "./helpers/tools.js";

/**
 * JUMBF blocks (C2PA manifests) where ExifTool 13 reads them besides JPEG, JPEG XL and PNG: a
 * WebP's C2PA chunk, a GIF's C2PA_GIF application extension, and an ISO BMFF file's top-level C2PA
 * `uuid` box (MP4, HEIC: a manifest store, or a Merkle tree in CBOR). 10,000 superboxes inside one
 * another (80 kB) took the service 14-42 s (ExifTool 3.6-9.5 s of CPU, the tree 500-740 MB), a
 * 100,000-key CBOR map (900 kB) 52 s (12 s of CPU): each now a quick 422 for extraction and
 * removal alike, while a file with a usual manifest is still cleaned.
 */

let dir: string;
let server: RunningServer;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-hostile-jumbf-containers-"));
  server = await startServer();
});

afterAll(async () => {
  await server?.stop();
  if (dir != null) await fs.rm(dir, { recursive: true, force: true });
});

/** `depth` JUMBF superboxes inside one another around an empty box. */
function nestedSuperboxes(depth: number): Buffer {
  let inner = box("free", Buffer.alloc(0));
  for (let i = 0; i < depth; i++) inner = box("jumb", inner);
  return inner;
}

/** A CBOR map of `n` integer keys, each to zero. */
function cborMap(n: number): Buffer {
  const out = Buffer.alloc(5 + 6 * n);
  out[0] = 0xba;
  out.writeUInt32BE(n, 1);
  for (let i = 0; i < n; i++) {
    out[5 + 6 * i] = 0x1a;
    out.writeUInt32BE(i, 6 + 6 * i);
  }
  return out;
}

/** A WebP with a C2PA chunk holding `jumbf` at its end, the RIFF size fixed. */
function webpWith(webp: Buffer, jumbf: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.write("C2PA", 0, "latin1");
  head.writeUInt32LE(jumbf.length, 4);
  const out = Buffer.concat([webp, head, jumbf, Buffer.alloc(jumbf.length % 2)]);
  out.writeUInt32LE(out.length - 8, 4);
  return out;
}

/** A GIF with C2PA's application extension holding `jumbf` after its global colour table. */
function gifWith(gif: Buffer, jumbf: Buffer): Buffer {
  const blocks: Buffer[] = [];
  for (let at = 0; at < jumbf.length; at += 255) {
    const piece = jumbf.subarray(at, at + 255);
    blocks.push(Buffer.from([piece.length]), piece);
  }
  const extension = Buffer.concat([Buffer.from([0x21, 0xff, 0x0b]), Buffer.from("C2PA_GIF", "latin1"), Buffer.from([1, 0, 0]), ...blocks, Buffer.from([0])]);
  const at = afterColourTable(gif);
  return Buffer.concat([gif.subarray(0, at), extension, gif.subarray(at)]);
}

/** Where a GIF's blocks start: after its header, screen descriptor and global colour table. */
function afterColourTable(gif: Buffer): number {
  const packed = gif[10]!;
  return 13 + ((packed & 0x80) !== 0 ? 3 * (1 << ((packed & 7) + 1)) : 0);
}

const C2PA_UUID = Buffer.from("d8fec3d61b0e483c92975828877ec481", "hex");

/** An ISO BMFF file with C2PA's top-level `uuid` box appended: a manifest store (JUMBF) or a Merkle tree (CBOR). */
function isoWith(file: Buffer, kind: "manifest" | "merkle", data: Buffer): Buffer {
  const lead = kind === "manifest" ? Buffer.concat([Buffer.from("manifest\0", "latin1"), Buffer.alloc(8)]) : Buffer.from("merkle\0", "latin1");
  return Buffer.concat([file, box("uuid", Buffer.concat([C2PA_UUID, Buffer.alloc(4), lead, data]))]);
}

async function made(name: string, make: (file: string) => Promise<unknown>): Promise<Buffer> {
  const file = path.join(dir, name);
  await make(file);
  return fs.readFile(file);
}

const picture = (name: string) => made(name, (file) => run(CONVERT, ["-size", "64x48", "gradient:red-blue", file]));
const movie = () => made("plain.mp4", (file) => run("ffmpeg", [...ffmpegQuiet, "-f", "lavfi", "-i", "testsrc=s=64x48:d=1", "-frames:v", "2", file]));
const heic = async () => {
  await picture("heic-source.png");
  return made("plain.heic", (file) => run("/usr/bin/heif-enc", ["-q", "90", "-o", file, path.join(dir, "heic-source.png")]));
};

/** Extraction and removal of `data` are both quick 422s, the service answering meanwhile. */
async function expectBothRefused(name: string, data: Buffer): Promise<void> {
  const res = await postFile(`${server.baseUrl}/api/v1/extract`, { name, data }, { headers: { "X-API-Key": server.apiKey } });
  const body = (await res.json()) as Record<string, unknown>;
  expect(res.status, `${name}: ${JSON.stringify(body)}`).toBe(422);
  expect(body["error"]).toBe(TOO_COMPLEX);
  await expectQuickRefusal(server, dir, name, data);
}

/** Removal of `data` (a usual manifest naming `marker`) is a 200 whose copy holds no marker; returns the copy's path. */
async function expectCleaned(name: string, data: Buffer, marker: string): Promise<string> {
  const { result } = await removeBytesWatched(server, dir, name, data);
  expect(result.status, JSON.stringify(result.body)).toBe(200);
  expect(await findMarker(result.cleaned!, marker)).toEqual([]);
  const out = path.join(dir, `cleaned-${name}`);
  await fs.writeFile(out, result.cleaned!);
  return out;
}

describe("JUMBF outside JPEG, JPEG XL and PNG", () => {
  it("a WebP's C2PA chunk of 10,000 nested superboxes (80 kB; ExifTool 9.5 s of CPU, the service 42 s and 740 MB) is a quick 422; a usual manifest is still cleaned, pixels the same", async () => {
    const webp = await picture("plain.webp");
    await expectBothRefused("deep.webp", webpWith(webp, nestedSuperboxes(10_000)));
    const out = await expectCleaned("signed.webp", webpWith(webp, c2paStore("webp-jumbf-marker")), "webp-jumbf-marker");
    expect(await pixelSignature(out)).toBe(await pixelSignature(path.join(dir, "plain.webp")));
  }, 120_000);

  it("a GIF's C2PA_GIF extension of 10,000 nested superboxes (ExifTool 3.6 s of CPU, the service 16 s and 600 MB), or of 5 million one-byte sub-blocks as a comment is too, is a quick 422; a usual manifest is still cleaned, pixels the same", async () => {
    const gif = await picture("plain.gif");
    await expectBothRefused("deep.gif", gifWith(gif, nestedSuperboxes(10_000)));
    // Its data, or a comment's, in 5 million one-byte sub-blocks (10 MB): ExifTool 3-4 s of CPU reading them.
    const oneByteBlocks = Buffer.alloc(10_000_000, 1);
    const at = afterColourTable(gif);
    await expectBothRefused("c2pa-blocks.gif", Buffer.concat([gif.subarray(0, at), Buffer.from([0x21, 0xff, 0x0b]), Buffer.from("C2PA_GIF\x01\0\0", "latin1"), oneByteBlocks, Buffer.from([0]), gif.subarray(at)]));
    await expectBothRefused("comment-blocks.gif", Buffer.concat([gif.subarray(0, at), Buffer.from([0x21, 0xfe]), oneByteBlocks, Buffer.from([0]), gif.subarray(at)]));
    const out = await expectCleaned("signed.gif", gifWith(gif, c2paStore("gif-jumbf-marker")), "gif-jumbf-marker");
    expect(await pixelSignature(out)).toBe(await pixelSignature(path.join(dir, "plain.gif")));
  }, 120_000);

  it("an MP4's and a HEIC's C2PA uuid box of 10,000 nested superboxes (ExifTool 4-5 s of CPU, 14-21 s) or a 100,000-key Merkle CBOR map (52 s, 12 s of CPU) are quick 422s; usual manifests are still cleaned", async () => {
    const mp4 = await movie();
    const image = await heic();
    await expectBothRefused("deep.mp4", isoWith(mp4, "manifest", nestedSuperboxes(10_000)));
    await expectBothRefused("merkle.mp4", isoWith(mp4, "merkle", cborMap(100_000)));
    await expectBothRefused("deep.heic", isoWith(image, "manifest", nestedSuperboxes(10_000)));
    await expectCleaned("signed.mp4", isoWith(mp4, "manifest", c2paStore("mp4-jumbf-marker")), "mp4-jumbf-marker");
    await expectCleaned("signed.heic", isoWith(image, "manifest", c2paStore("heic-jumbf-marker")), "heic-jumbf-marker");
  }, 180_000);
});
