/**
 * The EXIF Orientation tag (0x0112 in IFD0 of a TIFF-structured EXIF block), read and written by
 * hand: cleaners need only this one value, and a hand-built block holds nothing else.
 */

const ORIENTATION_TAG = 0x0112;
const SHORT = 3;

/** Bytes [at, at + length) of an EXIF block, fewer where it ends. */
export type ExifReader = (at: number, length: number) => Promise<Buffer>;

/** An EXIF block held in memory, as an `ExifReader`. */
export function inMemory(tiff: Buffer): ExifReader {
  return (at, length) => Promise.resolve(tiff.subarray(at, at + length));
}

/**
 * Orientation 1..8 from a TIFF-structured EXIF block of `size` bytes, or null when it has none.
 * Only the header and IFD0's table are read, so the block may stay in the file.
 */
export async function readOrientation(read: ExifReader, size: number): Promise<number | null> {
  if (size < 8) return null;
  const head = await read(0, 8);
  const order = head.toString("latin1", 0, 2);
  if (order !== "II" && order !== "MM") return null;
  const le = order === "II";
  const u16 = (b: Buffer, at: number): number => (le ? b.readUInt16LE(at) : b.readUInt16BE(at));
  if (u16(head, 2) !== 42) return null;
  const ifd = le ? head.readUInt32LE(4) : head.readUInt32BE(4);
  if (ifd + 2 > size) return null;
  const count = u16(await read(ifd, 2), 0);
  const table = await read(ifd + 2, Math.min(count * 12, size - ifd - 2));
  for (let i = 0; i < count; i++) {
    const entry = i * 12;
    if (entry + 12 > table.length) return null;
    if (u16(table, entry) !== ORIENTATION_TAG) continue;
    if (u16(table, entry + 2) !== SHORT) return null;
    const value = u16(table, entry + 8);
    return value >= 1 && value <= 8 ? value : null;
  }
  return null;
}

/** A TIFF-structured EXIF block whose only tag is Orientation. */
export function orientationOnlyExif(orientation: number): Buffer {
  const b = Buffer.alloc(26);
  b.write("MM", 0, "latin1");
  b.writeUInt16BE(42, 2);
  b.writeUInt32BE(8, 4); // IFD0 right after the header
  b.writeUInt16BE(1, 8); // one entry
  b.writeUInt16BE(ORIENTATION_TAG, 10);
  b.writeUInt16BE(SHORT, 12);
  b.writeUInt32BE(1, 14);
  b.writeUInt16BE(orientation, 18); // a SHORT sits left-justified in the 4-byte value field
  b.writeUInt32BE(0, 22); // no IFD1 (no thumbnail)
  return b;
}
