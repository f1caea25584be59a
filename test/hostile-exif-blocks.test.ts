import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import zlib from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cameraExif, cameraSettingsExif, EXIF_RESOURCE, exifSegment, heifWithExifItems, heifWithItems, photoshopResource, rawProfile, sharedArrayExif, sharedTablesExif } from "./helpers/make-exif-blocks.js";
import { makeJp2, makeJxl } from "./helpers/make-formats.js";
import { box, childBoxes, heifPixelSignature, makeHeif, pngChunk } from "./helpers/make-images.js";
import { findMarker } from "./helpers/marker-scan.js";
import { expectQuickRefusal as expectQuickRefusalOf, removeBytesWatched } from "./helpers/quick-refusal.js";
import { type RunningServer, startServer } from "./helpers/server.js";
import { CONVERT, exiftool, pixelSignature, run } from "./helpers/tools.js";

/**
 * EXIF blocks in the places of a file ExifTool reads them from besides a JPEG's APP1 segments, a
 * PNG's eXIf chunk and a WebP's EXIF chunk (see hostile-chunks): each holding maker notes of
 * thousands of entries is a quick 422 within bounded memory, while files with a real camera's
 * maker note are still cleaned.
 */

let dir: string;
let server: RunningServer;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-hostile-exif-blocks-"));
  server = await startServer();
});

afterAll(async () => {
  await server?.stop();
  if (dir != null) await fs.rm(dir, { recursive: true, force: true });
});

const expectQuickRefusal = (name: string, data: Buffer) => expectQuickRefusalOf(server, dir, name, data);

const times = (n: number, piece: Buffer): Buffer => Buffer.concat(Array<Buffer>(n).fill(piece));

/** A sample of ExifTool's from a Canon camera, whose maker note ExifTool copies into other files. */
const CANON_SAMPLE = fileURLToPath(new URL("./fixtures/raw/CanonRaw.cr2", import.meta.url));

/** `file` with the Canon sample's maker note copied in by ExifTool, its owner's name (a maker note field) set to `marker`. */
async function withCanonMakerNote(file: string, marker: string): Promise<void> {
  await exiftool(["-q", "-q", "-overwrite_original", "-tagsFromFile", CANON_SAMPLE, "-Make", "-Model", "-MakerNotes", file]);
  await exiftool(["-q", "-q", "-overwrite_original", `-MakerNotes:OwnerName=${marker}`, file]);
  const read = JSON.parse(await exiftool(["-json", "-G1", "-OwnerName", file]))[0] as Record<string, unknown>;
  expect(read["Canon:OwnerName"]).toBe(marker);
}

/** A HEIC (heif-enc) or AVIF (ImageMagick) of its own folder in `dir`, tagged by makeHeif. */
async function heif(kind: "heic" | "avif", name: string, marker = "heif-marker"): Promise<string> {
  const own = path.join(dir, name);
  await fs.mkdir(own);
  return makeHeif(own, marker, kind);
}

describe("HEIC and AVIF EXIF items", () => {
  it("twenty EXIF items each reading one maker note of 16,000 entries (197 kB; ExifTool 16 s at 390 MB, then 200 with 5 MB of JSON) and one item of 5,000 extents of it (ExifTool killed at its memory cap, the tree at 632 MB) are quick 422s", async () => {
    const block = cameraExif(16_000);
    await expectQuickRefusal("items.heic", heifWithExifItems(await fs.readFile(await heif("heic", "items")), block, 20));
    await expectQuickRefusal("extents.avif", heifWithExifItems(await fs.readFile(await heif("avif", "extents")), block, 1, 5_000));
  }, 120_000);

  it("a HEIC and an AVIF with a Canon camera's maker note, and a HEIC of two EXIF items of 300 maker note entries each, are still cleaned, the markers gone, pixels the same", async () => {
    const marker = "heif-owner-marker";
    const heic = await heif("heic", "canon-heic");
    await withCanonMakerNote(heic, marker);
    const avif = await heif("avif", "canon-avif");
    await withCanonMakerNote(avif, marker);
    const items = path.join(dir, "items-300.heic");
    await fs.writeFile(items, heifWithExifItems(await fs.readFile(await heif("heic", "plain-heic")), cameraExif(300, marker), 2));
    // Both items read, each as a block of its own (a tag per line: JSON keeps one of each name).
    expect((await exiftool(["-a", "-u", "-s", items])).split(marker).length - 1).toBe(600);
    for (const [i, file] of [heic, avif, items].entries()) {
      const { result } = await removeBytesWatched(server, dir, `dirty-${i}${path.extname(file)}`, await fs.readFile(file));
      expect(result.status, JSON.stringify(result.body)).toBe(200);
      expect(result.cleaned!.includes(marker), file).toBe(false);
      expect(result.cleaned!.includes("heif-marker"), file).toBe(false);
      const cleaned = path.join(dir, `cleaned-${i}${path.extname(file)}`);
      await fs.writeFile(cleaned, result.cleaned!);
      expect(await heifPixelSignature(cleaned)).toBe(await heifPixelSignature(file));
    }
  }, 120_000);
});

/** A JPEG XL (cjxl, in its container, tagged by makeJxl) of its own folder in `dir`. */
async function jxl(name: string, marker = "jxl-marker"): Promise<string> {
  const own = path.join(dir, name);
  await fs.mkdir(own);
  return makeJxl(own, marker);
}

/** The payload of an Exif box: the offset of the TIFF header after these 4 bytes (none), then the block. */
const exifPayload = (block: Buffer): Buffer => Buffer.concat([Buffer.alloc(4), block]);
/** A `brob` box: the type of the box it stands for, then that box's payload compressed by Brotli. */
const brob = (type: string, payload: Buffer): Buffer => box("brob", Buffer.concat([Buffer.from(type, "latin1"), zlib.brotliCompressSync(payload)]));

describe("JPEG XL Exif boxes", () => {
  it("twenty Exif boxes each holding a maker note of 16,000 entries (3.8 MB; ExifTool to its 60 s timeout at 414-474 MB), the same Brotli-compressed (brob, which ExifTool reads when it has its Brotli module), a brob inflating to 200 MB (329 bytes) and 100,000 empty boxes (800 kB; 5.6 s) are quick 422s", async () => {
    const image = await fs.readFile(await jxl("hostile"));
    const payload = exifPayload(cameraExif(16_000));
    await expectQuickRefusal("exif-boxes.jxl", Buffer.concat([image, times(20, box("Exif", payload))]));
    await expectQuickRefusal("brob-boxes.jxl", Buffer.concat([image, times(20, brob("Exif", payload))]));
    await expectQuickRefusal("brob-bomb.jxl", Buffer.concat([image, brob("Exif", Buffer.alloc(200 * 1024 * 1024))]));
    await expectQuickRefusal("boxes.jxl", Buffer.concat([image, times(100_000, box("zzzz", Buffer.alloc(0)))]));
  }, 120_000);

  it("a JPEG XL with a Canon camera's maker note, in its Exif box and Brotli-compressed in a brob box, is still cleaned: the markers and the brob box gone, pixels the same", async () => {
    const marker = "jxl-owner-marker";
    const file = await jxl("canon");
    await withCanonMakerNote(file, marker);
    const image = await fs.readFile(file);
    const exif = childBoxes(image, 0, image.length).find((b) => b.type === "Exif");
    expect(exif).toBeDefined();
    const withBrob = Buffer.concat([image, brob("Exif", image.subarray(exif!.at + 8, exif!.at + exif!.size))]);
    const { result } = await removeBytesWatched(server, dir, "canon.jxl", withBrob);
    expect(result.status, JSON.stringify(result.body)).toBe(200);
    expect(result.cleaned!.includes(marker)).toBe(false);
    expect(result.cleaned!.includes("jxl-marker")).toBe(false);
    expect(childBoxes(result.cleaned!, 0, result.cleaned!.length).map((b) => b.type)).not.toContain("brob");
    const cleaned = path.join(dir, "cleaned-canon.jxl");
    await fs.writeFile(cleaned, result.cleaned!);
    const pixels = async (f: string): Promise<string> => {
      await run("/usr/bin/djxl", [f, `${f}.png`]);
      return pixelSignature(`${f}.png`);
    };
    expect(await pixels(cleaned)).toBe(await pixels(file));
  }, 120_000);
});

/** A PNG's chunks after its signature, as [type, data]. */
function pngChunks(png: Buffer): Array<[string, Buffer]> {
  const out: Array<[string, Buffer]> = [];
  for (let at = 8; at < png.length; at += 12 + png.readUInt32BE(at)) out.push([png.toString("latin1", at + 4, at + 8), png.subarray(at + 8, at + 8 + png.readUInt32BE(at))]);
  return out;
}

/** `png` with `chunks` after its header chunk. */
function afterHeader(png: Buffer, chunks: Buffer[]): Buffer {
  const ihdrEnd = 8 + 12 + png.readUInt32BE(8);
  return Buffer.concat([png.subarray(0, ihdrEnd), ...chunks, png.subarray(ihdrEnd)]);
}

/** A zTXt (or compressed iTXt) chunk holding `text` under `keyword`. */
const zTXt = (keyword: string, text: Buffer): Buffer => pngChunk("zTXt", Buffer.concat([Buffer.from(`${keyword}\0\0`, "latin1"), zlib.deflateSync(text)]));
const iTXt = (keyword: string, text: Buffer): Buffer => pngChunk("iTXt", Buffer.concat([Buffer.from(`${keyword}\0\x01\0\0\0`, "latin1"), zlib.deflateSync(text)]));

/** A 64x48 gradient PNG (ImageMagick) of its own name in `dir`. */
async function plainPng(name: string): Promise<string> {
  const file = path.join(dir, name);
  await run(CONVERT, ["-size", "64x48", "gradient:red-blue", file]);
  return file;
}

describe("PNG raw profiles and compressed EXIF chunks", () => {
  it("twenty zTXt raw EXIF profiles (ImageMagick's way) each of a maker note of 16,000 entries (723 kB; ExifTool 20 s, the tree at 501-817 MB, then 200), the same as iTXt APP1 profiles, a compressed eXIf chunk of a maker note of 16,448 entries and a zTXt profile inflating to 200 MB (204 kB; ExifTool killed at its memory cap after 6 s, the tree at 556 MB) are quick 422s", async () => {
    const png = await fs.readFile(await plainPng("hostile.png"));
    const exif = Buffer.concat([Buffer.from("Exif\0\0", "latin1"), cameraExif(16_000)]);
    await expectQuickRefusal("ztxt-profiles.png", afterHeader(png, Array<Buffer>(20).fill(zTXt("Raw profile type exif", rawProfile("exif", exif)))));
    await expectQuickRefusal("itxt-profiles.png", afterHeader(png, Array<Buffer>(20).fill(iTXt("Raw profile type APP1", rawProfile("APP1", exif)))));
    // A zero byte, the inflated length, then the zlib stream.
    const note = cameraExif(0x4040);
    const length = Buffer.alloc(5);
    length.writeUInt32BE(note.length, 1);
    await expectQuickRefusal("compressed-exif.png", afterHeader(png, [pngChunk("eXIf", Buffer.concat([length, zlib.deflateSync(note)]))]));
    const bomb = Buffer.concat([Buffer.from("\nexif\n 100000000\n4d4d002a", "latin1"), Buffer.alloc(200 * 1024 * 1024, "0")]);
    await expectQuickRefusal("profile-bomb.png", afterHeader(png, [zTXt("Raw profile type exif", bomb)]));
  }, 120_000);

  it("a PNG whose EXIF, with a Canon camera's maker note, is a zTXt raw profile, as ImageMagick writes it, is still cleaned: the markers gone, pixels the same", async () => {
    const marker = "png-owner-marker";
    const file = await plainPng("canon.png");
    await exiftool(["-q", "-q", "-overwrite_original", `-EXIF:Artist=${marker}`, file]);
    await withCanonMakerNote(file, marker);
    const png = await fs.readFile(file);
    const chunks = pngChunks(png);
    const exif = chunks.find(([type]) => type === "eXIf")![1];
    const profiled = Buffer.concat([
      png.subarray(0, 8),
      ...chunks.filter(([type]) => type !== "eXIf" && type !== "IEND").map(([type, data]) => pngChunk(type, data)),
      zTXt("Raw profile type exif", rawProfile("exif", Buffer.concat([Buffer.from("Exif\0\0", "latin1"), exif]))),
      pngChunk("IEND", Buffer.alloc(0)),
    ]);
    const dirty = path.join(dir, "canon-profile.png");
    await fs.writeFile(dirty, profiled);
    const read = JSON.parse(await exiftool(["-json", "-G1", "-Artist", "-OwnerName", dirty]))[0] as Record<string, unknown>;
    expect([read["IFD0:Artist"], read["Canon:OwnerName"]]).toEqual([marker, marker]);
    const { result } = await removeBytesWatched(server, dir, "canon-profile.png", profiled);
    expect(result.status, JSON.stringify(result.body)).toBe(200);
    expect(await findMarker(result.cleaned!, marker)).toEqual([]);
    const cleaned = path.join(dir, "cleaned-canon-profile.png");
    await fs.writeFile(cleaned, result.cleaned!);
    expect(await pixelSignature(cleaned)).toBe(await pixelSignature(dirty));
  }, 120_000);
});

describe("JPEG EXIF within the first 64 kB", () => {
  it("a 63 kB JPEG, its first scan within its first 64 kB, whose maker note holds 4,369 records each pointing at a table of 48 values of its own (ExifTool 10-12 s of CPU: 200 after 24 s, extraction 38 s), in the note or past its end, is a quick 422", async () => {
    const jpeg = await fs.readFile(await plainJpeg("settings.jpg"));
    // 0x1111: the same count in either byte order, which ExifTool's guess of a maker note's order keeps.
    const segment = exifSegment(cameraSettingsExif(0x1111));
    const file = Buffer.concat([jpeg.subarray(0, 2), segment, jpeg.subarray(2)]);
    expect(file.indexOf(Buffer.from([0xff, 0xda]))).toBeLessThan(64 * 1024);
    await expectQuickRefusal("settings.jpg", file);
    // The same with the tables just past the note's declared end (ExifTool 8 s of CPU).
    await expectQuickRefusal("settings-outside.jpg", Buffer.concat([jpeg.subarray(0, 2), exifSegment(cameraSettingsExif(0x1111, { dataInNote: false })), jpeg.subarray(2)]));
  }, 120_000);

  it("a photo with a Canon camera's maker note, its first scan within its first 64 kB, is still cleaned: the markers gone, pixels the same", async () => {
    const marker = "jpeg-owner-marker";
    const file = await plainJpeg("canon.jpg");
    await withCanonMakerNote(file, marker);
    const bytes = await fs.readFile(file);
    expect(bytes.indexOf(Buffer.from([0xff, 0xda]))).toBeLessThan(64 * 1024);
    const { result } = await removeBytesWatched(server, dir, "canon-head.jpg", bytes);
    expect(result.status, JSON.stringify(result.body)).toBe(200);
    expect(await findMarker(result.cleaned!, marker)).toEqual([]);
    const cleaned = path.join(dir, "cleaned-canon-head.jpg");
    await fs.writeFile(cleaned, result.cleaned!);
    expect(await pixelSignature(cleaned)).toBe(await pixelSignature(file));
  }, 120_000);
});

/** A 64x48 gradient JPEG (ImageMagick) of its own name in `dir`. */
async function plainJpeg(name: string): Promise<string> {
  const file = path.join(dir, name);
  await run(CONVERT, ["-size", "64x48", "gradient:red-blue", file]);
  return file;
}

describe("Maker note records sharing one long table", () => {
  it("a JPEG of 11 EXIF segments (714 kB), each a Canon maker note of 1,799 records pointing at one table of 12,800 values past the note's end, is a quick 422", async () => {
    const jpeg = await fs.readFile(await plainJpeg("shared-table.jpg"));
    const segment = exifSegment(cameraSettingsExif(1_799, { dataInNote: false, values: 12_800 }));
    await expectQuickRefusal("shared-table.jpg", Buffer.concat([jpeg.subarray(0, 2), times(11, segment), jpeg.subarray(2)]));
  }, 180_000);

  it("a PNG whose eXIf chunk (203 kB) is a Canon maker note of 240 records pointing at one table of 100,000 values past the note's end (ExifTool 9.9 s of CPU) is a quick 422", async () => {
    const png = await fs.readFile(await plainPng("shared-array.png"));
    await expectQuickRefusal("shared-array.png", afterHeader(png, [pngChunk("eXIf", sharedArrayExif(240, 100_000))]));
  }, 180_000);

  it("a PNG whose eXIf chunk (3.4 MB) is a Canon maker note of 248 records pointing at 8 tables of 65,000 values, 31 records on each (ExifTool 7.9 s of CPU; each record weighed 1 kB, 15,608 entries in all), is a quick 422", async () => {
    const png = await fs.readFile(await plainPng("shared-tables.png"));
    await expectQuickRefusal("shared-tables.png", afterHeader(png, [pngChunk("eXIf", sharedTablesExif(8, 31, 65_000))]));
  }, 300_000);

  it("a JPEG of 3 EXIF segments (194 kB), each a Canon maker note of 2,400 records pointing at tables of 48 values, each record followed by one of type 0 (ExifTool 7.8 s of CPU a segment), is a quick 422", async () => {
    const jpeg = await fs.readFile(await plainJpeg("padded-records.jpg"));
    const segment = exifSegment(cameraSettingsExif(2_400, { dataInNote: false, padded: true }));
    await expectQuickRefusal("padded-records.jpg", Buffer.concat([jpeg.subarray(0, 2), times(3, segment), jpeg.subarray(2)]));
  }, 180_000);
});

describe("PNG raw profiles of Photoshop image resources, and compressed text", () => {
  const note = (): Buffer => photoshopResource(EXIF_RESOURCE, cameraExif(16_000));

  it("twenty zTXt raw '8bim' profiles and twenty raw 'iptc' ones (ImageMagick's way), each an EXIF resource of a maker note of 16,000 entries, are quick 422s", async () => {
    const png = await fs.readFile(await plainPng("resources.png"));
    await expectQuickRefusal("8bim-profiles.png", afterHeader(png, Array<Buffer>(20).fill(zTXt("Raw profile type 8bim", rawProfile("8bim", note())))));
    await expectQuickRefusal("iptc-profiles.png", afterHeader(png, Array<Buffer>(20).fill(zTXt("Raw profile type iptc", rawProfile("iptc", note())))));
  }, 180_000);

  it("a zTXt raw 'xmp' profile (ExifTool 1.15 GB), a zTXt comment (845 MB, 200 MB of JSON) and an iCCP profile (437 MB), each of 200 kB inflating to 200 MB, are quick 422s", async () => {
    const png = await fs.readFile(await plainPng("bombs.png"));
    const hex = Buffer.concat([Buffer.from("\nxmp\n 100000000\n", "latin1"), Buffer.alloc(200 * 1024 * 1024, "0")]);
    await expectQuickRefusal("xmp-profile-bomb.png", afterHeader(png, [zTXt("Raw profile type xmp", hex)]));
    await expectQuickRefusal("comment-bomb.png", afterHeader(png, [zTXt("Comment", Buffer.alloc(200 * 1024 * 1024, "a"))]));
    const icc = Buffer.concat([Buffer.from("icc\0\0", "latin1"), zlib.deflateSync(Buffer.alloc(200 * 1024 * 1024))]);
    await expectQuickRefusal("icc-bomb.png", afterHeader(png, [pngChunk("iCCP", icc)]));
  }, 180_000);

  it("a PNG made by ImageMagick from a photo with IPTC and EXIF (its raw '8bim' and 'iptc' profiles) is still cleaned: the markers gone, pixels the same", async () => {
    const marker = "resource-marker";
    const photo = await plainJpeg("iptc-photo.jpg");
    await exiftool(["-q", "-q", "-overwrite_original", `-IPTC:Keywords=${marker}`, `-EXIF:Artist=${marker}`, photo]);
    const file = path.join(dir, "iptc-photo.png");
    await run(CONVERT, [photo, file]);
    const keywords = pngChunks(await fs.readFile(file)).map(([, data]) => data.toString("latin1", 0, Math.max(0, data.indexOf(0))));
    expect(keywords).toEqual(expect.arrayContaining(["Raw profile type 8bim", "Raw profile type iptc"]));
    const bytes = await fs.readFile(file);
    const { result } = await removeBytesWatched(server, dir, "iptc-photo.png", bytes);
    expect(result.status, JSON.stringify(result.body)).toBe(200);
    expect(await findMarker(result.cleaned!, marker)).toEqual([]);
    const cleaned = path.join(dir, "cleaned-iptc-photo.png");
    await fs.writeFile(cleaned, result.cleaned!);
    expect(await pixelSignature(cleaned)).toBe(await pixelSignature(file));
  }, 120_000);
});


/** An XMP packet of `n` keywords (~18 bytes each). */
const xmpPacket = (n: number): Buffer =>
  Buffer.from(
    `<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:subject><rdf:Bag>${"<rdf:li>k</rdf:li>".repeat(n)}</rdf:Bag></dc:subject></rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end="w"?>`,
    "latin1",
  );

describe("HEIC items put together besides EXIF", () => {
  it("an XMP item deflated from 200 MB of spaces (200 kB; ExifTool 1.26 GB from 400 MB), one of 1,000 extents of a 180 kB packet, and a JPEG preview item of 3,000 extents of 200 kB are quick 422s", async () => {
    const heic = await fs.readFile(await heif("heic", "xmp-items"));
    const bomb = zlib.deflateSync(Buffer.alloc(200 * 1024 * 1024, 0x20), { level: 9 });
    await expectQuickRefusal("xmp-bomb.heic", heifWithItems(heic, [{ type: "mime", contentType: "application/rdf+xml", encoding: "deflate", extents: [[0, bomb.length]] }], bomb));
    const packet = xmpPacket(10_000);
    await expectQuickRefusal("xmp-extents.heic", heifWithItems(heic, [{ type: "mime", contentType: "application/rdf+xml", extents: Array<[number, number]>(1_000).fill([0, packet.length]) }], packet));
    const preview = Buffer.alloc(200_000);
    await expectQuickRefusal("preview-extents.heic", heifWithItems(heic, [{ type: "jpeg", extents: Array<[number, number]>(3_000).fill([0, preview.length]) }], preview));
  }, 180_000);
});

/** A JP2 (opj_compress, tagged by makeJp2: EXIF, XMP and IPTC boxes, an xml box) of its own folder in `dir`. */
async function jp2(name: string, marker = "jp2-marker"): Promise<string> {
  const own = path.join(dir, name);
  await fs.mkdir(own);
  return makeJp2(own, marker);
}

/** A box nesting `inner` `depth` times in association boxes. */
const nested = (depth: number, inner: Buffer): Buffer => (depth === 0 ? inner : nested(depth - 1, box("asoc", inner)));

describe("JPEG 2000 boxes", () => {
  it("twenty Exif boxes and twenty EXIF UUID boxes each holding a maker note of 16,000 entries (3.8 MB; ExifTool past 100 s and 67 s at 330 MB), 100,000 labels (900 kB; 22 s at 117 MB) and a label nested 5,000 association boxes deep are quick 422s", async () => {
    const image = await fs.readFile(await jp2("hostile-jp2"));
    const note = cameraExif(16_000);
    await expectQuickRefusal("exif-boxes.jp2", Buffer.concat([image, times(20, box("Exif", exifPayload(note)))]));
    await expectQuickRefusal("uuid-exif.jp2", Buffer.concat([image, times(20, box("uuid", Buffer.concat([Buffer.from("JpgTiffExif->JP2", "latin1"), note])))]));
    await expectQuickRefusal("labels.jp2", Buffer.concat([image, times(100_000, box("lbl ", Buffer.from("x", "latin1")))]));
    await expectQuickRefusal("deep.jp2", Buffer.concat([image, nested(5_000, box("lbl ", Buffer.from("deep", "latin1")))]));
  }, 120_000);

  it("a JP2 with a Canon camera's maker note (in ExifTool's EXIF UUID box) is still cleaned: the markers gone, pixels the same", async () => {
    const marker = "jp2-owner-marker";
    const file = await jp2("canon-jp2");
    await withCanonMakerNote(file, marker);
    const { result } = await removeBytesWatched(server, dir, "canon.jp2", await fs.readFile(file));
    expect(result.status, JSON.stringify(result.body)).toBe(200);
    expect(await findMarker(result.cleaned!, marker)).toEqual([]);
    expect(result.cleaned!.includes("jp2-marker")).toBe(false);
    const cleaned = path.join(dir, "cleaned-canon.jp2");
    await fs.writeFile(cleaned, result.cleaned!);
    expect(await pixelSignature(cleaned)).toBe(await pixelSignature(file));
  }, 120_000);
});
