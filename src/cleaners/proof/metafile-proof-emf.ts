import type { ProofFailure } from "./shared.js";

type Span = readonly [number, number];

/** Never written: compared with natively, a drawing of millions of records being walked a byte at a time in JavaScript otherwise. */
const ZEROS = Buffer.alloc(64 * 1024);

export function zero(b: Buffer): boolean {
  for (let at = 0; at < b.length; at += ZEROS.length) {
    const part = b.subarray(at, at + ZEROS.length);
    if (!part.equals(ZEROS.subarray(0, part.length))) return false;
  }
  return true;
}
const u32 = (r: Buffer, at: number): number => r.readUInt32LE(at);

/** Up to and with a UTF-16 terminator within `bytes` at `at`, else all of it. */
function wide(r: Buffer, at: number, bytes: number): Span {
  for (let i = at; i + 1 < Math.min(at + bytes, r.length); i += 2) if (r[i] === 0 && r[i + 1] === 0) return [at, i + 2];
  return [at, at + bytes];
}

/** Two spans from (offset, size) pairs at `at` and `at + 8`: a bitmap's header and its bits. */
const dib = (r: Buffer, at: number): Span[] => [
  [u32(r, at), u32(r, at) + u32(r, at + 4)],
  [u32(r, at + 8), u32(r, at + 8) + u32(r, at + 12)],
];

/** An EmrText at `at`: its 40 bytes, its string of `width`-byte characters, its spacing (8 bytes a character with ETO_PDY). */
function emrText(r: Buffer, at: number, width: number): Span[] {
  const n = u32(r, at + 8);
  const dx = u32(r, at + 36);
  const spans: Span[] = [[at, at + 40], [u32(r, at + 12), u32(r, at + 12) + n * width]];
  if (dx !== 0) spans.push([dx, dx + n * (u32(r, at + 16) & 0x2000 ? 8 : 4)]);
  return spans;
}

/**
 * What an EMF record of `type` may hold ([MS-EMF] 2.3), as spans of the record, written apart from
 * the cleaner's table: undefined for a type no reader draws (or too short to be one), which must
 * not be in a cleaned copy. Header, comment and end-of-file records are proved by their callers.
 */
export function emfSpans(type: number, r: Buffer): Span[] | undefined {
  const n = r.length;
  const at = (min: number, spans: () => Span[]): Span[] | undefined => (n >= min ? spans() : undefined);
  const fixed = (min: number): Span[] | undefined => at(min, () => [[0, min]]);
  switch (type) {
    case 28: case 33: case 52: case 59: case 60: case 61: case 65: case 66: case 68:
      return fixed(8);
    case 16: case 17: case 18: case 19: case 20: case 21: case 22: case 24: case 25: case 34: case 37: case 40: case 48: case 57: case 58: case 67: case 98: case 100: case 101: case 115:
      return fixed(12);
    case 9: case 10: case 11: case 12: case 13: case 26: case 27: case 51: case 54: case 109: case 120:
      return fixed(16);
    case 15:
      return fixed(20);
    case 29: case 30: case 31: case 32: case 39: case 42: case 43: case 53: case 62: case 63: case 64: case 111:
      return fixed(24);
    case 38: case 41:
      return fixed(28);
    case 23: case 35: case 44:
      return fixed(32);
    case 36:
      return fixed(36);
    case 45: case 46: case 47: case 55:
      return fixed(40);
    case 104:
      return fixed(48);
    case 2: case 3: case 4: case 5: case 6:
      return at(28, () => [[0, 28 + 8 * u32(r, 24)]]);
    case 85: case 86: case 87: case 88: case 89:
      return at(28, () => [[0, 28 + 4 * u32(r, 24)]]);
    case 56:
      return at(28, () => [[0, 28 + 9 * u32(r, 24)]]);
    case 92:
      return at(28, () => [[0, 28 + 5 * u32(r, 24)]]);
    case 7: case 8:
      return at(32, () => [[0, 32 + 4 * u32(r, 24) + 8 * u32(r, 28)]]);
    case 90: case 91:
      return at(32, () => [[0, 32 + 4 * u32(r, 24) + 4 * u32(r, 28)]]);
    case 49:
      return at(16, () => [[0, 16 + 4 * r.readUInt16LE(14)]]);
    case 50:
      return at(20, () => [[0, 20 + 4 * u32(r, 16)]]);
    case 71:
      return at(32, () => [[0, 32 + u32(r, 24)]]);
    case 72:
      return at(40, () => [[0, 40 + u32(r, 24)]]);
    case 73: case 74:
      return at(28, () => [[0, 28 + u32(r, 24)]]);
    case 75:
      return at(16, () => [[0, 16 + u32(r, 8)]]);
    case 76:
      return at(100, () => [[0, 100], ...dib(r, 84)]);
    case 77: case 114: case 116:
      return at(108, () => [[0, 108], ...dib(r, 84)]);
    case 78:
      return at(128, () => [[0, 128], ...dib(r, 84), ...dib(r, 112)]);
    case 79:
      return at(140, () => [[0, 140], ...dib(r, 96), ...dib(r, 124)]);
    case 80:
      return at(76, () => [[0, 76], ...dib(r, 48)]);
    case 81:
      return at(80, () => [[0, 80], ...dib(r, 48)]);
    case 93: case 94:
      return at(32, () => [[0, 32], ...dib(r, 16)]);
    case 95:
      return at(52, () => [[0, 52 + 4 * u32(r, 48)], ...dib(r, 12)]);
    case 82:
      return at(104, () => {
        const logFont: Span[] = [[0, 40], wide(r, 40, 64)];
        if (n <= 332) return logFont;
        return [...logFont, wide(r, 104, 128), wide(r, 232, 64), wide(r, 296, 64), [360, 368 + 4 * (n >= 368 ? u32(r, 364) : 0)]];
      });
    case 83: case 84:
      return at(76, () => [[0, 36], ...emrText(r, 36, type === 84 ? 2 : 1)]);
    case 96: case 97:
      return at(40, () => {
        const spans: Span[] = [[0, 40]];
        for (let i = 0; i < u32(r, 36) && 40 + 40 * (i + 1) <= n; i++) spans.push(...emrText(r, 40 + 40 * i, type === 97 ? 2 : 1));
        return spans;
      });
    case 99:
      return at(340, () => [[0, 80]]);
    case 122:
      return at(608, () => [[0, 80], [600, 608 + u32(r, 604)]]);
    case 108:
      return at(36, () => {
        const options = u32(r, 20);
        return [[0, (options & 0x100 ? 36 : 52) + u32(r, 16) * (options & 0x200 ? 1 : 2)]];
      });
    case 112: case 113:
      return at(20, () => [[0, 20 + u32(r, 12) + u32(r, 16)]]);
    case 118:
      return at(36, () => [[0, 36 + 16 * u32(r, 24) + u32(r, 28) * (u32(r, 32) === 2 ? 12 : 8)]]);
    case 119:
      return at(20, () => [[0, 20 + 8 * u32(r, 8)]]);
    case 121:
      return at(24, () => [[0, 24 + u32(r, 16) + u32(r, 20)]]);
    default:
      return undefined;
  }
}

/**
 * Where the bitmaps of an EMF record of `type` are given (offBmi, cbBmi, offBits, cbBits) and
 * where each says what its colour table holds (colours when null): [MS-EMF] 2.3.1 and 2.3.7.
 */
export function emfBitmaps(type: number): Array<readonly [number, number | null]> {
  switch (type) {
    case 76: case 77: case 114: case 116:
      return [[84, 80]];
    case 78:
      return [[84, 80], [112, 108]];
    case 79:
      return [[96, 92], [124, 120]];
    case 80: case 81:
      return [[48, 64]];
    case 93: case 94:
      return [[16, 12]];
    case 95:
      return [[12, null]];
    default:
      return [];
  }
}

/** Null when every byte of `r` outside `spans` is zero (and every span lies inside it). */
export function outsideZero(r: Buffer, spans: readonly Span[], what: string): ProofFailure | null {
  let at = 0;
  for (const [s, e] of spans.length === 1 ? spans : [...spans].filter(([s, e]) => e > s).sort((a, b) => a[0] - b[0])) {
    if (s < 0 || e > r.length) return `${what}: a field outside its record`;
    if (s > at && !zero(r.subarray(at, s))) return `${what}: a byte past its fields`;
    at = Math.max(at, e);
  }
  return zero(r.subarray(at)) ? null : `${what}: a byte past its fields`;
}
