import fs from "node:fs/promises";
import path from "node:path";
import zlib from "node:zlib";
import { CONVERT, exiftool, run } from "./tools.js";

/**
 * Dirty images for the removal tests, made fresh by ImageMagick (/usr/bin/convert), heif-enc
 * and the bundled ExifTool, with `marker` planted in every metadata field each format can hold.
 * Pictures are small (64x48) so that the suite stays light on a shared machine; plasma with a
 * fixed seed gives real texture, so a pixel change cannot go unnoticed.
 */

const W = 64;
const H = 48;

async function base(dir: string, name: string, size = `${W}x${H}`, extra: string[] = []): Promise<string> {
  const file = path.join(dir, name);
  await run(CONVERT, ["-seed", "7", "-size", size, "plasma:fractal", ...extra, file]);
  return file;
}

/** A tiny JPEG with the marker in a COM segment, to be planted as a thumbnail or trailer. */
async function markedJpeg(dir: string, marker: string, name: string): Promise<Buffer> {
  const file = path.join(dir, name);
  await run(CONVERT, ["-size", "16x16", "xc:green", "-set", "comment", `thumb ${marker}`, file]);
  const bytes = await fs.readFile(file);
  await fs.rm(file);
  return bytes;
}

/** The EXIF, GPS, IPTC and XMP fields every EXIF-capable format gets. */
export function commonTags(marker: string): string[] {
  return [
    `-EXIF:Artist=${marker}`,
    `-EXIF:Copyright=${marker}`,
    `-EXIF:ImageDescription=${marker}`,
    `-EXIF:UserComment=${marker}`,
    `-EXIF:Make=${marker}`,
    `-EXIF:Model=${marker}`,
    `-EXIF:Software=${marker}`,
    // Stored as UTF-16LE: the scan must see that encoding too.
    `-EXIF:XPComment=${marker}`,
    "-GPSLatitude=48.8584",
    "-GPSLatitudeRef=N",
    "-GPSLongitude=2.2945",
    "-GPSLongitudeRef=E",
    `-GPSAreaInformation=${marker}`,
    `-XMP-dc:Creator=${marker}`,
    `-XMP-dc:Description=${marker}`,
    `-XMP-iptcExt:PersonInImage=${marker}`,
  ];
}

/**
 * A minimal ICC v2 display profile whose description and copyright are `text`: enough for
 * ExifTool and ImageMagick to treat it as the image's colour profile.
 */
export function iccProfile(text: string): Buffer {
  const ascii = Buffer.from(`${text}\0`, "latin1");
  const desc = Buffer.alloc(12 + ascii.length + 12 + 67 + 3);
  desc.write("desc", 0, "latin1");
  desc.writeUInt32BE(ascii.length, 8);
  ascii.copy(desc, 12);
  const cprt = Buffer.concat([Buffer.from("text\0\0\0\0", "latin1"), ascii]);
  const tags: [string, Buffer][] = [["desc", desc], ["cprt", cprt]];
  const table = Buffer.alloc(4 + tags.length * 12);
  table.writeUInt32BE(tags.length, 0);
  const bodies: Buffer[] = [];
  let offset = 128 + table.length;
  tags.forEach(([sig, data], i) => {
    table.write(sig, 4 + i * 12, "latin1");
    table.writeUInt32BE(offset, 8 + i * 12);
    table.writeUInt32BE(data.length, 12 + i * 12);
    const padded = Buffer.concat([data, Buffer.alloc((4 - (data.length % 4)) % 4)]);
    bodies.push(padded);
    offset += padded.length;
  });
  const header = Buffer.alloc(128);
  header.writeUInt32BE(offset, 0);
  header.writeUInt32BE(0x02100000, 8);
  header.write("mntrRGB XYZ ", 12, "latin1");
  header.write("acsp", 36, "latin1");
  // D50 illuminant, as every profile carries.
  header.writeInt32BE(0x0000f6d6, 68);
  header.writeInt32BE(0x00010000, 72);
  header.writeInt32BE(0x0000d32d, 76);
  return Buffer.concat([header, table, ...bodies]);
}

async function writeIcc(dir: string, text: string): Promise<string> {
  const file = path.join(dir, `profile-${text}.icc`);
  await fs.writeFile(file, iccProfile(text));
  return file;
}

export interface JpegOptions {
  /** EXIF orientation to set (1..8). */
  orientation?: number;
  size?: string;
  /** Random noise over the picture: image data that does not compress (megabytes at 1600x1200). */
  noisy?: boolean;
  /** Text of an embedded ICC profile (its own marker, so a kept profile can be told apart). */
  icc?: string;
}

/**
 * JPEG with EXIF (incl. GPS, UTF-16 XPComment and a thumbnail that itself carries the marker),
 * IPTC in a Photoshop IRB, XMP large enough to spill into extended XMP, a COM comment, an ICC
 * profile, and a second JPEG appended after EOI, where MPF previews and vendor trailers live.
 */
export async function makeJpeg(dir: string, marker: string, opts: JpegOptions = {}): Promise<string> {
  const file = await base(dir, "in.jpg", opts.size, [...(opts.noisy === true ? ["+noise", "Random"] : []), "-quality", "85"]);
  const thumb = path.join(dir, "thumb.jpg");
  await fs.writeFile(thumb, await markedJpeg(dir, marker, "t.jpg"));
  const icc = await writeIcc(dir, opts.icc ?? marker);
  await exiftool([
    "-q", "-overwrite_original",
    ...commonTags(marker),
    `-IPTC:By-line=${marker}`,
    `-IPTC:Caption-Abstract=${marker}`,
    `-Comment=${marker}`,
    `-XMP-photoshop:Instructions=${"x".repeat(70_000)} ${marker}`,
    `-ThumbnailImage<=${thumb}`,
    `-ICC_Profile<=${icc}`,
    ...(opts.orientation != null ? ["-n", `-EXIF:Orientation=${opts.orientation}`] : []),
    file,
  ]);
  await fs.appendFile(file, await markedJpeg(dir, marker, "trailer.jpg"));
  return file;
}

/** One PNG chunk: length, type, data and its CRC. */
export function pngChunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, "latin1");
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(zlib.crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

/**
 * PNG with eXIf (ExifTool), XMP in iTXt, tEXt, zTXt and iTXt text, tIME, an ICC profile, a
 * private ancillary chunk and bytes after IEND, all carrying the marker where they can.
 */
export async function makePng(dir: string, marker: string, orientation?: number): Promise<string> {
  const file = await base(dir, "in.png");
  const icc = await writeIcc(dir, marker);
  const rotate = orientation != null ? ["-n", `-EXIF:Orientation=${orientation}`] : [];
  await exiftool(["-q", "-overwrite_original", ...commonTags(marker), ...rotate, `-ICC_Profile<=${icc}`, file]);
  const png = await fs.readFile(file);
  const iend = png.length - 12;
  const text = Buffer.from(`Author\0${marker}`, "latin1");
  const ztxt = Buffer.concat([Buffer.from("Comment\0\0", "latin1"), zlib.deflateSync(Buffer.from(marker))]);
  const itxt = Buffer.concat([Buffer.from("Title\0\0\0en\0Title\0", "latin1"), Buffer.from(marker, "utf8")]);
  const time = Buffer.from([0x07, 0xe8, 3, 15, 10, 30, 0]);
  const extra = Buffer.concat([
    pngChunk("tEXt", text),
    pngChunk("zTXt", ztxt),
    pngChunk("iTXt", itxt),
    pngChunk("tIME", time),
    pngChunk("prVt", Buffer.from(marker)),
  ]);
  await fs.writeFile(file, Buffer.concat([png.subarray(0, iend), extra, png.subarray(iend), Buffer.from(`trailer ${marker}`)]));
  return file;
}

/** TIFF with metadata in IFD0 itself (where image structure lives too), EXIF, GPS, IPTC, XMP, ICC. */
export async function makeTiff(dir: string, marker: string, icc = marker): Promise<string> {
  const file = await base(dir, "in.tif", undefined, ["-depth", "8"]);
  const profile = await writeIcc(dir, icc);
  await exiftool([
    "-q", "-overwrite_original",
    ...commonTags(marker),
    `-IFD0:DocumentName=${marker}`,
    `-IFD0:HostComputer=${marker}`,
    `-IFD0:PageName=${marker}`,
    `-IPTC:By-line=${marker}`,
    `-ICC_Profile<=${profile}`,
    file,
  ]);
  return file;
}

/** WebP (lossy VP8 or lossless VP8L) with EXIF, XMP, ICC and an unknown chunk. */
export async function makeWebp(dir: string, marker: string, lossless: boolean): Promise<string> {
  const file = await base(dir, "in.webp", undefined, lossless ? ["-define", "webp:lossless=true"] : ["-quality", "80"]);
  const icc = await writeIcc(dir, marker);
  await exiftool(["-q", "-overwrite_original", ...commonTags(marker), `-ICC_Profile<=${icc}`, file]);
  const webp = await fs.readFile(file);
  const unknown = Buffer.alloc(8);
  unknown.write("ZZZZ", 0, "latin1");
  const payload = Buffer.from(`${marker}!`); // even length: no padding byte needed
  unknown.writeUInt32LE(payload.length, 4);
  const out = Buffer.concat([webp, unknown, payload]);
  out.writeUInt32LE(out.length - 8, 4);
  await fs.writeFile(file, out);
  return file;
}

/** An animated GIF with comments, XMP (an application extension) and bytes after the trailer. */
export async function makeGif(dir: string, marker: string): Promise<string> {
  const a = await base(dir, "a.gif");
  const b = path.join(dir, "b.gif");
  await run(CONVERT, ["-size", `${W}x${H}`, "gradient:red-blue", b]);
  const file = path.join(dir, "in.gif");
  await run(CONVERT, ["-delay", "20", "-loop", "0", a, b, "-set", "comment", marker, file]);
  await exiftool(["-q", "-overwrite_original", `-XMP-dc:Creator=${marker}`, `-XMP-dc:Description=${marker}`, `-Comment=${marker}`, file]);
  await fs.appendFile(file, Buffer.from(`trailer ${marker}`));
  return file;
}

export interface HeifOptions {
  /**
   * Text of an ICC profile, which heif-enc takes from the PNG it encodes and stores as a `colr`
   * item property of type `prof`, as iPhones store their Display P3 profile.
   */
  icc?: string;
  /** Appends a top-level `free` box holding this text (padding an editor left its bytes in). */
  freeBox?: string;
  /**
   * Made like a Canon R5 HIF: brand `mif1` (ExifTool: HEIF), Canon's version `uuid` box and an
   * `idat` box (item data, where grid layouts live) at the end of `meta`.
   */
  canonMeta?: boolean;
  /** Made like an iPhone's: a `dinf` box saying the data is in this file (`dref` with one self-contained `url `) in `meta`. */
  dataInformation?: boolean;
  /** The `hdlr` box's name, which heif-enc and ImageMagick leave empty and libavif sets to "libavif". */
  handlerName?: string;
  /**
   * Made like a Sony HIF (a7 IV, a1, FX3): beside an HEVC thumbnail (heif-enc's), a second
   * thumbnail (`thmb`) that is a `jpeg` item, a small JPEG carrying the marker in its own EXIF and
   * comment, in an `mdat` of its own.
   */
  jpegThumbnail?: boolean;
}

/** HEIC (heif-enc) or AVIF (ImageMagick) with EXIF, GPS and XMP items. */
export async function makeHeif(dir: string, marker: string, kind: "heic" | "avif", opts: HeifOptions = {}): Promise<string> {
  const png = await base(dir, "src.png");
  if (opts.icc != null) await exiftool(["-q", "-overwrite_original", `-ICC_Profile<=${await writeIcc(dir, opts.icc)}`, png]);
  const file = path.join(dir, `in.${kind}`);
  if (kind === "heic") await run("/usr/bin/heif-enc", ["-q", "90", ...(opts.jpegThumbnail === true ? ["-t", "32"] : []), "-o", file, png]);
  else await run(CONVERT, [png, "-quality", "90", file]);
  if (opts.jpegThumbnail === true) await fs.writeFile(file, withJpegThumbnail(await fs.readFile(file), await exifJpeg(dir, marker)));
  await exiftool(["-q", "-overwrite_original", ...commonTags(marker), file]);
  if (opts.canonMeta === true) await fs.writeFile(file, withCanonMeta(await fs.readFile(file), marker));
  if (opts.dataInformation === true) await fs.writeFile(file, appendToMeta(await fs.readFile(file), SELF_CONTAINED_DINF));
  if (opts.handlerName != null) await fs.writeFile(file, withHandlerName(await fs.readFile(file), opts.handlerName));
  if (opts.freeBox != null) {
    const payload = Buffer.from(opts.freeBox, "latin1");
    const header = Buffer.alloc(8);
    header.writeUInt32BE(8 + payload.length, 0);
    header.write("free", 4, "latin1");
    await fs.appendFile(file, Buffer.concat([header, payload]));
  }
  return file;
}

export function box(type: string, payload: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(8 + payload.length, 0);
  head.write(type, 4, "latin1");
  return Buffer.concat([head, payload]);
}

/** Top-level or child boxes between `from` and `to` (32-bit sizes, as heif-enc and ExifTool write). */
export function childBoxes(b: Buffer, from: number, to: number): Array<{ type: string; at: number; size: number }> {
  const out: Array<{ type: string; at: number; size: number }> = [];
  for (let at = from; at + 8 <= to; ) {
    const size = b.readUInt32BE(at);
    if (size < 8) throw new Error("unexpected box size in a generated HEIF");
    out.push({ type: b.toString("latin1", at + 4, at + 8), at, size });
    at += size;
  }
  return out;
}

/** markedJpeg with the marker in its EXIF too. */
async function exifJpeg(dir: string, marker: string): Promise<Buffer> {
  const file = path.join(dir, "exif-thumb.jpg");
  await fs.writeFile(file, await markedJpeg(dir, marker, "t.jpg"));
  await exiftool(["-q", "-overwrite_original", `-EXIF:Artist=${marker}`, `-EXIF:Make=${marker}`, file]);
  const bytes = await fs.readFile(file);
  await fs.rm(file);
  return bytes;
}

/**
 * `jpeg` added as item 100, a `jpeg` item that is the thumbnail (`thmb`) of the primary picture,
 * in an `mdat` of its own at the end (heif-enc writes `iinf` and `iref` of version 0 and `iloc`
 * of version 1 with 4-byte offsets, lengths and base offsets).
 */
function withJpegThumbnail(file: Buffer, jpeg: Buffer): Buffer {
  const child = (b: Buffer, type: string): { at: number; size: number } => {
    const meta = childBoxes(b, 0, b.length).find((x) => x.type === "meta");
    const found = meta == null ? undefined : childBoxes(b, meta.at + 12, meta.at + meta.size).find((x) => x.type === type);
    if (found == null) throw new Error(`no ${type} in meta`);
    return found;
  };
  const [iinf, iref, iloc, pitm] = ["iinf", "iref", "iloc", "pitm"].map((t) => child(file, t).at);
  if (file[iinf! + 8] !== 0 || file[iref! + 8] !== 0 || file[pitm! + 8] !== 0 || file[iloc! + 8] !== 1 || file.readUInt16BE(iloc! + 12) !== 0x4440) {
    throw new Error("not heif-enc's item boxes");
  }
  const id = 100;
  const u16 = (...n: number[]): Buffer => Buffer.concat(n.map((v) => Buffer.from([v >> 8, v & 255])));
  const counted = (b: Buffer, type: string, countAt: number): Buffer => {
    const at = child(b, type).at + countAt;
    b.writeUInt16BE(b.readUInt16BE(at) + 1, at);
    return b;
  };
  let b = counted(appendInMetaBox(file, ["iinf"], box("infe", Buffer.concat([Buffer.from([2, 0, 0, 0]), u16(id, 0), Buffer.from("jpeg\0", "latin1")]))), "iinf", 12);
  b = appendInMetaBox(b, ["iref"], box("thmb", u16(id, 1, file.readUInt16BE(pitm! + 12))));
  // id, construction method 0, data reference 0, base 0, one extent: offset and length.
  const entry = Buffer.concat([u16(id, 0, 0, 0, 0, 1), Buffer.alloc(8)]);
  entry.writeUInt32BE(b.length + entry.length + 8, 12);
  entry.writeUInt32BE(jpeg.length, 16);
  b = counted(appendInMetaBox(b, ["iloc"], entry), "iloc", 14);
  return Buffer.concat([b, box("mdat", jpeg)]);
}

/** `dinf` holding a `dref` of one `url ` entry with flag 1: the data is in this file (ISO/IEC 14496-12 8.7). */
const SELF_CONTAINED_DINF = box("dinf", box("dref", Buffer.concat([Buffer.from([0, 0, 0, 0, 0, 0, 0, 1]), box("url ", Buffer.from([0, 0, 0, 1]))])));

/**
 * Appends Canon's `uuid` box to `meta` (and an `idat` box, where heif-enc wrote none: a `meta` has
 * at most one) and sets the major brand to `mif1`. The `uuid` holds a `CNCV` box as Canon's
 * R5/R6/1DX III write it ("CanonHEIF001/10.00.01/00.00.00", Exiv2's test/data/Canon.HIF;
 * lclevy/canon_cr3 heif.md), its last part `marker` here.
 */
function withCanonMeta(file: Buffer, marker: string): Buffer {
  const b = Buffer.from(file);
  const top = childBoxes(b, 0, b.length);
  const ftyp = top.find((x) => x.type === "ftyp");
  const meta = top.find((x) => x.type === "meta");
  if (ftyp == null || meta == null) throw new Error("no ftyp or meta box");
  b.write("mif1", ftyp.at + 8, "latin1");
  const hasIdat = childBoxes(b, meta.at + 12, meta.at + meta.size).some((x) => x.type === "idat");
  return appendToMeta(
    b,
    Buffer.concat([
      box("uuid", Buffer.concat([Buffer.from("85c0b687820f11e08111f4ce462b6a48", "hex"), box("CNCV", Buffer.from(`CanonHEIF001/10.00.01/${marker}`, "latin1"))])),
      ...(hasIdat ? [] : [box("idat", Buffer.from([0, 0, 0, 0, 0, 64, 0, 48]))]),
    ]),
  );
}

/** Appends boxes to `meta`. */
function appendToMeta(file: Buffer, extra: Buffer): Buffer {
  const meta = childBoxes(file, 0, file.length).find((x) => x.type === "meta");
  if (meta == null) throw new Error("no meta box");
  return insertInMeta(file, meta.at + meta.size, extra, []);
}

/** Puts `name` (NUL-terminated) where the `hdlr` box's empty name was. */
function withHandlerName(file: Buffer, name: string): Buffer {
  const meta = childBoxes(file, 0, file.length).find((x) => x.type === "meta");
  const hdlr = meta == null ? undefined : childBoxes(file, meta.at + 12, meta.at + meta.size).find((x) => x.type === "hdlr");
  if (hdlr == null || hdlr.size !== 33) throw new Error("no hdlr box with an empty name");
  return insertInMeta(file, hdlr.at + 32, Buffer.from(name, "utf8"), [hdlr.at]);
}

/**
 * `extra` appended inside the first box of each type along `path` under `meta` (`["iprp",
 * "ipco", "hvcC"]`), every box on the way grown to match.
 */
export function appendInMetaBox(file: Buffer, path: readonly string[], extra: Buffer): Buffer {
  const meta = childBoxes(file, 0, file.length).find((x) => x.type === "meta");
  if (meta == null) throw new Error("no meta box");
  const chain: number[] = [];
  let from = meta.at + 12;
  let to = meta.at + meta.size;
  for (const type of path) {
    const found = childBoxes(file, from, to).find((x) => x.type === type);
    if (found == null) throw new Error(`no ${type} box in meta`);
    chain.push(found.at);
    from = found.at + 8;
    to = found.at + found.size;
  }
  return insertInMeta(file, to, extra, chain);
}

/**
 * Inserts bytes at `where` inside `meta` (growing it, and the boxes inside it starting at
 * `children`) and moves the item locations (`iloc`, ISO/IEC 14496-12 8.11.3) that point into the
 * `mdat` after it by the bytes added.
 */
function insertInMeta(file: Buffer, where: number, extra: Buffer, children: readonly number[]): Buffer {
  const b = Buffer.from(file);
  const top = childBoxes(b, 0, b.length);
  const meta = top.find((x) => x.type === "meta");
  if (meta == null) throw new Error("no meta box");
  if (top.some((x) => x.type === "mdat" && x.at > meta.at)) moveItemLocations(b, extra.length);
  for (const child of children) b.writeUInt32BE(b.readUInt32BE(child) + extra.length, child);
  const out = Buffer.concat([b.subarray(0, where), extra, b.subarray(where)]);
  out.writeUInt32BE(meta.size + extra.length, meta.at);
  return out;
}

/**
 * Adds `shift` to the file offsets of the item locations (`iloc`, ISO/IEC 14496-12 8.11.3) of
 * the top-level `meta` in `b`: for bytes inserted before the `mdat` they point into.
 */
export function moveItemLocations(b: Buffer, shift: number): void {
  const meta = childBoxes(b, 0, b.length).find((x) => x.type === "meta");
  if (meta == null) throw new Error("no meta box");
  const iloc = childBoxes(b, meta.at + 12, meta.at + meta.size).find((x) => x.type === "iloc");
  if (iloc == null) throw new Error("no iloc box");
  const read = (at: number, n: number): number => (n === 0 ? 0 : b.readUIntBE(at, n));
  const add = (at: number, n: number): void => {
    if (n > 0) b.writeUIntBE(read(at, n) + shift, at, n);
  };
  let q = iloc.at + 8;
  const version = b[q]!;
  q += 4;
  const offsetSize = b[q]! >> 4;
  const lengthSize = b[q]! & 15;
  const baseSize = b[q + 1]! >> 4;
  const indexSize = version > 0 ? b[q + 1]! & 15 : 0;
  q += 2;
  const wide = version === 2 ? 4 : 2;
  const items = read(q, wide);
  q += wide;
  for (let i = 0; i < items; i++) {
    q += wide;
    const method = version > 0 ? read(q, 2) & 15 : 0;
    q += version > 0 ? 2 : 0;
    q += 2; // data_reference_index
    if (method === 0 && baseSize > 0) add(q, baseSize);
    q += baseSize;
    const extents = read(q, 2);
    q += 2;
    for (let e = 0; e < extents; e++) {
      q += indexSize;
      if (method === 0 && baseSize === 0) add(q, offsetSize);
      q += offsetSize + lengthSize;
    }
  }
}

/**
 * The HEIC `file` with `bytes` put before the data of its first HEVC picture item (`hvc1`: the
 * picture, or a grid's first tile, as heif-enc writes it), whose first extent must be in an `mdat`
 * after `meta`, by file offset: that extent and the `mdat` grow by them, and every other extent
 * from there on moves.
 */
export function insertInHevcItem(file: Buffer, bytes: Buffer): Buffer {
  const b = Buffer.from(file);
  const top = childBoxes(b, 0, b.length);
  const meta = top.find((x) => x.type === "meta");
  if (meta == null) throw new Error("no meta box");
  const children = childBoxes(b, meta.at + 12, meta.at + meta.size);
  const iinf = children.find((x) => x.type === "iinf");
  const iloc = children.find((x) => x.type === "iloc");
  if (iinf == null || b[iinf.at + 8] !== 0 || iloc == null) throw new Error("no iinf (version 0) or iloc box");
  // Version 2 entries: id, protection, then the item type.
  const hevc = childBoxes(b, iinf.at + 14, iinf.at + iinf.size).find((e) => b[e.at + 8] === 2 && b.toString("latin1", e.at + 16, e.at + 20) === "hvc1");
  if (hevc == null) throw new Error("no hvc1 item");
  const target = b.readUInt16BE(hevc.at + 12);
  const version = b[iloc.at + 8]!;
  let q = iloc.at + 12;
  const [offsetSize, lengthSize, baseSize, indexSize] = [b[q]! >> 4, b[q]! & 15, b[q + 1]! >> 4, version > 0 ? b[q + 1]! & 15 : 0];
  q += 2;
  const wide = version === 2 ? 4 : 2;
  const read = (at: number, n: number): number => (n === 0 ? 0 : b.readUIntBE(at, n));
  const extents: Array<{ id: number; from: number; offsetAt: number; lengthAt: number }> = [];
  const items = read(q, wide);
  q += wide;
  for (let i = 0; i < items; i++) {
    const id = read(q, wide);
    const method = version > 0 ? read(q + wide, 2) & 15 : 0;
    q += wide + (version > 0 ? 2 : 0) + 2; // id, construction method, data reference
    const base = read(q, baseSize);
    const count = read(q + baseSize, 2);
    q += baseSize + 2;
    for (let e = 0; e < count; e++, q += indexSize + offsetSize + lengthSize) {
      const offsetAt = q + indexSize;
      if (method === 0) extents.push({ id, from: base + read(offsetAt, offsetSize), offsetAt, lengthAt: offsetAt + offsetSize });
    }
  }
  const first = extents.find((e) => e.id === target);
  const mdat = first == null ? undefined : top.find((x) => x.type === "mdat" && x.at < first.from && first.from <= x.at + x.size);
  if (first == null || mdat == null || offsetSize === 0 || first.from < meta.at + meta.size) throw new Error("the hvc1 item's data is not in an mdat after meta, by offset");
  for (const e of extents) {
    if (e !== first && e.from >= first.from) b.writeUIntBE(read(e.offsetAt, offsetSize) + bytes.length, e.offsetAt, offsetSize);
  }
  b.writeUIntBE(read(first.lengthAt, lengthSize) + bytes.length, first.lengthAt, lengthSize);
  b.writeUInt32BE(mdat.size + bytes.length, mdat.at);
  return Buffer.concat([b.subarray(0, first.from), bytes, b.subarray(first.from)]);
}

/**
 * The signature of a HEIF/AVIF's pixels as libheif decodes them (heif-convert to PNG). ImageMagick
 * would convert through an embedded ICC profile, so a picture whose profile was removed would
 * compare as changed although its pixels are the same.
 */
export async function heifPixelSignature(file: string): Promise<string> {
  const png = `${file}.decoded.png`;
  await run("/usr/bin/heif-convert", [file, png]);
  const { stdout } = await run(CONVERT, [png, "-format", "%#", "info:"]);
  await fs.rm(png, { force: true });
  return stdout.toString("utf8").trim();
}

export interface SvgOptions {
  /** A root `style`, `class` and `preserveAspectRatio`, and ids on <title> and <desc> (for aria-labelledby). */
  presentation?: boolean;
  /** A licence comment of 400 characters before the root: ExifTool, reading 256 bytes, then says "XML". */
  longComment?: boolean;
  /** Written in UTF-16 (with a byte-order mark) instead of UTF-8. */
  utf16?: "le" | "be";
}

/**
 * SVG with a <metadata> RDF block, comments, a processing instruction, and Inkscape/Sodipodi
 * elements and attributes. Title and desc are content: they carry `content` and must stay.
 */
function utf16(text: string, order: "le" | "be"): Buffer {
  const le = Buffer.from(`\uFEFF${text}`, "utf16le");
  return order === "le" ? le : le.swap16();
}

export async function makeSvg(dir: string, marker: string, content: string, opts: SvgOptions = {}): Promise<string> {
  const rootStyle = opts.presentation === true ? ` style="background-color:#ffe" class="drawing" preserveAspectRatio="xMidYMid meet"` : "";
  const ids = opts.presentation === true ? ` id="drawing-title"` : "";
  const file = path.join(dir, "in.svg");
  const svg = `<?xml version="1.0" encoding="${opts.utf16 != null ? "UTF-16" : "UTF-8"}" standalone="no"?>
<!-- Created with Inkscape by ${marker} -->${opts.longComment === true ? `\n<!-- Licence: ${"all rights reserved; ".repeat(20)}-->` : ""}
<?editor-data ${marker}?>
<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"
     xmlns:inkscape="http://www.inkscape.org/namespaces/inkscape"
     xmlns:sodipodi="http://sodipodi.sourceforge.net/DTD/sodipodi-0.dtd"
     xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
     xmlns:cc="http://creativecommons.org/ns#" xmlns:dc="http://purl.org/dc/elements/1.1/"
     width="${W}" height="${H}" viewBox="0 0 ${W} ${H}"${rootStyle} sodipodi:docname="${marker}.svg" inkscape:version="1.2 (${marker})">
  <title${ids}>${content} title</title>
  <desc${ids === "" ? "" : ` id="drawing-desc"`}>${content} description</desc>
  <metadata id="metadata1">
    <rdf:RDF><cc:Work rdf:about=""><dc:creator><cc:Agent><dc:title>${marker}</dc:title></cc:Agent></dc:creator></cc:Work></rdf:RDF>
  </metadata>
  <sodipodi:namedview id="base" pagecolor="#ffffff" inkscape:current-layer="${marker}"/>
  <g inkscape:label="${marker}" inkscape:groupmode="layer" id="layer1">
    <!-- ${marker} -->
    <rect x="4" y="4" width="40" height="20" fill="#c03" stroke="#000" stroke-width="2"/>
    <circle cx="44" cy="30" r="12" fill="#06c" sodipodi:type="arc"/>
    <text x="4" y="44" font-size="8" fill="#000">${content}</text>
  </g>
</svg>
`;
  await fs.writeFile(file, opts.utf16 == null ? svg : utf16(svg, opts.utf16));
  return file;
}
