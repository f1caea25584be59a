import { BadFileError } from "../errors.js";

/** What cleaning a metafile did: things removed, and the length of the cleaned metafile at the start of its buffer. */
export interface Blanked {
  blanked: number;
  end: number;
  /** Whether an end-of-file record was met (a truncated drawing has none: readers draw what they get). */
  ended: boolean;
}

/** Byte ranges [start, end) of a record that readers read; the rest of the record is slack. */
export type Fields = Array<readonly [number, number]>;

/**
 * Every byte of `record` outside `fields` becomes zero: padding, bytes past the fields a record's
 * type gives it, and the tail of a fixed-length string after its terminator read nothing but can
 * carry anything. Says whether any of them was not zero already.
 */
export function zeroSlack(record: Buffer, fields: Fields): boolean {
  // Most records have one field from their start: no sorting for millions of them.
  const sorted = fields.length === 1 ? fields : fields.filter(([s, e]) => e > s).sort((a, b) => a[0] - b[0]);
  let changed = false;
  let at = 0;
  for (const [start, end] of sorted) {
    if (start < 0 || end > record.length) throw damaged(`a field [${start}, ${end}) lies outside its ${record.length}-byte record`);
    if (start > at) changed = zeroRange(record, at, start) || changed;
    at = Math.max(at, end);
  }
  if (at < record.length) changed = zeroRange(record, at, record.length) || changed;
  return changed;
}

/** Zeros from `start` to `end` of `b`; says whether any byte was not zero. */
export function zeroRange(b: Buffer, start: number, end: number): boolean {
  const part = b.subarray(start, end);
  if (allZero(part)) return false;
  part.fill(0);
  return true;
}

/** Never written: what runs of zeros are compared with, natively rather than a byte at a time in JavaScript. */
const ZEROS = Buffer.alloc(64 * 1024);

export function allZero(b: Buffer): boolean {
  for (let at = 0; at < b.length; at += ZEROS.length) {
    const part = b.subarray(at, at + ZEROS.length);
    if (!part.equals(ZEROS.subarray(0, part.length))) return false;
  }
  return true;
}

/** A fixed-length UTF-16 string field of `bytes` at `at`: the characters up to and with its terminator. */
export function utf16z(record: Buffer, at: number, bytes: number): readonly [number, number] {
  for (let i = at; i + 1 < at + bytes && i + 1 < record.length; i += 2) if (record[i] === 0 && record[i + 1] === 0) return [at, i + 2];
  return [at, at + bytes];
}

/** A fixed-length 8-bit string field of `bytes` at `at`: the characters up to and with its terminator. */
export function ansiz(record: Buffer, at: number, bytes: number): readonly [number, number] {
  const nul = record.subarray(at, at + bytes).indexOf(0);
  return [at, nul < 0 ? at + bytes : at + nul + 1];
}

export function damaged(why: string, cause?: unknown): BadFileError {
  return new BadFileError(
    "The document holds a drawing (EMF or WMF metafile) whose structure this service cannot follow, so its metadata cannot be removed.",
    new Error(`metafile: ${why}`, cause === undefined ? undefined : { cause }),
  );
}
