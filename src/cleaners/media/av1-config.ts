/** The marker bit and version 1 that start an `av1C` record (AV1 Codec ISO Media File Format Binding 2.3.3). */
const MARKER_AND_VERSION = 0x81;
/** The record's four bytes of fields before its `configOBUs`. */
const FIELDS = 4;
const OBU_SEQUENCE_HEADER = 1;

/**
 * Where the part of an `av1C` record that a reader needs ends: its fields, then the sequence
 * header OBUs its `configOBUs` start with (each with its size, as the binding requires). What
 * follows (metadata OBUs, whose ITU-T T.35 payloads can carry any text, or bytes that are no OBU)
 * is no decoder's business: the stream carries its own sequence header, and dav1d and ffmpeg read
 * only that one from the record. Null when the record is not one.
 */
export function av1ConfigLength(record: Buffer): number | null {
  if (record.length < FIELDS || record[0] !== MARKER_AND_VERSION) return null;
  let pos = FIELDS;
  while (pos < record.length) {
    const header = record[pos]!;
    const hasExtension = (header & 0x04) !== 0;
    if ((header & 0x80) !== 0 || ((header >> 3) & 0x0f) !== OBU_SEQUENCE_HEADER || (header & 0x02) === 0) break;
    const size = leb128(record, pos + 1 + (hasExtension ? 1 : 0));
    if (size == null || size.end + size.value > record.length) break;
    pos = size.end + size.value;
  }
  return pos;
}

const OBU_PADDING = 15;

/**
 * A copy of an `av1C` record whose bytes past `av1ConfigLength` are one padding OBU of zeros, so
 * that a reader which hands the `configOBUs` to the decoder ahead of the picture's own OBUs
 * (libheif does) still gets whole OBUs it skips; a single byte left over, which no OBU fits, is
 * zeroed. Null when the record is not one.
 */
export function av1ConfigPadded(record: Buffer): Buffer | null {
  const length = av1ConfigLength(record);
  if (length == null) return null;
  const out = Buffer.from(record).fill(0, length);
  const room = record.length - length;
  if (room < 2) return out;
  out[length] = (OBU_PADDING << 3) | 0x02;
  // The size field as wide as it must be for the payload to fill the rest (LEB128 may carry
  // zero groups with their continuation bit set).
  let width = 1;
  while (room - 1 - width >= 2 ** (7 * width)) width++;
  let size = room - 1 - width;
  for (let i = 0; i < width; i++) {
    out[length + 1 + i] = (size % 128) | (i < width - 1 ? 0x80 : 0);
    size = Math.floor(size / 128);
  }
  return out;
}

/** An unsigned LEB128 number at `at` (at most 8 bytes, AV1 4.10.5), and where it ends. */
function leb128(buf: Buffer, at: number): { value: number; end: number } | null {
  let value = 0;
  for (let i = 0; i < 8; i++) {
    const b = buf[at + i];
    if (b == null) return null;
    value += (b & 0x7f) * 2 ** (7 * i);
    if ((b & 0x80) === 0) return { value, end: at + i + 1 };
  }
  return null;
}
