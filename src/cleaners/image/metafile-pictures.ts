import { cleanJpeg, cleanPng } from "./pictures-in-place.js";

/**
 * A JPEG or PNG file at [start, end) of `b`, a picture inside a drawing, loses its metadata in
 * place as in Office 97-2003 documents (pictures-in-place.ts: EXIF, XMP, IPTC,
 * ICC profile, comments and text chunks become neutral bytes of the same length, the pixels stay).
 * Says whether anything changed; any other kind of file is left as it is.
 */
export function cleanPictureInPlace(b: Buffer, start: number, end: number): boolean {
  const before = Buffer.from(b.subarray(start, end));
  if (!cleanJpeg(b, start, end, false)) cleanPng(b, start, end, false);
  return !before.equals(b.subarray(start, end));
}

const BI_JPEG = 4;
const BI_PNG = 5;

/**
 * A bitmap of a drawing record whose offsets and sizes lie at `at` (offBmi, cbBmi, offBits,
 * cbBits): when its header says its bits are a JPEG or PNG file ([MS-WMF] 2.1.1.7), that file
 * is cleaned in place. Says whether anything changed.
 */
export function cleanCompressedBitmap(record: Buffer, at: number): boolean {
  const header = record.readUInt32LE(at);
  const bits = record.readUInt32LE(at + 8);
  if (record.readUInt32LE(at + 4) < 40 || header + 40 > record.length || record.readUInt32LE(header) < 40) return false;
  const compression = record.readUInt32LE(header + 16);
  if (compression !== BI_JPEG && compression !== BI_PNG) return false;
  return cleanPictureInPlace(record, bits, bits + record.readUInt32LE(at + 12));
}
