import type { FileHandle } from "node:fs/promises";

/** One ISO BMFF / QuickTime box: where it is, how long its header is, and its four-letter type. */
export interface Box {
  type: string;
  /** Offset of the box (its size field), in the buffer or the file. */
  at: number;
  /** Header length: 8, or 16 with a 64-bit size. */
  header: number;
  /** Whole length, header included. */
  size: number;
}

/**
 * The boxes of `buf` from `from` to `to`, or null when they do not tile that range exactly (a
 * size running past the end, a size under the header's, a zero size inside a container).
 */
export function childBoxes(buf: Buffer, from: number, to: number): Box[] | null {
  const boxes: Box[] = [];
  let at = from;
  while (at < to) {
    if (to - at < 8) return null;
    let size = buf.readUInt32BE(at);
    let header = 8;
    if (size === 1) {
      if (to - at < 16) return null;
      const big = buf.readBigUInt64BE(at + 8);
      if (big > BigInt(Number.MAX_SAFE_INTEGER)) return null;
      size = Number(big);
      header = 16;
    }
    if (size < header || at + size > to) return null;
    boxes.push({ type: buf.toString("latin1", at + 4, at + 8), at, header, size });
    at += size;
  }
  return boxes;
}

/** Real files have a handful of top-level boxes; a file of millions of tiny ones is not read box by box. */
const MAX_TOP_LEVEL_BOXES = 4096;

/**
 * The top-level boxes of a file in order, up to the first that does not fit in it (a truncated
 * file, a box running past the end, garbage after the last box). A size of 0 means "to the end".
 */
export async function* topLevelWalk(fh: FileHandle, fileSize: number): AsyncGenerator<Box> {
  const head = Buffer.alloc(16);
  for (let at = 0; fileSize - at >= 8; ) {
    const { bytesRead } = await fh.read(head, 0, 16, at);
    if (bytesRead < 8) return;
    let size = head.readUInt32BE(0);
    let header = 8;
    if (size === 0) size = fileSize - at;
    else if (size === 1) {
      if (bytesRead < 16) return;
      const big = head.readBigUInt64BE(8);
      if (big > BigInt(Number.MAX_SAFE_INTEGER)) return;
      size = Number(big);
      header = 16;
    }
    if (size < header || at + size > fileSize) return;
    yield { type: head.toString("latin1", 4, 8), at, header, size };
    at += size;
  }
}

/**
 * The top-level boxes of a file, or null when they do not tile it exactly (see topLevelWalk) or
 * are too many.
 */
export async function topLevelBoxes(fh: FileHandle, fileSize: number): Promise<Box[] | null> {
  const boxes: Box[] = [];
  for await (const box of topLevelWalk(fh, fileSize)) {
    if (boxes.length >= MAX_TOP_LEVEL_BOXES) return null;
    boxes.push(box);
  }
  const last = boxes[boxes.length - 1];
  return (last == null ? 0 : last.at + last.size) === fileSize ? boxes : null;
}

/** A box header for a payload of `length` bytes (32-bit size; callers keep boxes under 4 GB). */
export function boxHeader(type: string, length: number): Buffer {
  const h = Buffer.alloc(8);
  h.writeUInt32BE(8 + length, 0);
  h.write(type, 4, "latin1");
  return h;
}
