import { BI_BITFIELDS, BI_RGB, CS_TYPE, ENDPOINTS, LCS_SRGB, PROFILE_DATA, PROFILE_EMBEDDED, PROFILE_LINKED, PROFILE_SIZE, unusedEndpoints, V4_HEADER, V5_HEADER } from "./bmp-header.js";
import { damaged, zeroRange as zeroed } from "./metafile-fields.js";
import { cleanJpegOrPng } from "./pictures-in-place.js";

const BI_RLE8 = 1;
const BI_RLE4 = 2;
const BI_JPEG = 4;
const BI_PNG = 5;
const BI_ALPHABITFIELDS = 6;
/** The sizes of the info headers a DIB may have: core, V1, V2, V3, V4, V5. */
const INFO_SIZES = new Set([12, 40, 52, 56, 108, 124]);
const DIB_PAL_COLORS = 1;
const DIB_PAL_INDICES = 2;

/** A bitmap's shape, from its info header ([MS-WMF] 2.2.2.3 BitmapInfoHeader, 2.2.2.2 BitmapCoreHeader). */
interface Shape {
  infoSize: number;
  width: number;
  rows: number;
  bits: number;
  compression: number;
  /** The stated size of compressed bits (0 when unstated). */
  sizeImage: number;
  /** Where the colour table starts and ends, from the start of the header: after the header and a V1 header's masks, then the colours. */
  tableAt: number;
  tableEnd: number;
  /** The bytes of a colour table's entry: 4 (blue, green, red, reserved), 3 in a core header, 2 for palette indices, 0. */
  entry: number;
}

/** The shape of the DIB whose header starts `info`, or null when there is none; a header of no known size is damaged. */
function shape(info: Buffer, usage: number): Shape | null {
  if (info.length === 0) return null;
  const infoSize = info.length >= 4 ? info.readUInt32LE(0) : 0;
  if (!INFO_SIZES.has(infoSize) || info.length < infoSize) throw damaged(`a bitmap's header of ${infoSize} bytes is none a DIB has, or runs past its place`);
  const core = infoSize === 12;
  const bits = core ? info.readUInt16LE(10) : info.readUInt16LE(14);
  const compression = core ? BI_RGB : info.readUInt32LE(16);
  const used = core ? 0 : info.readUInt32LE(32);
  // A JPEG or PNG bitmap says 0 bits a pixel, and has no colours.
  const colours = used !== 0 ? used : bits > 0 && bits <= 8 ? 2 ** bits : 0;
  const entry = usage === DIB_PAL_COLORS ? 2 : usage === DIB_PAL_INDICES ? 0 : core ? 3 : 4;
  const masks = infoSize === 40 ? (compression === BI_BITFIELDS ? 12 : compression === BI_ALPHABITFIELDS ? 16 : 0) : 0;
  return {
    infoSize,
    width: core ? info.readUInt16LE(4) : Math.abs(info.readInt32LE(4)),
    rows: core ? info.readUInt16LE(6) : Math.abs(info.readInt32LE(8)),
    bits,
    compression,
    sizeImage: core ? 0 : info.readUInt32LE(20),
    tableAt: infoSize + masks,
    tableEnd: infoSize + masks + colours * entry,
    entry,
  };
}

/**
 * Cleans a bitmap of a drawing record in place ([MS-EMF] 2.2.2 and [MS-WMF] 2.2.2.9: an info
 * header with its colour table, and the bits), keeping what readers draw and making the rest
 * zeros: the bytes after the colour table and after the pixel array, the colour table of a picture
 * of more than 8 bits a pixel, the padding that ends each
 * row, what follows a compressed (RLE) bitmap's end and pads its literal runs, a V4 or V5
 * header's colour endpoints and gamma when its colour space is not calibrated (read for no
 * other), and a V5 header's colour profile, embedded (an ICC profile with its description and
 * copyright) or linked (a file path, often naming the user's folder), the header then saying
 * sRGB. A JPEG or PNG bitmap loses its metadata as a file does (pictures-in-place.ts). `info`
 * and `bits` are where the header and bits lie in `b`, `usage` what the colour table holds
 * (colours, palette indices or nothing), `packed` whether the bits follow the table with no
 * offset of their own. Says whether anything changed.
 */
export function cleanDibParts(b: Buffer, info: readonly [number, number], bits: readonly [number, number], usage: number, packed = false): boolean {
  const header = b.subarray(info[0], info[1]);
  const s = shape(header, usage);
  if (s == null) return false;
  let changed = profile(b, info[0], s, bits);
  changed = zeroed(header, Math.min(s.tableEnd, header.length), header.length) || changed;
  changed = tableReserved(header, s) || changed;
  // Pixels of more than 8 bits are colours themselves: a table stated for them is a hint for
  // 256-colour displays that GDI does not draw from, room for any writer's bytes. Not so in a
  // packed DIB, whose bits have no offset of their own: LibreOffice reads no table for such
  // pixels and draws the stated one as the first rows.
  if (s.bits > 8 && !packed) changed = zeroed(header, Math.min(s.tableAt, header.length), Math.min(s.tableEnd, header.length)) || changed;
  const pixels = b.subarray(bits[0], bits[1]);
  if (s.compression === BI_JPEG || s.compression === BI_PNG) return cleanJpegOrPng(b, bits[0], bits[1]) || changed;
  if (uncompressed(s)) return rows(pixels, s) || changed;
  if (s.compression === BI_RLE8 || s.compression === BI_RLE4) return rle(pixels, s.compression === BI_RLE4) || changed;
  return changed;
}

/** A packed DIB (header, colour table, bits, as WMF records carry them) from `start` to `end` of `b`, cleaned as cleanDibParts does. */
export function cleanPackedDib(b: Buffer, start: number, end: number, usage: number): boolean {
  const s = shape(b.subarray(start, end), usage);
  if (s == null) return false;
  const bits = Math.min(start + s.tableEnd, end);
  return cleanDibParts(b, [start, bits], [bits, end], usage, true);
}

const uncompressed = (s: Shape): boolean => s.compression === BI_RGB || s.compression === BI_BITFIELDS || s.compression === BI_ALPHABITFIELDS;

/**
 * A bitmap of an EMF record, whose header's and bits' offsets and sizes lie at `at` (offBmi,
 * cbBmi, offBits, cbBits, already checked to lie inside the record) and what its colour table
 * holds at `usageAt` (colours when null), cleaned as cleanDibParts does.
 */
export function cleanRecordBitmap(record: Buffer, at: number, usageAt: number | null): boolean {
  const [infoAt, infoSize, bitsAt, bitsSize] = [0, 4, 8, 12].map((i) => record.readUInt32LE(at + i)) as [number, number, number, number];
  if (infoSize === 0) return false;
  return cleanDibParts(record, [infoAt, infoAt + infoSize], [bitsAt, bitsAt + bitsSize], usageAt == null ? 0 : record.readUInt32LE(usageAt));
}

/**
 * A V4 or V5 header's colour space: endpoints and gamma zeros unless calibrated; a V5 header's
 * profile zeros wherever it lies in `b` (its offset counts from the header), the header then
 * sRGB, and its reserved word zero.
 */
function profile(b: Buffer, at: number, s: Shape, bits: readonly [number, number]): boolean {
  if (s.infoSize < V4_HEADER) return false;
  const header = b.subarray(at, at + s.infoSize);
  const csType = header.readUInt32LE(CS_TYPE);
  let changed = unusedEndpoints(header, s.infoSize) && zeroed(header, ...ENDPOINTS);
  if (s.infoSize < V5_HEADER) return changed;
  if (csType === PROFILE_EMBEDDED || csType === PROFILE_LINKED) {
    const from = at + header.readUInt32LE(PROFILE_DATA);
    const to = from + header.readUInt32LE(PROFILE_SIZE);
    const pixelsEnd = bits[0] + (uncompressed(s) ? Math.ceil((s.width * s.bits) / 32) * 4 * s.rows : s.sizeImage || bits[1] - bits[0]);
    if (to > b.length || (from < at + s.infoSize && to > at) || (from < pixelsEnd && to > bits[0])) throw damaged("a bitmap's colour profile overlaps its header or pixels, or lies outside its record");
    b.fill(0, from, to);
    header.writeUInt32LE(LCS_SRGB, CS_TYPE);
    changed = true;
  }
  return zeroed(header, PROFILE_DATA, V5_HEADER) || changed;
}

/** The fourth byte of each 4-byte colour (RGBQUAD's reserved byte), which readers do not read, zeros. */
function tableReserved(header: Buffer, s: Shape): boolean {
  let changed = false;
  for (let at = s.tableAt + 3; s.entry === 4 && at < Math.min(s.tableEnd, header.length); at += 4) {
    changed ||= header[at] !== 0;
    header[at] = 0;
  }
  return changed;
}

/**
 * Uncompressed rows: each padded to whole 32-bit words, the padding zeros, and nothing after the
 * last row; with fewer than 8 bits a pixel, the bits of a row's last byte past its last pixel zeros.
 */
function rows(pixels: Buffer, s: Shape): boolean {
  const stride = Math.ceil((s.width * s.bits) / 32) * 4;
  const used = Math.ceil((s.width * s.bits) / 8);
  const drawn = (0xff00 >> ((s.width * s.bits) % 8 || 8)) & 0xff;
  let changed = false;
  for (let row = 0; row < s.rows && (used < stride || drawn !== 0xff) && row * stride < pixels.length; row++) {
    const last = row * stride + used - 1;
    if (used > 0 && last < pixels.length && (pixels[last]! & ~drawn) !== 0) {
      pixels[last] = pixels[last]! & drawn;
      changed = true;
    }
    changed = zeroed(pixels, Math.min(row * stride + used, pixels.length), Math.min((row + 1) * stride, pixels.length)) || changed;
  }
  return zeroed(pixels, Math.min(stride * s.rows, pixels.length), pixels.length) || changed;
}

/**
 * RLE8 or RLE4 bits ([MS-WMF] 3.1.6): runs and escapes up to the end-of-bitmap escape, after which
 * everything becomes zeros; a literal run's pad byte too. Bits without that escape are kept as
 * they are (readers draw what they get).
 */
function rle(pixels: Buffer, four: boolean): boolean {
  let changed = false;
  for (let at = 0; at + 2 <= pixels.length; ) {
    const count = pixels[at]!;
    const code = pixels[at + 1]!;
    at += 2;
    if (count > 0 || code === 0) continue;
    if (code === 1) return zeroed(pixels, at, pixels.length) || changed;
    if (code === 2) {
      at += 2;
      continue;
    }
    const bytes = four ? Math.ceil(code / 2) : code;
    if (bytes % 2 === 1 && at + bytes < pixels.length) changed = zeroed(pixels, at + bytes, at + bytes + 1) || changed;
    at += bytes + (bytes % 2);
  }
  return changed;
}
