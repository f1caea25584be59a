import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeJxl } from "./helpers/make-formats.js";
import { box, pngChunk } from "./helpers/make-images.js";
import { c2paStore, jumbfBox, jumbfSegments } from "./helpers/make-jumbf.js";
import { findMarker } from "./helpers/marker-scan.js";
import { expectQuickRefusal as expectQuickRefusalOf, removeBytesWatched } from "./helpers/quick-refusal.js";
import { type RunningServer, startServer } from "./helpers/server.js";
import { CONVERT, pixelSignature, run } from "./helpers/tools.js";

/**
 * JUMBF blocks (C2PA manifests) in a JPEG's APP11 segments, a JPEG XL's `jumb` boxes and a PNG's
 * caBX chunk, built to cost ExifTool far more than their size, are quick 422s within bounded
 * memory; files with a manifest of the usual shape are still cleaned (or, for JPEG XL, let through).
 */

let dir: string;
let server: RunningServer;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-hostile-jumbf-"));
  server = await startServer();
});

afterAll(async () => {
  await server?.stop();
  if (dir != null) await fs.rm(dir, { recursive: true, force: true });
});

const expectQuickRefusal = (name: string, data: Buffer) => expectQuickRefusalOf(server, dir, name, data);

/** A 64x48 gradient JPEG (ImageMagick). */
async function plainJpeg(name: string): Promise<Buffer> {
  const file = path.join(dir, name);
  await run(CONVERT, ["-size", "64x48", "gradient:red-blue", file]);
  return fs.readFile(file);
}

/** `jpeg` with `segments` after its start of image. */
const withSegments = (jpeg: Buffer, segments: Buffer[]): Buffer => Buffer.concat([jpeg.subarray(0, 2), ...segments, jpeg.subarray(2)]);

/** A CBOR box of `depth` one-element arrays inside one another, around a zero. */
const deepCbor = (depth: number): Buffer => box("cbor", Buffer.concat([Buffer.alloc(depth, 0x81), Buffer.from([0])]));

describe("JUMBF in a JPEG's APP11 segments", () => {
  it("a segment numbered 40,000,000 (ExifTool 333 MB for 2 kB) is a quick 422", async () => {
    const jpeg = await plainJpeg("hostile.jpg");
    await expectQuickRefusal("numbered.jpg", withSegments(jpeg, jumbfSegments(jumbfBox("c2pa", []), 40_000_000)));
  }, 180_000);

  it("a CBOR box of arrays 60,000 deep (ExifTool past 3 GB) is a quick 422", async () => {
    const jpeg = await plainJpeg("deep.jpg");
    await expectQuickRefusal("deep-cbor.jpg", withSegments(jpeg, jumbfSegments(jumbfBox("c2pa", [deepCbor(60_000)]))));
  }, 180_000);

  it("a JPEG with a C2PA manifest store over two APP11 segments is still cleaned: the marker gone, pixels the same", async () => {
    const marker = "jumbf-marker";
    const jpeg = await plainJpeg("signed.jpg");
    // Past one segment's 65 kB: the store is cut in two.
    const file = withSegments(jpeg, jumbfSegments(jumbfBox("c2pa", [c2paStore(marker), box("free", Buffer.alloc(70_000))])));
    const { result } = await removeBytesWatched(server, dir, "signed-dirty.jpg", file);
    expect(result.status, JSON.stringify(result.body)).toBe(200);
    expect(await findMarker(result.cleaned!, marker)).toEqual([]);
    await fs.writeFile(path.join(dir, "cleaned-signed.jpg"), result.cleaned!);
    expect(await pixelSignature(path.join(dir, "cleaned-signed.jpg"))).toBe(await pixelSignature(path.join(dir, "signed.jpg")));
  }, 120_000);
});

describe("JUMBF in a JPEG XL's jumb boxes", () => {
  it("a jumb box holding a CBOR box of arrays 60,000 deep is a quick 422; one holding a C2PA manifest store is cleaned", async () => {
    const own = path.join(dir, "jxl");
    await fs.mkdir(own);
    const image = await fs.readFile(await makeJxl(own, "jxl-marker"));
    await expectQuickRefusal("deep-cbor.jxl", Buffer.concat([image, jumbfBox("c2pa", [deepCbor(60_000)])]));
    const { result } = await removeBytesWatched(server, dir, "signed.jxl", Buffer.concat([image, c2paStore("jxl-jumbf-marker")]));
    expect(result.status, JSON.stringify(result.body)).toBe(200);
    expect(await findMarker(result.cleaned!, "jxl-jumbf-marker")).toEqual([]);
  }, 180_000);
});

describe("JUMBF in a PNG's caBX chunk", () => {
  it("a caBX chunk holding a CBOR box of arrays 60,000 deep (ExifTool past 3 GB) is a quick 422; one holding a C2PA manifest store is still cleaned: the marker gone, pixels the same", async () => {
    const file = path.join(dir, "plain.png");
    await run(CONVERT, ["-size", "64x48", "gradient:red-blue", file]);
    const png = await fs.readFile(file);
    const ihdrEnd = 8 + 12 + png.readUInt32BE(8);
    const withChunk = (data: Buffer): Buffer => Buffer.concat([png.subarray(0, ihdrEnd), pngChunk("caBX", data), png.subarray(ihdrEnd)]);
    await expectQuickRefusal("deep-cbor.png", withChunk(jumbfBox("c2pa", [deepCbor(60_000)])));
    const marker = "png-jumbf-marker";
    const { result } = await removeBytesWatched(server, dir, "signed.png", withChunk(c2paStore(marker)));
    expect(result.status, JSON.stringify(result.body)).toBe(200);
    expect(await findMarker(result.cleaned!, marker)).toEqual([]);
    await fs.writeFile(path.join(dir, "cleaned-signed.png"), result.cleaned!);
    expect(await pixelSignature(path.join(dir, "cleaned-signed.png"))).toBe(await pixelSignature(file));
  }, 180_000);
});
