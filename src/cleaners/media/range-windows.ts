import type { FileHandle } from "node:fs/promises";
import type { Range } from "./iso-samples.js";

/** Bytes read at a time; a larger range is read whole, up to the caller's maximum. */
const WINDOW = 4 * 1024 * 1024;

/**
 * Hands each of `ranges` (a track's samples or chunks, in file order) to `visit` inside a buffer
 * that holds it whole, reading the file a window at a time: ranges lying back to back cost one
 * read. One buffer serves the whole walk (zeroing a fresh 4 MB one per window cost more than the
 * searches done in it); only the bytes just read are ever looked at. False, having visited what
 * came before, when a range is larger than `max` or runs past the file's end, or `visit` said
 * false (the ranges do not read as it expects).
 */
export async function forEachRange(fh: FileHandle, ranges: readonly Range[], max: number, visit: (window: Buffer, from: number, to: number, range: Range) => boolean | Promise<boolean>): Promise<boolean> {
  let buf = Buffer.allocUnsafeSlow(WINDOW);
  let window = buf.subarray(0, 0);
  let windowStart = 0;
  for (const range of ranges) {
    const size = range.end - range.start;
    if (size > max) return false;
    if (range.start < windowStart || range.end > windowStart + window.length) {
      if (size > buf.length) buf = Buffer.allocUnsafeSlow(size);
      const { bytesRead } = await fh.read(buf, 0, buf.length, range.start);
      if (bytesRead < size) return false;
      window = buf.subarray(0, bytesRead);
      windowStart = range.start;
    }
    const from = range.start - windowStart;
    if (!(await visit(window, from, from + size, range))) return false;
  }
  return true;
}
