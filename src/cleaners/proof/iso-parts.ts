import type fsp from "node:fs/promises";

/** The box-reading primitives of the ISO BMFF proofs (MP4/MOV and HEIF), kept apart from the cleaners' own box code. */

export interface Part {
  type: string;
  /** Payload start and end. */
  from: number;
  to: number;
}

/** The boxes between `from` and `to`, or null when they do not tile it exactly. */
export function parts(buf: Buffer, from: number, to: number): Part[] | null {
  const out: Part[] = [];
  for (let at = from; at < to; ) {
    if (to - at < 8) return null;
    const length = buf.readUInt32BE(at);
    if (length < 8 || at + length > to) return null;
    out.push({ type: buf.toString("latin1", at + 4, at + 8), from: at + 8, to: at + length });
    at += length;
  }
  return out;
}

export function zero(buf: Buffer, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (buf[i] !== 0) return false;
  return true;
}

/** Whether the file's bytes from `from` to `to` are all zero, read a mebibyte at a time. */
export async function allZero(fh: fsp.FileHandle, from: number, to: number): Promise<boolean> {
  const chunk = Buffer.alloc(Math.min(1024 * 1024, Math.max(0, to - from)));
  for (let at = from; at < to; at += chunk.length) {
    const n = Math.min(chunk.length, to - at);
    const { bytesRead } = await fh.read(chunk, 0, n, at);
    if (bytesRead < n || !zero(chunk, 0, n)) return false;
  }
  return true;
}
