/** A byte range [start, end) of a file. */
export type Range = readonly [number, number];

/**
 * Whether any of `kept` shares a byte with any of `dropped`: sorted once, each kept range a binary
 * search, so the hundreds of thousands of ranges a hostile directory can list cost no more than
 * sorting them.
 */
export function overlaps(kept: readonly Range[], dropped: readonly Range[]): boolean {
  const byStart = [...dropped].sort((x, y) => x[0] - y[0]);
  // maxEnd[k]: the furthest end among the first k + 1 dropped ranges by start.
  const maxEnd: number[] = [];
  for (const [k, r] of byStart.entries()) maxEnd.push(Math.max(r[1], maxEnd[k - 1] ?? -Infinity));
  return kept.some(([a, b]) => {
    // The dropped ranges with c < b are a prefix of byStart.
    let lo = 0;
    let hi = byStart.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (byStart[mid]![0] < b) lo = mid + 1;
      else hi = mid;
    }
    return lo > 0 && maxEnd[lo - 1]! > a;
  });
}
