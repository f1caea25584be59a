import zlib from "node:zlib";
import { asBmp, cleanDib } from "./embedded-dib.js";
import { type MetafileKind, cleanMetafile } from "./embedded-metafile.js";
import { cleanTiff } from "./embedded-tiff.js";
import { PNG_SIGNATURE } from "../image/png-chunks.js";

/**
 * Pictures inside Office 97-2003 files: OfficeArt BLIP records ([MS-ODRAW] 2.2.23), kept whole
 * in Word's Data and WordDocument streams, PowerPoint's Pictures stream and Excel's drawing
 * group. Their sizes are recorded around them (record lengths, picture descriptors, offsets), so
 * the metadata is overwritten in place by a neutral form of the same length and nothing moves:
 * a JPEG's APPn and COM segments become comment segments of zeros, a PNG's ancillary chunks
 * become a private chunk of zeros with its CRC, a TIFF keeps only the fields that decode its
 * pixels (embedded-tiff.ts), a DIB loses its colour profile (embedded-dib.ts), an EMF or WMF
 * its description and comments (embedded-metafile.ts), bytes after the picture's end are
 * zeroed. The decoded pixels are the same.
 */

/** Record types and instances of the BLIPs that hold a JPEG, PNG, TIFF or DIB file; odd instances carry a second 16-byte id. */
const JPEG_BLIP = new Map([[0xf01d, [0x46a, 0x46b, 0x6e2, 0x6e3]], [0xf02a, [0x46a, 0x46b, 0x6e2, 0x6e3]]]);
const PNG_BLIP = new Map([[0xf01e, [0x6e0, 0x6e1]]]);
const TIFF_BLIP = new Map([[0xf029, [0x6e4, 0x6e5]]]);
const DIB_BLIP = new Map([[0xf01f, [0x7a8, 0x7a9]]]);
/** Record types and instances of the BLIPs that hold an EMF or WMF metafile (after its 34-byte header, no tag byte). */
const METAFILE_BLIPS: ReadonlyArray<[number, readonly number[], MetafileKind]> = [
  [0xf01a, [0x3d4, 0x3d5], "emf"],
  [0xf01b, [0x216, 0x217], "wmf"],
];


/** PNG ancillary chunks that change how the pixels are shown and say nothing about the picture's origin. */
const PNG_RENDERING = new Set(["tRNS", "gAMA", "cHRM", "sRGB", "sBIT", "bKGD", "pHYs", "hIST", "cICP", "acTL", "fcTL", "fdAT"]);
/** A private, ancillary, safe-to-copy chunk type that no reader knows: what a removed chunk becomes. */
const PNG_NEUTRAL = Buffer.from("zeRo", "latin1");

const COM = 0xfe;

/** A picture as it was and as it is after cleaning, to count what went. */
export interface CleanedPicture {
  original: Buffer;
  cleaned: Buffer;
}

/**
 * Cleans in place every JPEG, PNG, TIFF, DIB, EMF and WMF BLIP found in `view` (a stream, or
 * the joined bodies of Excel's drawing-group records). `keepProfile`: the ICC profile stays
 * (keep=colorProfile). Each JPEG, PNG, TIFF and DIB picture cleaned is added to `done` as a file
 * ExifTool reads (a DIB as a BMP), which counts what went from them; the number of texts blanked in metafiles, which ExifTool does not
 * read, is returned.
 */
export function cleanPictures(view: Buffer, keepProfile: boolean, done: CleanedPicture[]): number {
  let metafileTexts = 0;
  for (const [type, instances, kind] of METAFILE_BLIPS) {
    for (const at of records(view, type)) {
      const metafile = blipData(view, at, instances, 0);
      if (metafile != null) metafileTexts += cleanMetafile(view, metafile.start, metafile.end, kind) ?? 0;
    }
  }
  const asFile = (b: Buffer): Buffer => b;
  for (const [types, clean, readable] of [
    [JPEG_BLIP, cleanJpeg, asFile],
    [PNG_BLIP, cleanPng, asFile],
    [TIFF_BLIP, cleanTiff, asFile],
    [DIB_BLIP, cleanDib, asBmp],
  ] as const) {
    for (const [type, instances] of types) {
      for (const at of records(view, type)) {
        const picture = blipData(view, at, instances, 1);
        if (picture == null) continue;
        const original = readable(Buffer.from(view.subarray(picture.start, picture.end)));
        if (clean(view, picture.start, picture.end, keepProfile)) done.push({ original, cleaned: readable(Buffer.from(view.subarray(picture.start, picture.end))) });
      }
    }
  }
  return metafileTexts;
}

/** Where records of `type` may start in `b`: wherever the type's two bytes are, two bytes on. */
function* records(b: Buffer, type: number): Generator<number> {
  const needle = Buffer.alloc(2);
  needle.writeUInt16LE(type);
  for (let at = b.indexOf(needle, 2); at >= 0; at = b.indexOf(needle, at + 1)) yield at - 2;
}

/**
 * The data of a BLIP record whose header starts at `pos` (after its one or two 16-byte ids and
 * `tag` bytes), or null when it is none.
 */
function blipData(b: Buffer, pos: number, instances: readonly number[], tag: number): { start: number; end: number } | null {
  if (pos < 0 || pos + 8 > b.length) return null;
  const verInstance = b.readUInt16LE(pos);
  if ((verInstance & 0xf) !== 0) return null;
  const instance = verInstance >> 4;
  if (!instances.includes(instance)) return null;
  const end = pos + 8 + b.readUInt32LE(pos + 4);
  const start = pos + 8 + ((instance & 1) !== 0 ? 32 : 16) + tag;
  return start < end && end <= b.length ? { start, end } : null;
}

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

/**
 * True when a stream still holds picture metadata after cleaning: a picture of a kind not
 * cleaned here, or one the walk could not follow. The document is refused rather than handed
 * back with it.
 */
export function holdsPictureMetadata(stream: Buffer): boolean {
  return SIGNATURES.some((s) => stream.includes(s));
}
