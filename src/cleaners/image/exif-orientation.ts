/**
 * The EXIF Orientation tag (0x0112 in IFD0 of a TIFF-structured EXIF block), read and written by
 * hand: cleaners need only this one value, and a hand-built block holds nothing else.
 */

const ORIENTATION_TAG = 0x0112;
const SHORT = 3;

/** Orientation 1..8 from a TIFF-structured EXIF block, or null when it has none. */
export function readOrientation(tiff: Buffer): number | null {
  if (tiff.length < 8) return null;
  const order = tiff.toString("latin1", 0, 2);
  if (order !== "II" && order !== "MM") return null;
  const le = order === "II";
  const u16 = (at: number): number => (le ? tiff.readUInt16LE(at) : tiff.readUInt16BE(at));
  const u32 = (at: number): number => (le ? tiff.readUInt32LE(at) : tiff.readUInt32BE(at));
  if (u16(2) !== 42) return null;
  const ifd = u32(4);
  if (ifd + 2 > tiff.length) return null;
  const count = u16(ifd);
  for (let i = 0; i < count; i++) {
    const entry = ifd + 2 + i * 12;
    if (entry + 12 > tiff.length) return null;
    if (u16(entry) !== ORIENTATION_TAG) continue;
    if (u16(entry + 2) !== SHORT) return null;
    const value = u16(entry + 8);
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
