/** What every start code of MPEG video begins with (ISO/IEC 11172-2, 13818-2, 14496-2): 00 00 01, then the code. */
export const START_CODE_PREFIX = Buffer.from([0, 0, 1]);

/**
 * Where a unit's payload `buf[from, to)` ends, `to` being the next start code (or the end of the
 * bytes): without the zeros before it, which belong to that start code.
 */
export function payloadEnd(buf: Buffer, from: number, to: number): number {
  let end = to;
  while (end > from && buf[end - 1] === 0) end--;
  return end;
}
