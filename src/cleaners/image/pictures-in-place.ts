import zlib from "node:zlib";
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
  let p = start + 2;
  while (p + 1 < end) {
    if (b[p] !== 0xff) return true;
    while (p + 1 < end && b[p + 1] === 0xff) p++;
    const marker = b[p + 1]!;
    if (marker === 0xd9) {
      b.fill(0, p + 2, end);
      return true;
    }
    if ((marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) {
      p += 2;
      continue;
    }
    if (p + 4 > end) return true;
    const segEnd = p + 2 + b.readUInt16BE(p + 2);
    if (segEnd > end || segEnd < p + 4) return true;
    if (((marker >= 0xe0 && marker <= 0xef) || marker === COM) && !keptSegment(marker, b.subarray(p + 4, segEnd), keepProfile)) {
      b[p + 1] = COM;
      b.fill(0, p + 4, segEnd);
    }
    p = segEnd;
    if (marker === 0xda) {
      while (p + 1 < end && !(b[p] === 0xff && b[p + 1] !== 0 && b[p + 1] !== 0xff && !(b[p + 1]! >= 0xd0 && b[p + 1]! <= 0xd7))) p++;
    }
  }
  return true;
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

/**
 * Signatures of picture metadata: a JPEG's EXIF and XMP segments and Photoshop block, and the
 * text and EXIF chunks of a PNG.
 */
const SIGNATURES: readonly Buffer[] = ["Exif\0\0", "http://ns.adobe.com/xap/1.0/", "Photoshop 3.0\0", "eXIf", "tEXt", "iTXt", "zTXt"].map((s) =>
  Buffer.from(s, "latin1"),
);

/** Why a drawing (EMF, WMF, SVM) whose pictures still hold metadata after cleaning is refused. */
export const DRAWING_PICTURE_METADATA = "The drawing holds a picture that carries metadata of its own (camera, place, author) in a form this service cannot remove.";

/**
 * True when a stream still holds picture metadata after cleaning: a picture of a kind not
 * cleaned here, or one the walk could not follow. The document is refused rather than handed
 * back with it.
 */
export function holdsPictureMetadata(stream: Buffer): boolean {
  return SIGNATURES.some((s) => stream.includes(s)) || holdsTiffMetadata(stream);
}

/**
 * IFD0 tags that describe rather than decode a picture (camera, software, dates, author, text,
 * and the pointers to EXIF, GPS, XMP and IPTC blocks), which no cleaned TIFF keeps.
 */
const DESCRIPTIVE_TIFF_TAGS: ReadonlySet<number> = new Set([
  0x010d, 0x010e, 0x010f, 0x0110, 0x0131, 0x0132, 0x013b, 0x013c, 0x02bc, 0x8298, 0x83bb, 0x8769, 0x8825, 0x9c9b, 0x9c9c, 0x9c9d, 0x9c9e, 0x9c9f,
]);
const TIFF_HEADERS = [Buffer.from("II*\0", "latin1"), Buffer.from("MM\0*", "latin1")];
/** Headers looked at in one stream, at most: each costs a few reads. */
const MAX_TIFF_HEADERS = 10_000;

/**
 * An EXIF block (a TIFF structure whose first directory names a camera, an author or a date)
 * anywhere in `stream`: what is left of a JPEG whose start was damaged, where no JPEG walk finds
 * it and its "Exif" signature may be gone.
 */
function holdsTiffMetadata(stream: Buffer): boolean {
  let looked = 0;
  for (const header of TIFF_HEADERS) {
    const big = header[0] === 0x4d;
    for (let at = stream.indexOf(header); at >= 0 && looked < MAX_TIFF_HEADERS; at = stream.indexOf(header, at + 1), looked++) {
      if (at + 8 > stream.length) break;
      const ifd = at + (big ? stream.readUInt32BE(at + 4) : stream.readUInt32LE(at + 4));
      if (ifd < at + 8 || ifd + 2 > stream.length) continue;
      const entries = big ? stream.readUInt16BE(ifd) : stream.readUInt16LE(ifd);
      for (let i = 0; i < entries && ifd + 2 + 12 * (i + 1) <= stream.length; i++) {
        const tag = big ? stream.readUInt16BE(ifd + 2 + 12 * i) : stream.readUInt16LE(ifd + 2 + 12 * i);
        if (DESCRIPTIVE_TIFF_TAGS.has(tag)) return true;
      }
    }
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
