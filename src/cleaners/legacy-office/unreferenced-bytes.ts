/** Marks `[start, start + size)` of a stream's byte map as referred to, cut to the stream. */
export function mark(used: Uint8Array, start: number, size: number): void {
  if (start < used.length && size > 0) used.fill(1, start, Math.min(used.length, start + size));
}

/**
 * Zeros in place the bytes of `stream` that `used` does not mark, and returns copies of the runs
 * of them that held something (what went: for a finding to read, or to count).
 */
export function zeroUnmarked(stream: Buffer, used: Uint8Array): Buffer[] {
  const held: Buffer[] = [];
  for (let i = 0; i < stream.length; ) {
    if (used[i] === 1) {
      i++;
      continue;
    }
    const start = i;
    while (i < stream.length && used[i] !== 1) i++;
    const run = stream.subarray(start, i);
    if (run.some((x) => x !== 0)) held.push(Buffer.from(run));
    run.fill(0);
  }
  return held;
}
