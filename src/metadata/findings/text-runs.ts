/** A printable character: no control character, no surrogate half, no non-character. */
function isTextUnit(u: number): boolean {
  return u >= 0x20 && (u < 0x7f || u >= 0xa0) && (u < 0xd800 || u >= 0xe000) && u < 0xfffe;
}

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
  const scan = (width: 1 | 2, from: number): void => {
    let start = -1;
    const end = b.length - ((b.length - from) % width);
    for (let at = from; at <= end; at += width) {
      const unit = at < end ? (width === 1 ? b[at]! : b.readUInt16LE(at)) : 0;
      const text = at < end && (width === 2 ? isTextUnit(unit) : unit >= 0x20 && unit < 0x7f);
      if (text && start < 0) start = at;
      else if (!text && start >= 0) {
        const s = b.toString(width === 1 ? "latin1" : "utf16le", start, at).trim();
        // UTF-16 units whose low bytes are all zero are 8-bit text read a byte off, not text.
        const shifted = width === 2 && [...s].every((c) => (c.charCodeAt(0) & 0xff) === 0);
        if (s.length >= min && !shifted && wordy(s)) found.add(s);
        start = -1;
      }
    }
  };
  scan(2, 0);
  scan(2, 1);
  scan(1, 0);
  return [...found];
}

/** Paths first: what they name (users, folders) is what leftovers give away most. */
export function pathsFirst(runs: readonly string[]): string[] {
  return [...runs].sort((a, b) => Number(/[\\/]/.test(b)) - Number(/[\\/]/.test(a)));
}
