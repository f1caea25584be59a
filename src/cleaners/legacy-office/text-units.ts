/** A printable character: no control character, no surrogate half, no non-character. */
export function isTextUnit(u: number): boolean {
  return u >= 0x20 && (u < 0x7f || u >= 0xa0) && (u < 0xd800 || u >= 0xe000) && u < 0xfffe;
}

/**
 * Calls `visit(start, end)` for each run of characters in `b` read `width` bytes at a time from
 * `from` (8-bit, or UTF-16 at one alignment) whose units `isText` accepts: where they start and end.
 */
export function eachTextRun(b: Buffer, width: 1 | 2, from: number, isText: (unit: number) => boolean, visit: (start: number, end: number) => void): void {
  const end = b.length - ((b.length - from) % width);
  let start = -1;
  for (let at = from; at <= end; at += width) {
    const text = at < end && isText(width === 1 ? b[at]! : b.readUInt16LE(at));
    if (text && start < 0) start = at;
    else if (!text && start >= 0) {
      visit(start, at);
      start = -1;
    }
  }
}
