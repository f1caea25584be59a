/** A box header (ISO BMFF: HEIF, JPEG 2000 and JPEG XL files) read from a buffer. */
export interface Box {
  type: string;
  headerSize: number;
  size: number;
}

/** The box whose header starts at `at`, within `room` bytes; null when it does not fit. */
export function boxAt(buf: Buffer, at: number, room: number): Box | null {
  if (at + 8 > buf.length) return null;
  let size = buf.readUInt32BE(at);
  const type = buf.toString("latin1", at + 4, at + 8);
  let headerSize = 8;
  if (size === 1) {
    if (at + 16 > buf.length) return null;
    size = Number(buf.readBigUInt64BE(at + 8));
    headerSize = 16;
  } else if (size === 0) {
    size = room;
  }
  if (size < headerSize || size > room) return null;
  return { type, headerSize, size };
}
