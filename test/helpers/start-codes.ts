/**
 * `stream` (MPEG video: units after start codes 00 00 01 xx) with bytes put in before some of its
 * start codes: `insert` is asked at each, with its code and the code before it, and returns the
 * bytes to put there, or null.
 */
export function insertBeforeStartCodes(stream: Buffer, insert: (code: number, previous: number) => Buffer | null): Buffer {
  const parts: Buffer[] = [];
  let from = 0;
  let previous = -1;
  for (let i = 0; i + 3 < stream.length; i++) {
    if (stream[i] !== 0 || stream[i + 1] !== 0 || stream[i + 2] !== 1) continue;
    const code = stream[i + 3]!;
    const bytes = insert(code, previous);
    if (bytes != null) {
      parts.push(stream.subarray(from, i), bytes);
      from = i;
    }
    previous = code;
    i += 3;
  }
  parts.push(stream.subarray(from));
  return Buffer.concat(parts);
}
