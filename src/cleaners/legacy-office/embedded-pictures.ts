import { cleanJpeg, cleanPng } from "../image/pictures-in-place.js";
import { asBmp, cleanDib } from "./embedded-dib.js";
import type { DeflateBudget } from "./deflate-to-fit.js";
import { type MetafileKind, cleanMetafile } from "./embedded-metafile.js";
import { cleanTiff } from "./embedded-tiff.js";

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
 * read, is returned. `budget`: what the document's drawings may still have deflated tightly.
 */
export function cleanPictures(view: Buffer, keepProfile: boolean, done: CleanedPicture[], budget: DeflateBudget): number {
  let metafileTexts = 0;
  for (const [type, instances, kind] of METAFILE_BLIPS) {
    for (const at of records(view, type)) {
      const metafile = blipData(view, at, instances, 0);
      if (metafile != null) metafileTexts += cleanMetafile(view, metafile.start, metafile.end, kind, budget) ?? 0;
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

/**
 * Where the JPEG, PNG and TIFF files of the BLIPs in `view` lie (as cleanPictures finds them), for
 * the findings' look into them; in the order of their kinds, then of their places.
 */
export function pictureRanges(view: Buffer): Array<{ start: number; end: number }> {
  const found: Array<{ start: number; end: number }> = [];
  for (const types of [JPEG_BLIP, PNG_BLIP, TIFF_BLIP]) {
    for (const [type, instances] of types) {
      for (const at of records(view, type)) {
        const picture = blipData(view, at, instances, 1);
        if (picture != null) found.push(picture);
      }
    }
  }
  return found;
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
