import { cleanTiff } from "../legacy-office/embedded-tiff.js";
import { cleanGif } from "./gif-in-place.js";
import { cleanDibParts } from "./metafile-dib.js";
import { allZero } from "./metafile-fields.js";
import { cleanJpegOrPng } from "./pictures-in-place.js";

const BMP_FILE_HEADER = 14;

/**
 * A picture file at [start, end) of `b`, inside a drawing (an EMF+ image), loses its metadata in
 * place, its length the same: a JPEG's or PNG's EXIF, XMP, IPTC, ICC profile, comments and text
 * become neutral bytes (pictures-in-place.ts); a GIF's comments and application data become
 * comments of zeros (gif-in-place.ts); a TIFF keeps only the fields that decode its pixels
 * (legacy-office/embedded-tiff.ts); a BMP is cleaned as a drawing's bitmaps are
 * (metafile-dib.ts), its file header's reserved words zeros; an icon stays as it is; bytes of no
 * picture format become zeros. The pixels stay. Says whether anything changed.
 */
export function cleanPictureInPlace(b: Buffer, start: number, end: number): boolean {
  const head = b.toString("latin1", start, start + 4);
  if (head.startsWith("GIF8")) return cleanGif(b, start, end);
  if (head === "II*\0" || head === "MM\0*") {
    const before = Buffer.from(b.subarray(start, end));
    cleanTiff(b, start, end, false);
    return !before.equals(b.subarray(start, end));
  }
  if (head.startsWith("BM") && end - start >= BMP_FILE_HEADER + 16) return cleanBmp(b, start, end);
  if (head.startsWith("\xff\xd8") || head === "\x89PNG") return cleanJpegOrPng(b, start, end);
  // An icon draws as it is; bytes of no picture format a reader decodes draw nothing, and become zeros.
  if (head === "\0\0\x01\0" || allZero(b.subarray(start, end))) return false;
  b.fill(0, start, end);
  return true;
}

/** A BMP file: its header ([MS-WMF] 2.2.2.9 after a 14-byte file header) and bits, split where the file header says the bits start. */
function cleanBmp(b: Buffer, start: number, end: number): boolean {
  const bits = start + b.readUInt32LE(start + 10);
  if (bits < start + BMP_FILE_HEADER || bits > end) return false;
  const reserved = b.subarray(start + 6, start + 10);
  const changed = reserved.some((byte) => byte !== 0);
  reserved.fill(0);
  return cleanDibParts(b, [start + BMP_FILE_HEADER, bits], [bits, end], 0) || changed;
}
