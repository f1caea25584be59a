import fs from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { exiftool } from "./tools.js";

/**
 * Dirty camera raw files for the removal tests: ExifTool's small samples (test/fixtures/raw,
 * see its README) and a DNG built here with real sensor data, each with `marker` planted by the
 * bundled ExifTool in every personal field it can write into that format.
 */

const FIXTURES = fileURLToPath(new URL("../fixtures/raw/", import.meta.url));

/** Fields ExifTool writes into TIFF-based raws, CR3 and RAF; those a format lacks are skipped (-m). */
function rawTags(marker: string): string[] {
  const exif = [
    "Artist", "Copyright", "ImageDescription", "UserComment", "XPComment", "XPAuthor", "XPTitle", "XPKeywords", "Software",
    "DocumentName", "HostComputer", "PageName", "OwnerName", "SerialNumber", "LensSerialNumber", "ImageUniqueID",
    "CameraSerialNumber", "OriginalRawFileName",
  ];
  // Maker-note fields that name the owner, the body or lens instance, or the place.
  const makerNotes = [
    "OwnerName", "SerialNumber", "InternalSerialNumber", "LensSerialNumber", "CameraOwnerName",
    "City", "Country", "State", "Landmark", "Title", "BabyName", "Location",
  ];
  return [
    ...exif.map((t) => `-EXIF:${t}=${marker}`),
    ...makerNotes.map((t) => `-MakerNotes:${t}=${marker}`),
    "-GPSLatitude=48.8584", "-GPSLatitudeRef=N", "-GPSLongitude=2.2945", "-GPSLongitudeRef=E", `-GPSAreaInformation=${marker}`,
    `-XMP-dc:Creator=${marker}`, `-XMP-dc:Description=${marker}`, `-XMP-iptcExt:PersonInImage=${marker}`,
    `-IPTC:By-line=${marker}`, `-IPTC:Caption-Abstract=${marker}`,
  ];
}

async function plant(file: string, marker: string): Promise<void> {
  await exiftool(["-q", "-q", "-m", "-overwrite_original", ...rawTags(marker), file]);
}

/** A copy of one of ExifTool's samples (e.g. "Nikon.nef") with the marker planted. */
export async function rawSample(dir: string, name: string, marker: string): Promise<string> {
  const file = path.join(dir, name);
  const bytes = await fs.readFile(path.join(FIXTURES, name));
  await fs.writeFile(file, name === "Nikon.nef" ? wholeThumbnail(bytes) : bytes);
  await plant(file, marker);
  return file;
}

/**
 * The NEF sample's IFD0 thumbnail (160x106 RGB) was cut to 18 bytes, which ExifTool refuses to
 * rewrite without -m (the service never passes -m): its strip is given back its full length
 * (zeros at the end of the file).
 */
function wholeThumbnail(nef: Buffer): Buffer {
  const le = nef.toString("latin1", 0, 2) === "II";
  const u16 = (at: number): number => (le ? nef.readUInt16LE(at) : nef.readUInt16BE(at));
  const u32 = (at: number): number => (le ? nef.readUInt32LE(at) : nef.readUInt32BE(at));
  const ifd = u32(4);
  const entries = Array.from({ length: u16(ifd) }, (_, i) => ifd + 2 + i * 12);
  const find = (tag: number): number => {
    const at = entries.find((e) => u16(e) === tag);
    if (at == null) throw new Error(`NEF sample without tag ${tag} in IFD0`);
    return at;
  };
  const offset = u32(find(273) + 8);
  const size = 160 * 106 * 3;
  if (offset + u32(find(279) + 8) !== nef.length) throw new Error("the NEF sample's thumbnail is not at its end");
  const out = Buffer.concat([nef, Buffer.alloc(offset + size - nef.length)]);
  if (le) out.writeUInt32LE(size, find(279) + 8);
  else out.writeUInt32BE(size, find(279) + 8);
  return out;
}

const W = 64;
const H = 48;
const BLACK = 64;
const WHITE = 4095;

/**
 * How a TIFF-based raw made here differs from a DNG. ExifTool tells ARW and PEF by their
 * compression code, ORF by its header, and a raw with none of these and no DNGVersion is a
 * "TIFF" holding CFA data.
 */
export interface RawKind {
  ext: string;
  make: string;
  /** TIFF Compression (1 = none; 32767 Sony ARW, 65535 Pentax PEF). */
  compression: number;
  /** Olympus writes "IIRO" where TIFF has "II*\0". */
  olympusHeader?: boolean;
  dng: boolean;
  /**
   * A sample JPEG (test/fixtures/raw) from a camera of this maker whose maker notes ExifTool
   * copies in: the real notes of that maker (serial numbers, dates, places) in the raw container.
   */
  makerNotesFrom?: string;
}

export const DNG: RawKind = { ext: "dng", make: "Exifapi", compression: 1, dng: true };

/**
 * A DNG 1.4 with real (uncompressed 16-bit Bayer RGGB) sensor data that dcraw renders: smooth
 * gradients plus seeded noise, so that a changed byte changes the rendering. Then the marker
 * is planted everywhere, as in the samples. With another `kind`, the same sensor data in the
 * container of another raw family, with that maker's notes when a sample of them exists.
 */
export async function makeDng(dir: string, marker: string, kind: RawKind = DNG): Promise<string> {
  const pixels = Buffer.alloc(W * H * 2);
  let seed = 7;
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      const v = BLACK + ((x * 50 + y * 30 + (seed % 400)) % (WHITE - BLACK));
      pixels.writeUInt16LE(v, (y * W + x) * 2);
    }
  }
  const file = path.join(dir, `in.${kind.ext}`);
  await fs.writeFile(file, buildTiff(pixels, kind));
  if (kind.makerNotesFrom != null) {
    await exiftool(["-q", "-q", "-overwrite_original", "-tagsFromFile", path.join(FIXTURES, kind.makerNotesFrom), "-MakerNotes", file]);
  }
  await plant(file, marker);
  return file;
}

type Field = [tag: number, type: number, values: readonly number[] | string];
const BYTE = 1;
const ASCII = 2;
const SHORT = 3;
const LONG = 4;
const RATIONAL = 5;
const SRATIONAL = 10;

/** A little-endian TIFF with one IFD: the DNG's raw image, strip right after the header. */
function buildTiff(pixels: Buffer, kind: RawKind): Buffer {
  const strip = 8;
  const fields: Field[] = [
    [254, LONG, [0]], [256, LONG, [W]], [257, LONG, [H]], [258, SHORT, [16]], [259, SHORT, [kind.compression]],
    [262, SHORT, [32803]], [271, ASCII, kind.make], [272, ASCII, "Test Raw"], [273, LONG, [strip]], [274, SHORT, [1]],
    [277, SHORT, [1]], [278, LONG, [H]], [279, LONG, [pixels.length]], [284, SHORT, [1]],
    [33421, SHORT, [2, 2]], [33422, BYTE, [0, 1, 1, 2]],
  ];
  if (kind.dng) {
    fields.push(
      [50706, BYTE, [1, 4, 0, 0]], [50708, ASCII, "Exifapi Test DNG"], [50714, LONG, [BLACK]], [50717, LONG, [WHITE]],
      // sRGB-ish camera matrix (XYZ -> camera), x10000.
      [50721, SRATIONAL, [32404, 10000, -15371, 10000, -4985, 10000, -9692, 10000, 18760, 10000, 415, 10000, 556, 10000, -2040, 10000, 10572, 10000]],
      [50728, RATIONAL, [1, 2, 1, 1, 2, 3]], [50778, SHORT, [21]],
    );
  }
  const ifdAt = strip + pixels.length;
  const tableSize = 2 + fields.length * 12 + 4;
  const extra: Buffer[] = [];
  let extraAt = ifdAt + tableSize;
  const table = Buffer.alloc(tableSize);
  table.writeUInt16LE(fields.length, 0);
  fields.forEach(([tag, type, values], i) => {
    const data = encode(type, values);
    const at = 2 + i * 12;
    table.writeUInt16LE(tag, at);
    table.writeUInt16LE(type, at + 2);
    table.writeUInt32LE(type === ASCII ? data.length : type === RATIONAL || type === SRATIONAL ? values.length / 2 : values.length, at + 4);
    if (data.length <= 4) data.copy(table, at + 8);
    else {
      table.writeUInt32LE(extraAt, at + 8);
      const padded = data.length % 2 === 0 ? data : Buffer.concat([data, Buffer.alloc(1)]);
      extra.push(padded);
      extraAt += padded.length;
    }
  });
  const header = Buffer.from(kind.olympusHeader === true ? [0x49, 0x49, 0x52, 0x4f, 0, 0, 0, 0] : [0x49, 0x49, 42, 0, 0, 0, 0, 0]);
  header.writeUInt32LE(ifdAt, 4);
  return Buffer.concat([header, pixels, table, ...extra]);
}

function encode(type: number, values: readonly number[] | string): Buffer {
  if (typeof values === "string") return Buffer.from(`${values}\0`, "latin1");
  const size = type === BYTE ? 1 : type === SHORT ? 2 : 4;
  const b = Buffer.alloc(values.length * size);
  values.forEach((v, i) => {
    if (type === BYTE) b.writeUInt8(v, i);
    else if (type === SHORT) b.writeUInt16LE(v, i * 2);
    else if (type === SRATIONAL) b.writeInt32LE(v, i * 4);
    else b.writeUInt32LE(v, i * 4);
  });
  return b;
}

/** BigTIFF field types used below and their sizes: BYTE, ASCII, SHORT, LONG, LONG8. */
const BIG_TYPE_SIZES: Readonly<Record<number, number>> = { 1: 1, 2: 1, 3: 2, 4: 4, 16: 8 };

/**
 * A DNG written as a little-endian BigTIFF (version 43, 8-byte offsets, 20-byte entries), by hand
 * since ExifTool cannot write BigTIFF: one 8x8 uncompressed colour filter array picture with its
 * CFA layout and DNGVersion, the marker in Make.
 */
export function bigTiffDng(marker: string): Buffer {
  const side = 8;
  const fields: Array<[tag: number, type: number, values: readonly number[] | Buffer]> = [
    [0x100, 4, [side]], [0x101, 4, [side]], [0x102, 3, [8]], [0x103, 3, [1]], [0x106, 3, [32803]],
    [0x10f, 2, Buffer.from(`${marker}\0`, "latin1")], [0x111, 16, [0]], [0x115, 3, [1]], [0x116, 4, [side]],
    [0x117, 16, [side * side]], [0x828d, 3, [2, 2]], [0x828e, 1, [0, 1, 1, 2]], [0xc612, 1, [1, 4, 0, 0]],
  ];
  const ifd = Buffer.alloc(8 + fields.length * 20 + 8);
  ifd.writeBigUInt64LE(BigInt(fields.length), 0);
  const outOfLine: Buffer[] = [];
  let next = 16 + ifd.length;
  fields.forEach(([tag, type, v], i) => {
    const e = 8 + i * 20;
    const size = BIG_TYPE_SIZES[type]!;
    const bytes = Buffer.isBuffer(v) ? v : Buffer.alloc(v.length * size);
    if (!Buffer.isBuffer(v)) v.forEach((x, k) => (size === 8 ? bytes.writeBigUInt64LE(BigInt(x), 8 * k) : bytes.writeUIntLE(x, size * k, size)));
    ifd.writeUInt16LE(tag, e);
    ifd.writeUInt16LE(type, e + 2);
    ifd.writeBigUInt64LE(BigInt(bytes.length / size), e + 4);
    if (bytes.length <= 8) bytes.copy(ifd, e + 12);
    else {
      ifd.writeBigUInt64LE(BigInt(next), e + 12);
      outOfLine.push(bytes);
      next += bytes.length;
    }
  });
  // StripOffsets (the 7th field): the strip follows the values.
  ifd.writeBigUInt64LE(BigInt(next), 8 + 6 * 20 + 12);
  const head = Buffer.from([0x49, 0x49, 43, 0, 8, 0, 0, 0, 16, 0, 0, 0, 0, 0, 0, 0]);
  const strip = Buffer.from(Array.from({ length: side * side }, (_, i) => (i * 37) & 0xff));
  return Buffer.concat([head, ifd, ...outOfLine, strip]);
}
