/** ADTS frames (ISO/IEC 13818-7 6.2, 14496-3 1.A.2): a 7-byte header, 9 with its CRC. */
export interface AdtsFrame {
  /** The frame's first byte (its sync word). */
  at: number;
  /** Where its first raw data block starts. */
  block: number;
  /** The byte after the frame. */
  end: number;
}

const HEADER = 7;

/**
 * The frame whose header starts at `buf[at]`, when a valid one does and ends inside `buf`; null
 * otherwise. Of several raw data blocks in one frame, the first is reached (ffmpeg's muxers
 * write one per frame).
 */
export function adtsFrameAt(buf: Buffer, at: number): AdtsFrame | null {
  if (!startsHeader(buf, at)) return null;
  const protectionAbsent = buf[at + 1]! & 1;
  const length = ((buf[at + 3]! & 3) << 11) | (buf[at + 4]! << 3) | (buf[at + 5]! >> 5);
  const blocks = buf[at + 6]! & 3;
  // With a CRC, the positions of the further blocks and the CRC itself come first.
  const block = at + HEADER + (protectionAbsent === 1 ? 0 : 2 + (blocks > 0 ? 2 * blocks : 0));
  if (length < block - at || at + length > buf.length) return null;
  return { at, block, end: at + length };
}

/** True when a frame header (sync word, layer 0) starts at `buf[at]`, whether or not its frame ends inside `buf`. */
export function startsHeader(buf: Buffer, at: number): boolean {
  return at + HEADER <= buf.length && buf[at] === 0xff && (buf[at + 1]! & 0xf6) === 0xf0;
}
