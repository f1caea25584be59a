import type { FileHandle } from "node:fs/promises";
import type { Piece, PieceSource } from "./patch-pieces.js";

const SYNC = 0x47;
/** Transport packets read at a time. */
const PACKETS_PER_CHUNK = 16 * 1024;

/**
 * The payload of one elementary stream (by PID) of an MPEG transport stream, as the pieces its
 * 188-byte packets cut it into (ISO/IEC 13818-1 2.4.3.2): each packet's bytes after its header
 * and adaptation field. M2TS packets (192 bytes) start with a 4-byte arrival timestamp. The PES
 * headers between samples are part of the joined bytes; a NAL unit never spans one.
 */
export function tsPayloadPieces(pid: number): PieceSource {
  return async function* (fh: FileHandle) {
    const { size } = await fh.stat();
    const layout = await packetLayout(fh, size);
    const chunkBytes = layout.size * PACKETS_PER_CHUNK;
    for (let base = 0; base < size; base += chunkBytes) {
      const buf = Buffer.alloc(Math.min(chunkBytes, size - base));
      const { bytesRead } = await fh.read(buf, 0, buf.length, base);
      const pieces: Piece[] = [];
      for (let p = 0; p + layout.size <= bytesRead; p += layout.size) {
        const h = p + layout.prefix;
        if (buf[h] !== SYNC) throw new Error(`no transport packet sync byte at ${base + h}`);
        if ((((buf[h + 1]! & 0x1f) << 8) | buf[h + 2]!) !== pid) continue;
        const control = (buf[h + 3]! >> 4) & 3;
        if ((control & 1) === 0) continue; // adaptation field only
        const start = h + 4 + ((control & 2) !== 0 ? 1 + buf[h + 4]! : 0);
        const end = h + 188;
        if (start < end) pieces.push({ at: base + start, bytes: buf.subarray(start, end) });
      }
      yield pieces;
    }
  };
}

/** 188-byte packets, or M2TS's 192 with the sync byte after a 4-byte prefix. */
async function packetLayout(fh: FileHandle, size: number): Promise<{ size: number; prefix: number }> {
  const head = Buffer.alloc(Math.min(size, 2 * 192 + 8));
  await fh.read(head, 0, head.length, 0);
  if (head[0] === SYNC && (head.length < 189 || head[188] === SYNC)) return { size: 188, prefix: 0 };
  if (head[4] === SYNC && (head.length < 197 || head[196] === SYNC)) return { size: 192, prefix: 4 };
  throw new Error("not an MPEG transport stream: no sync byte where a packet starts");
}
