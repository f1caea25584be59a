type Span = readonly [number, number];

const u16 = (r: Buffer, at: number): number => r.readUInt16LE(at);

/**
 * What a WMF record of function `fn` may hold ([MS-WMF] 2.3), as spans of the record, written
 * apart from the cleaner's table: undefined for a function no reader draws from (or a record too
 * short for it). Escapes and the end-of-file record are proved by the caller.
 */
export function wmfSpans(fn: number, r: Buffer): Span[] | undefined {
  const n = r.length;
  const head = (params: number, spans: () => Span[] = () => [[0, 6 + params]]): Span[] | undefined => (n >= 6 + params ? spans() : undefined);
  switch (fn) {
    case 0x001e: case 0x0035: case 0x0105:
      return head(0);
    case 0x0102: case 0x0103: case 0x0104: case 0x0106: case 0x0107: case 0x0108: case 0x0127: case 0x012a: case 0x012b: case 0x012c: case 0x012d:
    case 0x012e: case 0x0139: case 0x0149: case 0x01f0: case 0x0234:
      return head(2);
    case 0x0201: case 0x0209: case 0x020a: case 0x020b: case 0x020c: case 0x020d: case 0x020e: case 0x020f: case 0x0211: case 0x0213: case 0x0214: case 0x0220:
    case 0x0228: case 0x0231:
      return head(4);
    case 0x02fc: case 0x0410: case 0x0412: case 0x0415: case 0x0416: case 0x0418: case 0x0419: case 0x041b: case 0x041f: case 0x0429:
      return head(8);
    case 0x02fa: case 0x0548:
      return head(10);
    case 0x061c: case 0x061d:
      return head(12);
    case 0x0817: case 0x081a: case 0x0830:
      return head(16);
    case 0x0037: case 0x00f7: case 0x0436:
      return head(4, () => [[0, 10 + 4 * u16(r, 8)]]);
    case 0x0324: case 0x0325:
      return head(2, () => [[0, 8 + 4 * u16(r, 6)]]);
    case 0x0538:
      return head(2, () => {
        let points = 0;
        for (let i = 0; i < u16(r, 6) && 10 + 2 * i <= n; i++) points += u16(r, 8 + 2 * i);
        return [[0, 8 + 2 * u16(r, 6) + 4 * points]];
      });
    case 0x02fb:
      return head(18, () => {
        const name = r.subarray(24, 56).indexOf(0);
        return [[0, name < 0 ? 56 : 25 + name]];
      });
    case 0x0521:
      return head(6, () => {
        const length = u16(r, 6);
        return [[0, 8 + length], [8 + length + (length % 2), 12 + length + (length % 2)]];
      });
    case 0x0a32:
      return head(8, () => {
        const length = u16(r, 10);
        const text = u16(r, 12) & 0x6 ? 22 : 14;
        const dx = text + length + (length % 2);
        return length > 0 && dx + 2 * length <= n ? [[0, text + length], [dx, dx + 2 * length]] : [[0, text + length]];
      });
    case 0x06ff:
      return head(22, () => {
        let end = 28;
        for (let scan = 0; scan < u16(r, 16) && end + 2 <= n; scan++) end += 8 + 2 * u16(r, end);
        return [[0, end]];
      });
    case 0x0922: case 0x0940: case 0x0d33:
      return head(18, () => [[0, n]]);
    case 0x0b23: case 0x0b41:
      return head(20, () => [[0, n]]);
    case 0x0f43:
      return head(22, () => [[0, n]]);
    case 0x0142:
      return head(4, () => [[0, n]]);
    case 0x01f9:
      return head(10, () => [[0, n]]);
    default:
      return undefined;
  }
}

/**
 * Where the packed DIB of a WMF record of function `fn` starts and what its colour table holds
 * ([MS-WMF] 2.3.1.2, 2.3.1.3, 2.3.1.4, 2.3.1.5, 2.3.4.8), or null when it carries none: the
 * bit-block transfers without a source are the length of their parameters and a reserved word.
 */
export function wmfDib(fn: number, r: Buffer): { at: number; usage: number } | null {
  switch (fn) {
    case 0x0940:
      return r.length > 24 ? { at: 22, usage: 0 } : null;
    case 0x0b41:
      return r.length > 28 ? { at: 26, usage: 0 } : null;
    case 0x0d33:
      return r.length > 24 ? { at: 24, usage: u16(r, 6) } : null;
    case 0x0f43:
      return r.length > 28 ? { at: 28, usage: u16(r, 10) } : null;
    case 0x0142:
      return r.length > 10 ? { at: 10, usage: u16(r, 6) === 3 ? 0 : u16(r, 8) } : null;
    default:
      return null;
  }
}

/**
 * A WMF record's Bitmap16 ([MS-WMF] 2.2.2.1: type, width, height, bytes a row, planes, bits a
 * pixel, then the rows), in the old bit-block transfers with a source (longer than their variant
 * without) and in CREATEPATTERNBRUSH (after its head, 18 reserved bytes, then the rows): the
 * bytes of each row past its pixels, and past the last row, must be zeros; so must the reserved
 * bytes. Null when they are.
 */
export function wmfBitmap16(fn: number, r: Buffer): string | null {
  let head: number;
  let rows: number;
  if (fn === 0x0922 && r.length > 24) [head, rows] = [22, 32];
  else if (fn === 0x0b23 && r.length > 28) [head, rows] = [26, 36];
  else if (fn === 0x01f9) {
    if (r.subarray(16, 34).some((byte) => byte !== 0)) return "a pattern brush's reserved bytes";
    [head, rows] = [6, 34];
  } else return null;
  if (head + 10 > r.length) return null;
  const stride = u16(r, head + 6);
  const planes = r[head + 8]!;
  const pixels = planes === 1 ? Math.ceil((u16(r, head + 2) * r[head + 9]!) / 8) : stride;
  const count = u16(r, head + 4) * Math.max(1, planes);
  let at = rows;
  const spare = planes === 1 ? (8 - ((u16(r, head + 2) * r[head + 9]!) % 8)) % 8 : 0;
  for (let row = 0; row < count && at < r.length; row++, at += stride) {
    if (pixels < stride && r.subarray(at + pixels, at + stride).some((byte) => byte !== 0)) return "a bitmap row's padding";
    if (pixels > 0 && pixels <= stride && ((r[at + pixels - 1] ?? 0) & ((1 << spare) - 1)) !== 0) return "the bits of a bitmap row's last byte past its pixels";
  }
  return r.subarray(Math.min(rows + count * stride, r.length)).some((byte) => byte !== 0) ? "bytes after a bitmap's last row" : null;
}
