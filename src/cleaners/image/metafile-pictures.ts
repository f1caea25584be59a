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
