import { TooComplexError } from "../errors.js";
import { EOI, entropyEnd, SOS, segmentAt } from "./pictures-in-place.js";

/**
 * What is left of a JPEG whose start was damaged: its coding segments (the quantization tables
 * first) with nothing before them that a walk from an SOI reaches. Whatever stood between the lost
 * start and those tables (APPn segments: EXIF, a thumbnail, a comment) may be left in any state,
 * down to a bare string with no structure to find it by, so a picture in that state is treated as
 * one holding metadata.
 */

const SOI = Buffer.from([0xff, 0xd8, 0xff]);
const DQT = Buffer.from([0xff, 0xdb, 0x00]);
/** A DQT segment's lengths: 2 bytes, then one to four tables of 65 bytes (8-bit) or 129 (16-bit). */
const DQT_LENGTHS: ReadonlySet<number> = new Set([1, 2, 3, 4].flatMap((n) => [2 + 65 * n, 2 + 129 * n]));
/**
 * Steps (segments and bytes of scans) all walks of one stream may take, per byte of it: walks of
 * real pictures cover each byte about once, while SOIs whose scans all run over the same bytes
 * would cost the square of the stream's size. Past it the file is too complex to look through.
 */
const STEPS_PER_BYTE = 4;
const MIN_STEPS = 1_000_000;

/** Whether `b` holds quantization tables that no walk from an SOI reaches. */
export function holdsHeadlessJpeg(b: Buffer): boolean {
  const reached = new Set<number>();
  const budget = { steps: MIN_STEPS + STEPS_PER_BYTE * b.length };
  for (let at = b.indexOf(SOI); at >= 0; at = b.indexOf(SOI, at + 1)) {
    walkFrom(b, at, reached, budget);
    if (budget.steps < 0) throw new TooComplexError("the JPEG starts of one stream walk past their step budget");
  }
  for (let at = b.indexOf(DQT); at >= 0; at = b.indexOf(DQT, at + 1)) {
    if (at + 5 > b.length || !DQT_LENGTHS.has(b.readUInt16BE(at + 2))) continue;
    // Pq (0: 8-bit, 1: 16-bit) and Tq (0 to 3) of the first table.
    const table = b[at + 4]!;
    if ((table >> 4) > 1 || (table & 0x0f) > 3) continue;
    if (!reached.has(at)) return true;
  }
  return false;
}

/** Notes in `reached` where the DQT segments of the JPEG starting at `soi` are, through its scans to its EOI. */
function walkFrom(b: Buffer, soi: number, reached: Set<number>, budget: { steps: number }): void {
  for (let p = soi + 2; budget.steps >= 0; budget.steps--) {
    const s = segmentAt(b, p, b.length);
    if (s == null || s.marker === EOI) return;
    if (s.marker === 0xdb) reached.add(s.at);
    p = s.end;
    if (s.marker === SOS) {
      p = entropyEnd(b, p, b.length);
      budget.steps -= p - s.end;
    }
  }
}
