import fsp from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { BadFileError } from "../src/cleaners/errors.js";
import { checkSameImages, tiffImages } from "../src/cleaners/image/tiff-images.js";
import { findMarker } from "./helpers/marker-scan.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { startServer, type RunningServer } from "./helpers/server.js";
import { CONVERT, exiftool, run } from "./helpers/tools.js";

/*
 * A TIFF keeps every image it holds: a three-page TIFF comes back through the API with its three
 * pages, each decoding to the same pixels; and the verification's own count of images refuses a
 * copy that lost a page or whose image data changed.
 */

const MARKER = "TIFFpages5521";

let server: RunningServer;
let dir: string;

beforeAll(async () => {
  dir = await fsp.mkdtemp(path.join(os.tmpdir(), "tiff-pages-"));
  server = await startServer();
});

afterAll(async () => {
  await server?.stop();
  if (dir != null) await fsp.rm(dir, { recursive: true, force: true });
});

/** Three pages of different sizes and colours, uncompressed, the marker in IFD0's fields. */
async function threePages(): Promise<string> {
  const file = path.join(dir, "pages.tif");
  await run(CONVERT, ["-size", "32x24", "gradient:red-blue", "-size", "20x10", "gradient:green-yellow", "-size", "8x8", "xc:#336699", "-depth", "8", "-compress", "none", file]);
  await exiftool(["-q", "-overwrite_original", `-IFD0:Artist=${MARKER}`, `-IFD0:DocumentName=${MARKER}`, `-XMP-dc:Creator=${MARKER}`, file]);
  return file;
}

/** Width, height and pixel signature of every frame. */
async function frames(file: string): Promise<string[]> {
  const { stdout } = await run(CONVERT, [file, "-format", "%w %h %#\n", "info:"]);
  return stdout.toString("utf8").trim().split("\n");
}

/** A copy whose directory chain stops after the first page (its image data untouched). */
async function firstPageOnly(file: string): Promise<string> {
  const b = Buffer.from(await fsp.readFile(file));
  const le = b.toString("latin1", 0, 2) === "II";
  const ifd0 = le ? b.readUInt32LE(4) : b.readUInt32BE(4);
  const n = le ? b.readUInt16LE(ifd0) : b.readUInt16BE(ifd0);
  b.fill(0, ifd0 + 2 + n * 12, ifd0 + 2 + n * 12 + 4);
  const out = path.join(dir, "first-page.tif");
  await fsp.writeFile(out, b);
  return out;
}

/**
 * Three pages of JPEG-compressed strips, as scanners and IrfanView write them: ExifTool names
 * such strips a "PreviewImage" wherever they are. Markers in two pages' fields and in XMP.
 */
async function jpegPages(): Promise<string> {
  const file = path.join(dir, "jpeg-pages.tif");
  await run(CONVERT, ["-size", "64x48", "gradient:red-blue", "-size", "40x30", "gradient:green-yellow", "-size", "16x16", "xc:#336699", "-compress", "JPEG", file]);
  await exiftool(["-q", "-overwrite_original", `-IFD0:Artist=${MARKER}`, `-IFD1:Software=${MARKER}`, `-XMP-dc:Creator=${MARKER}`, file]);
  return file;
}

/**
 * A one-page JPEG-compressed TIFF with a comment segment holding `text` written into its strip,
 * after the strip's start of image: every offset past it moves, its byte count grows.
 */
async function jpegPageWithComment(text: string): Promise<string> {
  const file = path.join(dir, "jpeg-comment.tif");
  await run(CONVERT, ["-size", "64x48", "gradient:red-blue", "-compress", "JPEG", file]);
  const b = await fsp.readFile(file);
  expect(b.toString("latin1", 0, 2)).toBe("II");
  const segment = Buffer.concat([Buffer.from([0xff, 0xfe, 0, text.length + 2]), Buffer.from(text, "latin1")]);
  const ifd = b.readUInt32LE(4);
  const sizes: Record<number, number> = { 1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8 };
  let strip = -1;
  for (let i = 0; i < b.readUInt16LE(ifd); i++) {
    const e = ifd + 2 + i * 12;
    const tag = b.readUInt16LE(e);
    if ((sizes[b.readUInt16LE(e + 2)] ?? 1) * b.readUInt32LE(e + 4) > 4 && b.readUInt32LE(e + 8) > strip) b.writeUInt32LE(b.readUInt32LE(e + 8) + segment.length, e + 8);
    if (tag === 273) strip = b.readUInt32LE(e + 8);
    if (tag === 279) b.writeUInt32LE(b.readUInt32LE(e + 8) + segment.length, e + 8);
  }
  // One strip, written first (ImageMagick's layout), its offset inline in the entry.
  expect(strip).toBe(8);
  b.writeUInt32LE(ifd + segment.length, 4);
  await fsp.writeFile(file, Buffer.concat([b.subarray(0, strip + 2), segment, b.subarray(strip + 2)]));
  return file;
}

describe("TIFF images", () => {
  test("a JPEG-compressed page whose strip carries a comment segment is refused, never handed back", async () => {
    const file = await jpegPageWithComment(MARKER);
    // Still a picture to a decoder, and ExifTool does not see the comment.
    expect(await frames(file)).toHaveLength(1);
    expect(await exiftool(["-s3", "-a", "-ee", "-Comment", file])).toBe("");
    const outcome = await removeViaApi(server, file, "jpeg-comment.tif");
    expect(outcome.status, JSON.stringify(outcome.body)).toBe(422);
    expect(outcome.body["error"]).toMatch(/^The TIFF file's JPEG-compressed pictures carry data of their own/);
  });

  test("a TIFF of JPEG-compressed pages, which ExifTool calls previews, comes back with every page", async () => {
    const file = await jpegPages();
    expect(await exiftool(["-s3", "-IFD1:PreviewImageLength", file])).not.toBe("");
    const before = await frames(file);
    expect(before).toHaveLength(3);
    const outcome = await removeViaApi(server, file, "jpeg-pages.tif");
    expect(outcome.status, JSON.stringify(outcome.body)).toBe(200);
    expect(outcome.body["remaining"]).toEqual({});
    const out = path.join(dir, "cleaned-jpeg-pages.tif");
    await fsp.writeFile(out, outcome.cleaned!);
    expect(await frames(out)).toEqual(before);
    expect(await findMarker(out, MARKER)).toEqual([]);
    expect((await tiffImages(out)).map((i) => i.digest)).toEqual((await tiffImages(file)).map((i) => i.digest));
  });

  test("a three-page TIFF comes back with its three pages, pixels unchanged, metadata gone", async () => {
    const file = await threePages();
    const before = await frames(file);
    expect(before).toHaveLength(3);
    const outcome = await removeViaApi(server, file, "pages.tif");
    expect(outcome.status, JSON.stringify(outcome.body)).toBe(200);
    const out = path.join(dir, "cleaned.tif");
    await fsp.writeFile(out, outcome.cleaned!);
    expect(await frames(out)).toEqual(before);
    expect(await findMarker(out, MARKER)).toEqual([]);
    expect(outcome.body["remaining"]).toEqual({});
  });

  test("the verification counts every page and refuses a copy that lost one, or whose image data changed", async () => {
    const file = await threePages();
    expect(await tiffImages(file)).toHaveLength(3);
    await expect(checkSameImages(file, file)).resolves.toBeUndefined();

    const lost = await firstPageOnly(file);
    expect(await frames(lost)).toHaveLength(1);
    const err = await checkSameImages(file, lost).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BadFileError);
    expect(String((err as Error).cause)).toMatch(/tiff: the images \[32x24 .*, 20x10 .*, 8x8 .*\] became \[32x24 [^,]*\]/);

    // One pixel byte of the last page changed: same page count, different data.
    const images = await tiffImages(file);
    const bytes = Buffer.from(await fsp.readFile(file));
    const last = images[2]!;
    const at = bytes.lastIndexOf(Buffer.from([0x33, 0x66, 0x99]));
    expect(at).toBeGreaterThan(0);
    bytes[at] = 0x34;
    const altered = path.join(dir, "altered.tif");
    await fsp.writeFile(altered, bytes);
    expect((await tiffImages(altered))[2]!.digest).not.toBe(last.digest);
    await expect(checkSameImages(file, altered)).rejects.toBeInstanceOf(BadFileError);
  });
});
