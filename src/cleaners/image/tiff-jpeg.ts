import type { FileBytes } from "../file-bytes.js";
import { APP0, APP14, EOI, SOI, SOS } from "./jpeg-markers.js";

/**
 * A JPEG-compressed TIFF page (compression 7) holds one JPEG stream per strip or tile, and its
 * shared tables in one more (`JPEGTables`). The TIFF cleaner copies them byte for byte, and
 * ExifTool does not look inside them, so a comment or an EXIF, XMP or ICC segment written into one
 * would pass through unseen. Before its scan, such a stream needs nothing but coding segments:
 * tables, frame header, restart interval, and at most a JFIF or Adobe header of their fixed form.
 */

/** SOF0-15 (C4 DHT, C8 JPG and CC DAC among them), DQT, DNL, DRI, DHP, EXP. */
const CODING = (marker: number): boolean => (marker >= 0xc0 && marker <= 0xcf) || (marker >= 0xdb && marker <= 0xdf);
/** Real streams have a handful of segments before their scan. */
const MAX_SEGMENTS = 64;

/**
 * The first segment of the JPEG streams at `ranges` of `src` that is not coding (`"COM"`,
 * `"APP1"`...), or null when there is none. Each stream is read up to its scan (or, for tables,
 * its end); a stream that does not start like one counts as foreign, unless `headless` (old-style
 * JPEG's strips, whose headers libtiff reads with or without a start of image).
 */
export async function foreignJpegSegment(src: FileBytes, ranges: ReadonlyArray<readonly [number, number]>, headless = false): Promise<string | null> {
  for (const [from, to] of ranges) {
    const found = await foreignIn(src, from, to, headless);
    if (found != null) return found;
  }
  return null;
}

async function foreignIn(src: FileBytes, from: number, to: number, headless: boolean): Promise<string | null> {
  if (to - from < 2) return to === from ? null : "no start of image";
  const head = await src.read(from, 2);
  const soi = head[0] === 0xff && head[1] === SOI;
  if (!soi && !headless) return "no start of image";
  let at = soi ? from + 2 : from;
  let segments = 0;
  for (; segments < MAX_SEGMENTS && at + 4 <= to; segments++) {
    const b = await src.read(at, 4);
    if (b[0] !== 0xff) return "bytes outside a segment";
    const marker = b[1]!;
    if (marker === 0xff) {
      at += 1; // fill byte
      continue;
    }
    if (marker === SOS || marker === EOI) return null;
    const length = b.readUInt16BE(2);
    if (length < 2 || at + 2 + length > to) return "a segment running past its stream";
    if (!CODING(marker) && !(await fixedHeader(src, marker, at + 4, length - 2))) return marker === 0xfe ? "COM" : `marker 0x${marker.toString(16)}`;
    at += 2 + length;
  }
  return segments === MAX_SEGMENTS ? "too many segments before its scan" : null;
}

/**
 * A JFIF header without a thumbnail (version, density: 14 bytes) or an Adobe header (version,
 * flags, colour transform: 12 bytes): what decoders read, and nothing else.
 */
async function fixedHeader(src: FileBytes, marker: number, at: number, length: number): Promise<boolean> {
  if (marker === APP0 && length === 14) {
    const b = await src.read(at, 14);
    return b.toString("latin1", 0, 5) === "JFIF\0" && b[12] === 0 && b[13] === 0;
  }
  if (marker === APP14 && length === 12) return (await src.read(at, 5)).toString("latin1") === "Adobe";
  return false;
}
