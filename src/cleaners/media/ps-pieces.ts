import type { Piece, PieceSource } from "./patch-pieces.js";

const PACK = 0xba;
const END = 0xb9;
/** Bytes read at a time; a PES packet is at most 6 + 65,535 bytes, so one always fits. */
const CHUNK = 4 * 1024 * 1024;

/**
 * The payload of one elementary stream (by its PES stream id, 0xC0-0xEF) of an MPEG program
 * stream, as the pieces its PES packets cut it into (ISO/IEC 13818-1 2.5.3, 11172-1 2.4.3): each
 * packet's bytes after its header. ffmpeg's program stream muxers cut a picture over packets of
 * about 2 KB, so a unit inside it can span two; the joined pieces hold it whole.
 */
export function psPayloadPieces(streamId: number): PieceSource {
  return async function* (fh) {
    const { size } = await fh.stat();
    let base = 0;
    while (base < size) {
      const buf = Buffer.alloc(Math.min(CHUNK, size - base));
      const { bytesRead } = await fh.read(buf, 0, buf.length, base);
      const pieces: Piece[] = [];
      let p = 0;
      for (;;) {
        const length = packetLength(buf, p, bytesRead);
        if (length == null) break;
        if (buf[p + 3] === streamId) {
          const start = p + payloadOffset(buf, p);
          if (start < p + length) pieces.push({ at: base + start, bytes: buf.subarray(start, p + length) });
        }
        p += length;
      }
      if (p === 0) {
        if (size - base < 6) break;
        throw new Error(`no whole program stream packet at ${base}`);
      }
      yield pieces;
      base += p;
    }
  };
}

/** The length of the pack, system header or packet at `p`, or null when it does not end before `end`. */
function packetLength(buf: Buffer, p: number, end: number): number | null {
  if (p + 6 > end) return null;
  if (buf[p] !== 0 || buf[p + 1] !== 0 || buf[p + 2] !== 1) throw new Error("no start code where a program stream packet starts");
  const code = buf[p + 3]!;
  let length: number;
  if (code === END) length = 4;
  else if (code === PACK) {
    // MPEG-2's pack header (its first bits 01) is 14 bytes and its stuffing; MPEG-1's is 12.
    if ((buf[p + 4]! & 0xc0) !== 0x40) length = 12;
    else if (p + 14 > end) return null;
    else length = 14 + (buf[p + 13]! & 7);
  } else if (code < PACK) throw new Error(`a start code 0x${code.toString(16)} where a program stream packet starts`);
  else length = 6 + buf.readUInt16BE(p + 4);
  return p + length <= end ? length : null;
}

/** Where a PES packet's payload starts: after MPEG-2's header, or MPEG-1's stuffing, buffer size and time stamps. */
function payloadOffset(buf: Buffer, p: number): number {
  if ((buf[p + 6]! & 0xc0) === 0x80) return 9 + buf[p + 8]!;
  let at = 6;
  while (buf[p + at] === 0xff) at++;
  if ((buf[p + at]! & 0xc0) === 0x40) at += 2;
  const flags = buf[p + at]! >> 4;
  return at + (flags === 2 ? 5 : flags === 3 ? 10 : 1);
}
