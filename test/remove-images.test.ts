import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { KeepOption } from "../src/cleaners/types.js";
import { findMarker } from "./helpers/marker-scan.js";
import { heifPixelSignature, makeGif, makeHeif, makeJpeg, makePng, makeSvg, makeTiff, makeWebp } from "./helpers/make-images.js";
import { postFile, startServer, type RunningServer } from "./helpers/server.js";
import { CONVERT, pixelSignature, run } from "./helpers/tools.js";

const MARKER = "ImgMark_Q7z3Vw";
const ICC_MARKER = "IccKept_R4t8Yx";
const SVG_CONTENT = "Visible_K2p9";

interface Cleaned {
  file: string;
  remaining: Record<string, Record<string, unknown>>;
}

interface Row {
  name: string;
  make(dir: string): Promise<string>;
  keep?: KeepOption[];
  /** The marker that must survive (a kept ICC profile's own text), if any. */
  keptMarker?: string;
  /** Groups `remaining` may hold (lower case), from what `keep` asked for. */
  remaining?: Record<string, string[]>;
  /** The orientation the cleaner must bake into the pixels with a DCT-domain rotation. */
  rotated?: number;
  /** How the pixels are compared (default: ImageMagick's signature of the displayed picture). */
  signature?: (file: string) => Promise<string>;
  /** A JPEG whose scan (SOS to EOI) must come back byte for byte, and span more than one read window. */
  scanCopied?: boolean;
}

const rows: Row[] = [
  { name: "JPEG", make: (d) => makeJpeg(d, MARKER) },
  { name: "JPEG keep=colorProfile", make: (d) => makeJpeg(d, MARKER, { icc: ICC_MARKER }), keep: ["colorProfile"], keptMarker: ICC_MARKER, remaining: { icc_profile: [] } },
  { name: "JPEG orientation 6 keep=orientation", make: (d) => makeJpeg(d, MARKER, { orientation: 6 }), keep: ["orientation"], remaining: { exif: ["Orientation"] } },
  { name: "JPEG orientation 3 (rotated losslessly)", make: (d) => makeJpeg(d, MARKER, { orientation: 3 }), rotated: 3 },
  { name: "JPEG orientation 6 (rotated losslessly)", make: (d) => makeJpeg(d, MARKER, { orientation: 6 }), rotated: 6 },
  // 65x49 is not a whole number of MCUs: no perfect transform exists, so the tag must stay.
  { name: "JPEG orientation 8, odd size (tag kept)", make: (d) => makeJpeg(d, MARKER, { orientation: 8, size: "65x49" }), remaining: { exif: ["Orientation"] } },
  { name: "JPEG orientation 6 keep=colorProfile (rotated, profile kept)", make: (d) => makeJpeg(d, MARKER, { orientation: 6, icc: ICC_MARKER }), keep: ["colorProfile"], keptMarker: ICC_MARKER, remaining: { icc_profile: [] }, rotated: 6 },
  // Image data over a mebibyte: the cleaner reads and writes it a window (1 MiB) at a time.
  { name: "JPEG of over a mebibyte", make: (d) => makeJpeg(d, MARKER, { size: "1600x1200", noisy: true }), scanCopied: true },
  { name: "PNG", make: (d) => makePng(d, MARKER) },
  // PNG cannot be rotated without re-encoding: a non-trivial orientation stays, alone.
  { name: "PNG orientation 6 (tag kept)", make: (d) => makePng(d, MARKER, 6), remaining: { exif: ["Orientation"] } },
  { name: "TIFF", make: (d) => makeTiff(d, MARKER) },
  { name: "TIFF keep=colorProfile", make: (d) => makeTiff(d, MARKER, ICC_MARKER), keep: ["colorProfile"], keptMarker: ICC_MARKER, remaining: { icc_profile: [] } },
  { name: "GIF (animated)", make: (d) => makeGif(d, MARKER) },
  { name: "WebP lossy", make: (d) => makeWebp(d, MARKER, false) },
  { name: "WebP lossless", make: (d) => makeWebp(d, MARKER, true) },
  { name: "HEIC", make: (d) => makeHeif(d, MARKER, "heic") },
  { name: "AVIF", make: (d) => makeHeif(d, MARKER, "avif") },
  // iPhone HEICs carry their ICC profile as a `colr` item property, which ExifTool cannot
  // delete: these were refused ("could not be removed"). It goes by default, stays on request.
  { name: "HEIC with an ICC profile", make: (d) => makeHeif(d, MARKER, "heic", { icc: MARKER }), signature: heifPixelSignature },
  { name: "HEIC with an ICC profile keep=colorProfile", make: (d) => makeHeif(d, MARKER, "heic", { icc: ICC_MARKER }), keep: ["colorProfile"], keptMarker: ICC_MARKER, remaining: { icc_profile: [] }, signature: heifPixelSignature },
  // As a Canon R5 HIF: its version box and item data (`idat`) are structure, refused before.
  { name: "HEIF like a Canon HIF (its CNCV version box in a uuid, an idat box)", make: (d) => makeHeif(d, MARKER, "heic", { canonMeta: true }) },
  // A `free` box is padding (refused before as leftover metadata); what it held goes.
  { name: "AVIF with a free box", make: (d) => makeHeif(d, MARKER, "avif", { freeBox: `left by an editor: ${MARKER}` }) },
  // Title and desc are content: their text must survive.
  { name: "SVG", make: (d) => makeSvg(d, MARKER, SVG_CONTENT), keptMarker: SVG_CONTENT },
  // A root style is presentation, and ids on title/desc are what aria-labelledby points at:
  // both were refused before as leftover metadata.
  { name: "SVG with a root style and a <title id>", make: (d) => makeSvg(d, MARKER, SVG_CONTENT, { presentation: true }), keptMarker: SVG_CONTENT },
  // ExifTool tells an SVG from other XML by its first 256 bytes: these were refused as "XML".
  { name: "SVG after a long comment", make: (d) => makeSvg(d, MARKER, SVG_CONTENT, { longComment: true }), keptMarker: SVG_CONTENT },
  // UTF-16 is as valid an encoding of XML as UTF-8 (refused before as "not well-formed"); the copy is UTF-8.
  { name: "SVG in UTF-16LE", make: (d) => makeSvg(d, MARKER, SVG_CONTENT, { utf16: "le" }), keptMarker: SVG_CONTENT },
  { name: "SVG in UTF-16BE", make: (d) => makeSvg(d, MARKER, SVG_CONTENT, { utf16: "be" }), keptMarker: SVG_CONTENT },
];

let server: RunningServer;
let tmp: string;

beforeAll(async () => {
  server = await startServer();
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), "remove-images-"));
});

afterAll(async () => {
  await server.stop();
  await fs.rm(tmp, { recursive: true, force: true });
});

interface RemoveBody {
  success: boolean;
  error?: string;
  downloadUrl?: string;
  remaining?: Record<string, Record<string, unknown>>;
}

/** POST /api/v1/remove through the real service. */
async function remove(input: string, keep: KeepOption[] = []): Promise<{ status: number; body: RemoveBody }> {
  const res = await postFile(
    `${server.baseUrl}/api/v1/remove`,
    { name: path.basename(input), data: await fs.readFile(input) },
    { headers: { "X-API-Key": server.apiKey }, fields: keep.length > 0 ? { keep: keep.join(",") } : {} },
  );
  return { status: res.status, body: (await res.json()) as RemoveBody };
}

/** Cleans through the API and downloads the result next to the input, with its extension. */
async function clean(input: string, keep: KeepOption[] = []): Promise<Cleaned> {
  const { status, body } = await remove(input, keep);
  expect(status, JSON.stringify(body)).toBe(200);
  expect(body.downloadUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/download-cleaned\//);
  const res = await fetch(body.downloadUrl!);
  expect(res.status).toBe(200);
  const dir = await fs.mkdtemp(path.join(tmp, "out-"));
  // ImageMagick needs the extension to read an SVG.
  const file = path.join(dir, `clean${path.extname(input)}`);
  await fs.writeFile(file, Buffer.from(await res.arrayBuffer()));
  return { file, remaining: body.remaining ?? {} };
}

describe("image removal", () => {
  it.each(rows)("$name: no marker left, same picture, nothing remaining but what was kept", async (row) => {
    const dir = await fs.mkdtemp(path.join(tmp, "gen-"));
    const input = await row.make(dir);
    expect(await findMarker(input, MARKER), "the generator planted the marker").not.toEqual([]);
    const { file, remaining } = await clean(input, row.keep);

    expect(await findMarker(file, MARKER)).toEqual([]);
    if (row.keptMarker != null) expect(await findMarker(file, row.keptMarker)).not.toEqual([]);
    expect(Object.keys(remaining).sort()).toEqual(Object.keys(row.remaining ?? {}).sort());
    for (const [group, tags] of Object.entries(row.remaining ?? {})) {
      if (tags.length > 0) expect(Object.keys(remaining[group] ?? {}).sort()).toEqual(tags);
    }
    if (row.scanCopied === true) await expectScanCopied(input, file);
    if (row.rotated != null) await expectRotatedLosslessly(input, file, row.rotated);
    else {
      const signature = row.signature ?? pixelSignature;
      expect(await signature(file)).toBe(await signature(input));
    }
  });
});

describe("JPEG with bytes where a marker should be", () => {
  // libjpeg skips them ("Corrupt JPEG data: 2 extraneous bytes before marker 0xdb") and decodes the
  // picture; metadata-extractor's "Issue 308.jpg" and "issue 121.jpg" are such photos.
  it("is cleaned like libjpeg reads it: the stray bytes go, the picture stays", async () => {
    const dir = await fs.mkdtemp(path.join(tmp, "stray-"));
    const plain = path.join(dir, "plain.jpg");
    await run(CONVERT, ["-size", "40x30", "gradient:red-blue", "-quality", "90", "-strip", plain]);
    const jpeg = await fs.readFile(plain);
    const dqt = jpeg.indexOf(Buffer.from([0xff, 0xdb]));
    expect(dqt).toBeGreaterThan(0);
    const input = path.join(dir, "stray.jpg");
    await fs.writeFile(input, Buffer.concat([jpeg.subarray(0, dqt), Buffer.from(MARKER, "latin1"), jpeg.subarray(dqt)]));
    expect(await pixelSignature(input)).toBe(await pixelSignature(plain));

    const { file } = await clean(input);
    expect(await findMarker(file, MARKER)).toEqual([]);
    expect(await pixelSignature(file)).toBe(await pixelSignature(plain));
  });
});

/** The cleaned JPEG's only scan, header and data up to its EOI, is a run of the original's bytes. */
async function expectScanCopied(input: string, cleaned: string): Promise<void> {
  const out = await fs.readFile(cleaned);
  const scan = out.subarray(out.indexOf(Buffer.from([0xff, 0xda])), out.length - 2);
  expect(scan.length).toBeGreaterThan(1024 * 1024);
  expect((await fs.readFile(input)).includes(scan)).toBe(true);
}

/** The jpegtran transform that undoes each orientation's rotation. */
const UNDO: Record<number, string[]> = {
  2: ["-flip", "horizontal"], 3: ["-rotate", "180"], 4: ["-flip", "vertical"], 5: ["-transpose"],
  6: ["-rotate", "270"], 7: ["-transverse"], 8: ["-rotate", "90"],
};

/**
 * A rotation done on DCT coefficients (jpegtran -perfect) loses nothing, yet libjpeg's decoder
 * rounds (IDCT, chroma upsampling) a little differently on the rotated layout, so decoded pixels
 * may differ by a few levels and the strict signature cannot match. Two checks instead: the
 * picture displays the same way within that rounding, and rotating the cleaned file back with
 * the inverse perfect transform gives exactly the original stored pixels.
 */
async function expectRotatedLosslessly(input: string, cleaned: string, orientation: number): Promise<void> {
  const { stdout } = await run(CONVERT, [`${input}[0]`, "-auto-orient", `${cleaned}[0]`, "-auto-orient", "-metric", "PAE", "-compare", "-format", "%[distortion]", "info:"]);
  expect(Number(stdout.toString("utf8").trim())).toBeLessThanOrEqual(4 / 255);
  const undone = `${cleaned}.undone.jpg`;
  await run("/usr/bin/jpegtran", ["-perfect", ...(UNDO[orientation] ?? []), "-outfile", undone, cleaned]);
  expect(await storedSignature(undone)).toBe(await storedSignature(input));
}

/** The signature of the pixels as stored, ignoring any orientation tag. */
async function storedSignature(file: string): Promise<string> {
  const { stdout } = await run(CONVERT, [`${file}[0]`, "-format", "%#", "info:"]);
  return stdout.toString("utf8").trim();
}

describe("files the image cleaners refuse", () => {
  it("a type nobody cleans: 422, no download", async () => {
    const file = path.join(tmp, "page.xml");
    await fs.writeFile(file, "<?xml version='1.0'?><notes>just some text</notes>\n");
    const { status, body } = await remove(file);
    expect(status).toBe(422);
    expect(body.error).toMatch(/^Metadata removal is not supported for this file type \(.+\)$/);
    expect(body.downloadUrl).toBeUndefined();
  });

  it("garbage after a JPEG magic number: 422, no download", async () => {
    const file = path.join(tmp, "garbage.jpg");
    await fs.writeFile(file, Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10]), Buffer.from("JFIF\0 not really a jpeg at all")]));
    const { status, body } = await remove(file);
    expect(status).toBe(422);
    expect(body.downloadUrl).toBeUndefined();
  });

  // Found by the fuzz run: a bit flip left a field too short for the value the cleaner read (500).
  it.each([
    ["type", 2, (b: Buffer, at: number, le: boolean) => (le ? b.writeUInt16LE(1, at) : b.writeUInt16BE(1, at))],
    ["count", 4, (b: Buffer, at: number, le: boolean) => (le ? b.writeUInt32LE(0, at) : b.writeUInt32BE(0, at))],
  ] as const)("a TIFF whose Compression field has a damaged %s: 422, no download", async (_what, fieldOffset, damage) => {
    const dir = await fs.mkdtemp(path.join(tmp, "tiff-field-"));
    const bytes = await fs.readFile(await makeTiff(dir, MARKER));
    const entry = ifd0Entry(bytes, 259);
    damage(bytes, entry + fieldOffset, bytes.toString("latin1", 0, 2) === "II");
    const file = path.join(dir, "damaged.tif");
    await fs.writeFile(file, bytes);
    const { status, body } = await remove(file);
    expect(status, JSON.stringify(body)).toBe(422);
    expect(body.error).toMatch(/^The TIFF file is damaged: /);
    expect(body.downloadUrl).toBeUndefined();
  });

  // Found by the fuzz run: a flipped bit in WhitePoint's count made the cleaner copy the XMP packet
  // that followed its value as if it were part of it. Here WhitePoint is stretched to the end of the
  // file, or the strip to the whole file after the header, over the metadata stored there. A
  // WhitePoint has two values, all a reader takes: the copy keeps those and nothing after them.
  it("a TIFF whose WhitePoint's count reaches over its metadata: its two values kept, nothing after them", async () => {
    const dir = await fs.mkdtemp(path.join(tmp, "tiff-whitepoint-"));
    const made = await makeTiff(dir, MARKER);
    const bytes = await fs.readFile(made);
    const le = bytes.toString("latin1", 0, 2) === "II";
    const entry = ifd0Entry(bytes, 318);
    const valueAt = le ? bytes.readUInt32LE(entry + 8) : bytes.readUInt32BE(entry + 8);
    const count = Math.floor((bytes.length - valueAt) / 8);
    if (le) bytes.writeUInt32LE(count, entry + 4);
    else bytes.writeUInt32BE(count, entry + 4);
    const file = path.join(dir, "stretched.tif");
    await fs.writeFile(file, bytes);
    const { file: out } = await clean(file);
    expect(await findMarker(out, MARKER)).toEqual([]);
    expect(await pixelSignature(out)).toBe(await pixelSignature(made));
  });

  it("a TIFF whose strip reaches over its metadata: 422, no download", async () => {
    const tag = 279;
    const dir = await fs.mkdtemp(path.join(tmp, "tiff-overlap-"));
    const bytes = await fs.readFile(await makeTiff(dir, MARKER));
    const le = bytes.toString("latin1", 0, 2) === "II";
    const u32 = (at: number): number => (le ? bytes.readUInt32LE(at) : bytes.readUInt32BE(at));
    const setU32 = (v: number, at: number): number => (le ? bytes.writeUInt32LE(v, at) : bytes.writeUInt32BE(v, at));
    const entry = ifd0Entry(bytes, tag);
    const offsets = ifd0Entry(bytes, 273);
    const typeOf = (at: number): number => (le ? bytes.readUInt16LE(at + 2) : bytes.readUInt16BE(at + 2));
    expect([typeOf(offsets), typeOf(entry), u32(offsets + 4)], "one strip, offset and count as LONGs").toEqual([4, 4, 1]);
    setU32(8, offsets + 8);
    setU32(bytes.length - 8, entry + 8);
    const file = path.join(dir, "stretched.tif");
    await fs.writeFile(file, bytes);
    const { status, body } = await remove(file);
    expect(status, JSON.stringify(body)).toBe(422);
    expect(body.error).toBe("The TIFF file is damaged: its picture fields overlap its metadata.");
    expect(body.downloadUrl).toBeUndefined();
  });

  // Found by the fuzz run: with the `<!` of a comment zeroed, the lenient parser kept the comment's
  // text (the marker) as character data. Such a file is not XML any more: refused.
  it.each([
    ["NUL", 0x00],
    ["0xFF", 0xff],
  ] as const)("an SVG whose comment opener is overwritten with %s bytes: 422, no download", async (_what, fill) => {
    const dir = await fs.mkdtemp(path.join(tmp, "svg-comment-"));
    const bytes = await fs.readFile(await makeSvg(dir, MARKER, SVG_CONTENT));
    const at = bytes.indexOf(`<!-- ${MARKER}`);
    expect(at).toBeGreaterThan(0);
    bytes.fill(fill, at, at + 2);
    const file = path.join(dir, "damaged.svg");
    await fs.writeFile(file, bytes);
    const { status, body } = await remove(file);
    expect(status, JSON.stringify(body)).toBe(422);
    expect(body.error).toBe("The SVG file is damaged: it is not well-formed XML.");
    expect(body.downloadUrl).toBeUndefined();
  });

  it("a truncated JPEG is either refused or handed back verified clean", async () => {
    const dir = await fs.mkdtemp(path.join(tmp, "trunc-"));
    const whole = await fs.readFile(await makeJpeg(dir, MARKER));
    for (const cut of [100, 3000, Math.floor(whole.length * 0.9)]) {
      const file = path.join(dir, `cut-${cut}.jpg`);
      await fs.writeFile(file, whole.subarray(0, cut));
      const { status, body } = await remove(file);
      if (status === 422) {
        expect(body.downloadUrl, `cut at ${cut}`).toBeUndefined();
        continue;
      }
      expect(status, `cut at ${cut}`).toBe(200);
      const bytes = Buffer.from(await (await fetch(body.downloadUrl!)).arrayBuffer());
      expect(await findMarker(bytes, MARKER), `cut at ${cut}`).toEqual([]);
    }
  });
});

/** The offset of IFD0's entry for `tag` in a classic TIFF. */
function ifd0Entry(tiff: Buffer, tag: number): number {
  const le = tiff.toString("latin1", 0, 2) === "II";
  const u16 = (at: number): number => (le ? tiff.readUInt16LE(at) : tiff.readUInt16BE(at));
  const ifd = le ? tiff.readUInt32LE(4) : tiff.readUInt32BE(4);
  for (let i = 0; i < u16(ifd); i++) {
    const at = ifd + 2 + i * 12;
    if (u16(at) === tag) return at;
  }
  throw new Error(`IFD0 has no tag ${tag}`);
}
