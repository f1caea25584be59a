import fsp from "node:fs/promises";
import { MAX_JPEG_SEGMENTS } from "../../cleaners/image/jpeg-screen.js";

/** Larger inner JPEGs go to ExifTool as they are: the walk below reads the file whole. */
export const MAX_BARE_CHECK_BYTES = 16 * 1024 * 1024;

/** Bytes of an inner file read first: most JPEGs with metadata show it in their first segments. */
const PREFIX_BYTES = 64 * 1024;

/** The same as `isBareJpeg`, for a file on disk: its start first, the whole file only when that start is bare. */
export async function isBareJpegFile(file: string): Promise<boolean> {
  const handle = await fsp.open(file, "r");
  try {
    const { size } = await handle.stat();
    if (size < 4 || size > MAX_BARE_CHECK_BYTES) return false;
    const start = Buffer.allocUnsafe(Math.min(size, PREFIX_BYTES));
    const first = await readAt(handle, start, 0, start.length);
    if (first === size) return isBareJpeg(start);
    if (bareWalk(start.subarray(0, first), false) === false) return false;
    const bytes = Buffer.allocUnsafe(size);
    start.copy(bytes, 0, 0, first);
    return isBareJpeg(bytes.subarray(0, first + (await readAt(handle, bytes, first, size - first))));
  } finally {
    await handle.close();
  }
}

/** Up to `length` bytes at `at` of the file into `into` at the same place; fewer only where the file ends. */
async function readAt(handle: fsp.FileHandle, into: Buffer, at: number, length: number): Promise<number> {
  let got = 0;
  while (got < length) {
    const { bytesRead } = await handle.read(into, at + got, length - got, at + got);
    if (bytesRead === 0) break;
    got += bytesRead;
  }
  return got;
}

/**
 * Whether `b` is a JPEG holding nothing but its picture: before its first scan only a JFIF
 * segment without a thumbnail or an Adobe segment, tables and the frame header; after it only
 * more scans and tables, ending with the end-of-image marker as its last bytes. ExifTool reads
 * nothing from such a file that a finding reports (the JFIF resolution, the picture's size), so an
 * inner look skips its read: cover art and a document's pictures saved without metadata (the bench
 * corpus' MP3 and FLAC covers) cost an ExifTool read each. A scan's entropy-coded data holds 0xFF
 * only before 0x00 or a restart marker, so any other marker in it is a real segment, and any
 * segment not listed sends the file to ExifTool. The look skips the screen as well for such a file,
 * so one of more segments before its first scan than the screen lets through (MAX_JPEG_SEGMENTS)
 * is not bare: it goes on to be refused as too complex, as any other.
 */
export function isBareJpeg(b: Buffer): boolean {
  return b.length <= MAX_BARE_CHECK_BYTES && bareWalk(b, true) === true;
}

/** The walk of `isBareJpeg` over the whole file, or (`whole` false) over its start: undefined when that start leaves it open. */
function bareWalk(b: Buffer, whole: boolean): boolean | undefined {
  const open = whole ? false : undefined;
  if (b.length < 4) return open;
  if (b[0] !== 0xff || b[1] !== 0xd8) return false;
  let at = 2;
  let scanned = false;
  let segments = 0;
  while (at + 1 < b.length) {
    if (b[at] !== 0xff) {
      if (!scanned) return false;
      at += 1;
      continue;
    }
    const marker = b[at + 1]!;
    if (marker === 0xff) {
      at += 1;
      continue;
    }
    if (scanned && (marker === 0x00 || (marker >= 0xd0 && marker <= 0xd7))) {
      at += 2;
      continue;
    }
    if (marker === 0xd9) return at + 2 === b.length ? (scanned ? (whole ? true : undefined) : false) : false;
    if (at + 4 > b.length) return open;
    const length = b.readUInt16BE(at + 2);
    if (length < 2) return false;
    if (at + 2 + length > b.length && !whole) return undefined;
    if (!isPictureSegment(marker, b.subarray(at + 4, at + 2 + length))) return false;
    if (!scanned && marker !== 0xda && ++segments > MAX_JPEG_SEGMENTS) return false;
    if (marker === 0xda) scanned = true;
    at += 2 + length;
  }
  return open;
}

/**
 * Tables, frame and scan headers, restart interval, and the JFIF and Adobe segments of their fixed
 * lengths (a JFIF segment with a thumbnail is longer; a JFXX one is a thumbnail).
 */
function isPictureSegment(marker: number, data: Buffer): boolean {
  if (marker >= 0xc0 && marker <= 0xcf) return true; // SOFn, DHT, DAC
  if (marker === 0xdb || marker === 0xdd || marker === 0xda) return true; // DQT, DRI, SOS
  if (marker === 0xe0) return data.length === 14 && data.toString("latin1", 0, 5) === "JFIF\0";
  if (marker === 0xee) return data.length === 12 && data.toString("latin1", 0, 5) === "Adobe";
  return false;
}
