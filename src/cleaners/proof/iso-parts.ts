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

export interface TopBox {
  type: string;
  /** Where the box starts, its header's length (8, or 16 with a 64-bit size) and its whole length. */
  at: number;
  header: number;
  length: number;
}

/** A file's top-level boxes, at most `max` of them; null when they do not tile the file exactly. */
export async function topLevelBoxes(fh: fsp.FileHandle, max = 64): Promise<TopBox[] | null> {
  const size = (await fh.stat()).size;
  const head = Buffer.alloc(16);
  const boxes: TopBox[] = [];
  for (let at = 0; at < size; ) {
    if (boxes.length >= max || size - at < 8) return null;
    const { bytesRead } = await fh.read(head, 0, 16, at);
    let length = head.readUInt32BE(0);
    let header = 8;
    if (length === 1) {
      if (bytesRead < 16) return null;
      length = Number(head.readBigUInt64BE(8));
      header = 16;
    } else if (length === 0) length = size - at;
    if (length < header || at + length > size) return null;
    boxes.push({ type: head.toString("latin1", 4, 8), at, header, length });
    at += length;
  }
  return boxes;
}
