import fsp from "node:fs/promises";

/** Larger inner JPEGs go to ExifTool as they are: the walk below reads the file whole. */
const MAX_BARE_CHECK_BYTES = 16 * 1024 * 1024;

/**
 * Whether `file` is a JPEG holding nothing but its picture: before its first scan only a JFIF
 * segment without a thumbnail or an Adobe segment, tables and the frame header; after it only
 * more scans and tables, ending with the end-of-image marker as its last bytes. ExifTool reads
 * nothing from such a file that a finding reports (the JFIF resolution, the picture's size), so an
 * inner look skips its read: cover art and a document's pictures saved without metadata (the bench
 * corpus' MP3 and FLAC covers) cost an ExifTool read each. A scan's entropy-coded data holds 0xFF
 * only before 0x00 or a restart marker, so any other marker in it is a real segment, and any
 * segment not listed sends the file to ExifTool.
 */
export async function isBareJpeg(file: string): Promise<boolean> {
  const { size } = await fsp.stat(file);
  if (size < 4 || size > MAX_BARE_CHECK_BYTES) return false;
  const b = await fsp.readFile(file);
  if (b[0] !== 0xff || b[1] !== 0xd8) return false;
  let at = 2;
  let scanned = false;
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
    if (marker === 0xd9) return scanned && at + 2 === b.length;
    if (at + 4 > b.length) return false;
    const length = b.readUInt16BE(at + 2);
    if (length < 2 || !isPictureSegment(marker, b.subarray(at + 4, at + 2 + length))) return false;
    if (marker === 0xda) scanned = true;
    at += 2 + length;
  }
  return false;
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
