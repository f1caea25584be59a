import { zeroRange as zeroed } from "./metafile-fields.js";

/** A Bitmap16's head ([MS-WMF] 2.2.2.1): type, width, height, bytes a row, planes, bits a pixel. */
export const BITMAP16_HEAD = 10;

/**
 * The rows of a device-dependent bitmap (a Bitmap16, as the old bit-block transfers and pattern
 * brushes of a WMF carry it), its head at `head` of `r` and its rows from `bits` to the record's
 * end, cleaned in place: readers draw `width` pixels of each row of `bytes a row`, so the bytes
 * of a row past them (and the bits of its last byte past them) and whatever follows the last row
 * become zeros. Says whether any was not.
 */
export function cleanBitmap16(r: Buffer, head: number, bits: number): boolean {
  if (head + BITMAP16_HEAD > r.length) return false;
  const [width, height, stride] = [r.readUInt16LE(head + 2), r.readUInt16LE(head + 4), r.readUInt16LE(head + 6)];
  const planes = r[head + 8]!;
  const used = planes === 1 ? Math.min(stride, Math.ceil((width * r[head + 9]!) / 8)) : stride;
  // The bits of a row's last byte past its last pixel, with fewer than 8 bits a pixel.
  const drawn = planes === 1 ? (0xff00 >> ((width * r[head + 9]!) % 8 || 8)) & 0xff : 0xff;
  let changed = false;
  const rows = height * Math.max(planes, 1);
  for (let row = 0; (used < stride || drawn !== 0xff) && row < rows && bits + row * stride < r.length; row++) {
    const last = bits + row * stride + used - 1;
    if (used > 0 && used <= stride && last < r.length && (r[last]! & ~drawn) !== 0) {
      r[last] = r[last]! & drawn;
      changed = true;
    }
    changed = zeroed(r, Math.min(bits + row * stride + used, r.length), Math.min(bits + (row + 1) * stride, r.length)) || changed;
  }
  return zeroed(r, Math.min(bits + rows * stride, r.length), r.length) || changed;
}
