import { type FileBytes, WINDOW } from "../file-bytes.js";
import type { RangeWriter } from "../range-writer.js";
import { paletteReservedBytes } from "./bmp-header.js";

/** A byte range [from, to) of the source file. */
export type Range = [number, number];

/** What a copy changes in the source's bytes, each by its offsets in the source. */
export interface Patches {
  /** Written as zeros, whatever else says. */
  zeroed: readonly Range[];
  /** Colour tables of 4-byte entries, each entry's fourth byte written as zero. */
  palettes: readonly Range[];
  /** Bytes written in place of the source's. */
  values: readonly { at: number; bytes: Buffer }[];
}

/** Written where a whole window is zeroed; never changed. */
const ZEROS = Buffer.alloc(WINDOW);

/**
 * Copies the source's bytes [from, to) to `out`, a window at a time, with `patches` applied: the
 * bitmap cleaners (BMP, icons, OS/2 arrays) keep only a few header fields and the patch lists in
 * memory, whatever the size of the pixels. Windows with nothing to change are copied by offset,
 * without being read here.
 */
export async function copyPatched(src: FileBytes, out: RangeWriter, from: number, to: number, patches: Patches): Promise<void> {
  for (let at = from; at < to; at += WINDOW) {
    const end = Math.min(to, at + WINDOW);
    // An empty range (a field past a short header's end) touches nothing.
    const touches = ([a, b]: Range): boolean => a < b && a < end && b > at;
    const zeros = patches.zeroed.filter(touches);
    const palettes = patches.palettes.filter(touches);
    const values = patches.values.filter((v) => touches([v.at, v.at + v.bytes.length]));
    if (zeros.some(([a, b]) => a <= at && b >= end)) out.bytes(ZEROS.subarray(0, end - at));
    else if (zeros.length === 0 && palettes.length === 0 && values.length === 0) out.copy(at, end);
    else {
      // Read exactly: an icon's images lie anywhere, in any order, and a window read for each
      // small one would read the file over and over.
      const { bytes: got, cached } = await src.slice(at, end - at, Buffer.allocUnsafe(end - at));
      const bytes = cached ? Buffer.from(got) : got;
      for (const v of values) {
        const first = Math.max(v.at, at);
        v.bytes.copy(bytes, first - at, first - v.at, Math.min(v.at + v.bytes.length, end) - v.at);
      }
      for (const [a, b] of zeros) bytes.fill(0, Math.max(a, at) - at, Math.min(b, end) - at);
      for (const [a, b] of palettes) {
        // The table's reserved bytes in this window: its entries counted from the table's start.
        const first = a + Math.max(0, Math.floor((at - a) / 4)) * 4;
        for (const i of paletteReservedBytes(first, Math.min(b, end))) if (i >= at) bytes[i - at] = 0;
      }
      out.bytes(bytes);
    }
    if (out.full) await out.flush();
  }
}
