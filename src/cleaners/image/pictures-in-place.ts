import zlib from "node:zlib";
import { holdsExifDirectory } from "./exif-remnants.js";
import { PNG_SIGNATURE } from "./png-chunks.js";

/**
 * JPEG and PNG pictures inside other files (Office 97-2003 BLIPs, drawings' bitmaps and EMF+
 * images), cleaned where they lie: the records and offsets around them record their length, so
 * metadata is overwritten by a neutral form of the same length and nothing moves. On its own,
 * imported by the legacy-office and metafile cleaners alike, which import no part of each other
 * through it.
 */

/** PNG ancillary chunks that change how the pixels are shown and say nothing about the picture's origin. */
const PNG_RENDERING = new Set(["tRNS", "gAMA", "cHRM", "sRGB", "sBIT", "bKGD", "pHYs", "hIST", "cICP", "acTL", "fcTL", "fdAT"]);
/** A private, ancillary, safe-to-copy chunk type that no reader knows: what a removed chunk becomes. */
const PNG_NEUTRAL = Buffer.from("zeRo", "latin1");

const COM = 0xfe;

/**
 * Walks the JPEG's segments, through the entropy-coded data, to its EOI. APP0 JFIF and APP14
 * Adobe (colour transform) stay, APP2 ICC_PROFILE when kept; every other APPn and COM becomes a
 * COM segment of zeros. A walk that meets something it does not understand stops there.
 */
export function cleanJpeg(b: Buffer, start: number, end: number, keepProfile: boolean): boolean {
  if (end - start < 4 || b[start] !== 0xff || b[start + 1] !== 0xd8) return false;
  for (let s = segmentAt(b, start + 2, end); s != null; s = segmentAt(b, s.marker === SOS ? entropyEnd(b, s.end, end) : s.end, end)) {
    if (s.marker === EOI) {
      b.fill(0, s.end, end);
      return true;
    }
    if (((s.marker >= 0xe0 && s.marker <= 0xef) || s.marker === COM) && !keptSegment(s.marker, b.subarray(s.at + 4, s.end), keepProfile)) {
      b[s.at + 1] = COM;
      b.fill(0, s.at + 4, s.end);
    }
  }
  return true;
}

export const SOS = 0xda;
export const EOI = 0xd9;

/** One JPEG marker segment: where its marker is, which one, and where it ends. */
export interface JpegSegment {
  at: number;
  marker: number;
  end: number;
}

/**
 * The marker segment at `p` (after its fill bytes) when a whole one lies there before `end`: a
 * restart, TEM or EOI is its two bytes, any other marker runs over its length. Null when `p` holds
 * no marker or the segment is cut off, which ends a walk.
 */
export function segmentAt(b: Buffer, p: number, end: number): JpegSegment | null {
  if (p + 1 >= end || b[p] !== 0xff) return null;
  while (p + 1 < end && b[p + 1] === 0xff) p++;
  if (p + 1 >= end) return null;
  const marker = b[p + 1]!;
  if ((marker >= 0xd0 && marker <= 0xd7) || marker === 0x01 || marker === EOI) return { at: p, marker, end: p + 2 };
  if (p + 4 > end) return null;
  const segEnd = p + 2 + b.readUInt16BE(p + 2);
  return segEnd > end || segEnd < p + 4 ? null : { at: p, marker, end: segEnd };
}

/** Where the entropy-coded data from `p` ends: at the next marker that is not a stuffed byte or a restart (or at `end`, less its last byte). */
export function entropyEnd(b: Buffer, p: number, end: number): number {
  while (p + 1 < end && !(b[p] === 0xff && b[p + 1] !== 0 && b[p + 1] !== 0xff && !(b[p + 1]! >= 0xd0 && b[p + 1]! <= 0xd7))) p++;
  return p;
}

function keptSegment(marker: number, body: Buffer, keepProfile: boolean): boolean {
  const starts = (s: string): boolean => body.subarray(0, s.length).equals(Buffer.from(s, "latin1"));
  if (marker === 0xe0) return starts("JFIF\0");
  if (marker === 0xee) return starts("Adobe");
  if (marker === 0xe2) return keepProfile && starts("ICC_PROFILE\0");
  return false;
}

/** Critical chunks and those of PNG_RENDERING stay (iCCP when kept); every other chunk becomes a zeRo chunk. */
export function cleanPng(b: Buffer, start: number, end: number, keepProfile: boolean): boolean {
  if (!b.subarray(start, start + 8).equals(PNG_SIGNATURE)) return false;
  let p = start + 8;
  while (p + 12 <= end) {
    const dataEnd = p + 8 + b.readUInt32BE(p);
    if (dataEnd + 4 > end) return true;
    const type = b.toString("latin1", p + 4, p + 8);
    if (type === "IEND") {
      b.fill(0, dataEnd + 4, end);
      return true;
    }
    const critical = (b[p + 4]! & 0x20) === 0;
    if (!critical && !PNG_RENDERING.has(type) && !(keepProfile && type === "iCCP")) {
      PNG_NEUTRAL.copy(b, p + 4);
      b.fill(0, p + 8, dataEnd);
      b.writeUInt32BE(zlib.crc32(b.subarray(p + 4, dataEnd)), dataEnd);
    }
    p = dataEnd + 4;
  }
  return true;
}

/** Signatures of picture metadata: a JPEG's EXIF and XMP segments and Photoshop block. */
const SIGNATURES: readonly Buffer[] = ["Exif\0\0", "http://ns.adobe.com/xap/1.0/", "Photoshop 3.0\0"].map((s) => Buffer.from(s, "latin1"));
/** The text chunks of a PNG (its eXIf chunk is a TIFF structure: exif-remnants.ts finds it). */
const PNG_TEXT_CHUNKS: readonly Buffer[] = ["tEXt", "iTXt", "zTXt"].map((s) => Buffer.from(s, "latin1"));
/** A text chunk's keyword: 1 to 79 printable Latin-1 characters, then a NUL (PNG 11.3.4). */
const MAX_KEYWORD = 79;
/** Chunk types looked at in one stream, at most; past them the stream counts as holding one. */
const MAX_PNG_CHUNK_TYPES = 10_000;

/** Why a drawing (EMF, WMF, SVM) whose pictures still hold metadata after cleaning is refused. */
export const DRAWING_PICTURE_METADATA = "The drawing holds a picture that carries metadata of its own (camera, place, author) in a form this service cannot remove.";

/**
 * True when a stream still holds picture metadata after cleaning: a picture of a kind not
 * cleaned here, or one the walk could not follow. The document is refused rather than handed
 * back with it.
 */
export function holdsPictureMetadata(stream: Buffer): boolean {
  return SIGNATURES.some((s) => stream.includes(s)) || holdsPngTextChunk(stream) || holdsExifDirectory(stream);
}

/**
 * A PNG text chunk: its type, then a keyword. The type's four bytes alone come by chance about
 * once in a gigabyte of compressed data, which a document's photos reach; the chunk's length is
 * not asked for, as the damage that hid the chunk from the PNG walk may have hit it.
 */
function holdsPngTextChunk(stream: Buffer): boolean {
  let looked = 0;
  for (const type of PNG_TEXT_CHUNKS) {
    for (let at = stream.indexOf(type); at >= 0; at = stream.indexOf(type, at + 1)) {
      if (++looked > MAX_PNG_CHUNK_TYPES || keywordAt(stream, at + 4)) return true;
    }
  }
  return false;
}

function keywordAt(b: Buffer, at: number): boolean {
  for (let i = at; i < b.length && i <= at + MAX_KEYWORD; i++) {
    const c = b[i]!;
    if (c === 0) return i > at;
    if (c < 0x20 || (c > 0x7e && c < 0xa1)) return false;
  }
  return false;
}

/**
 * A JPEG or PNG file at [start, end) of `b` loses its metadata in place (cleanJpeg, cleanPng: no
 * profile kept); says whether anything changed. Any other kind of file is left as it is.
 */
export function cleanJpegOrPng(b: Buffer, start: number, end: number): boolean {
  const before = Buffer.from(b.subarray(start, end));
  if (!cleanJpeg(b, start, end, false)) cleanPng(b, start, end, false);
  return !before.equals(b.subarray(start, end));
}
