import { eachTextRun, isTextUnit } from "../../cleaners/legacy-office/text-units.js";

const isAscii = (u: number): boolean => u >= 0x20 && u < 0x7f;

/** Writing systems a run's letters may come from: binary data read as UTF-16 mixes several. */
const SCRIPTS = [/\p{Script=Latin}/u, /\p{Script=Cyrillic}/u, /\p{Script=Greek}/u, /\p{Script=Arabic}/u, /\p{Script=Hebrew}/u, /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}]/u, /\p{Script=Hangul}/u, /\p{Script=Thai}/u, /\p{Script=Devanagari}/u];

/**
 * At least half letters, from one writing system, or Latin and one other (a path in Cyrillic
 * folders): binary data read as characters seldom is.
 */
function wordy(s: string): boolean {
  const letters = s.match(/\p{L}/gu) ?? [];
  if (letters.length * 2 < s.length) return false;
  const used = new Set<number>();
  for (const ch of letters) {
    const i = SCRIPTS.findIndex((re) => re.test(ch));
    if (i < 0) return false;
    used.add(i);
  }
  return used.size === 1 || (used.size === 2 && used.has(0));
}

/** A finding's value shows 200 characters: the first MiB of leftovers has more than enough. */
export const MAX_SCANNED = 1024 * 1024;

/**
 * The runs of at least `min` characters in bytes of no known layout (what a file keeps where
 * no reader looks) that read as text: UTF-16 at both alignments, and 8-bit ASCII, each at least
 * half letters; each once. Only the first MAX_SCANNED bytes are read.
 */
export function textRuns(bytes: Buffer, min = 8): string[] {
  const b = bytes.subarray(0, MAX_SCANNED);
  const found = new Set<string>();
  const scan = (width: 1 | 2, from: number): void =>
    eachTextRun(b, width, from, width === 2 ? isTextUnit : isAscii, (start, end) => {
      const s = b.toString(width === 1 ? "latin1" : "utf16le", start, end).trim();
      // UTF-16 units whose low bytes are all zero are 8-bit text read a byte off, not text.
      const shifted = width === 2 && [...s].every((c) => (c.charCodeAt(0) & 0xff) === 0);
      if (s.length >= min && !shifted && wordy(s)) found.add(s);
    });
  scan(2, 0);
  scan(2, 1);
  scan(1, 0);
  return [...found];
}

/** Paths first: what they name (users, folders) is what leftovers give away most. */
export function pathsFirst(runs: readonly string[]): string[] {
  return [...runs].sort((a, b) => Number(/[\\/]/.test(b)) - Number(/[\\/]/.test(a)));
}
