import { BadFileError } from "../errors.js";

/**
 * Fields of a bitmap's info header (BITMAPV5HEADER, from the start of the info header) where its
 * colour profile is named: shared by the BMP cleaner and the bitmaps inside Office 97-2003 files.
 */
export const V5_HEADER = 124;
export const CS_TYPE = 56;
export const PROFILE_DATA = 112;
export const PROFILE_SIZE = 116;
export const PROFILE_EMBEDDED = 0x4d424544; // 'MBED'
export const PROFILE_LINKED = 0x4c494e4b; // 'LINK'
export const LCS_SRGB = 0x73524742; // 'sRGB'
export const V4_HEADER = 108;
const LCS_CALIBRATED_RGB = 0;
/**
 * A V4 or V5 header's colour endpoints and gamma (36 + 12 bytes, from the start of the info
 * header): read for a calibrated colour space only ([MS-WMF] 2.2.2.5: otherwise they "MUST be
 * ignored"; Firefox builds a profile from them for that space alone; ImageMagick takes them as
 * chromaticity whatever the space, the pixels untouched). For sRGB, Windows' colour space or a
 * profile they are room for any writer's bytes.
 */
export const ENDPOINTS: readonly [from: number, to: number] = [60, 108];

/** Whether the info header `info` (from its start), of `infoSize` bytes, has endpoints and gamma its colour space does not use. */
export const unusedEndpoints = (info: Buffer, infoSize: number): boolean => infoSize >= V4_HEADER && info.length >= V4_HEADER && info.readUInt32LE(CS_TYPE) !== LCS_CALIBRATED_RGB;
export const BI_RGB = 0;
export const BI_BITFIELDS = 3;
/** OS/2 1.x's BITMAPCOREHEADER (ImageMagick's BMP2): 16-bit width and height, no compression. */
export const CORE_HEADER = 12;
/**
 * OS/2 2.x's BITMAPINFOHEADER2: 16 to 64 bytes, laid out as Windows' 40-byte header as far as it
 * goes, but its compression 3 is Huffman 1D (not Windows' bit fields) and 4 RLE24, each of a
 * stated size. Windows' own headers are 40, 52, 56, 108 and 124 bytes.
 */
export const OS2_HEADER = 64;
const OS2_HUFFMAN = 3;

/**
 * Fields of an info header of `infoSize` bytes that no reader needs, as [offset, size] from its
 * start: OS/2 2.x's usReserved and ulIdentifier ("for application use"), V5's bV5Reserved.
 */
export function reservedFields(infoSize: number): readonly (readonly [number, number])[] {
  if (infoSize === V5_HEADER) return [[120, 4]];
  if (infoSize === CORE_HEADER || infoSize > OS2_HEADER || infoSize === 40 || infoSize === 52 || infoSize === 56) return [];
  return ([[42, 2], [60, 4]] as const).filter(([at, size]) => at + size <= infoSize);
}

/** A 40-byte header's bit fields (3) or bit fields with alpha (6) follow it as masks. */
const MASKS: Readonly<Record<number, number>> = { 3: 12, 6: 16 };

/** Where a Windows or OS/2 2.x info header states how many colour table entries it uses. */
export const COLOURS_USED = 32;
export const COLOURS_IMPORTANT = 36;

/**
 * Where the colour table of the info header at `infoAt` (of `infoSize` bytes) starts, after a
 * 40-byte header's masks, and where it ends: as many entries as the header says it uses, else
 * one per value of a pixel of 8 bits or fewer (3 bytes each after an OS/2 1.x header, 4 otherwise).
 * Pixels of more than 8 bits are colours themselves: their table, if stated, is a hint for
 * 256-colour displays that no reader draws from (`drawn` false), so room for any writer's bytes.
 */
export function colourTable(bmp: Buffer, infoAt: number, infoSize: number): { at: number; end: number; drawn: boolean } {
  const core = infoSize === CORE_HEADER;
  const bits = bmp.readUInt16LE(infoAt + (core ? 10 : 14));
  const compression = infoSize >= 20 ? bmp.readUInt32LE(infoAt + 16) : 0;
  const at = infoAt + infoSize + (infoSize === 40 ? (MASKS[compression] ?? 0) : 0);
  const used = infoSize >= COLOURS_USED + 4 ? bmp.readUInt32LE(infoAt + COLOURS_USED) : 0;
  const colours = used !== 0 ? used : bits <= 8 ? 2 ** bits : 0;
  return { at, end: at + colours * (core ? 3 : 4), drawn: bits <= 8 };
}

/**
 * The fourth byte of each 4-byte colour table entry from `at` to `end` (RGBQUAD's rgbReserved,
 * which Windows says must be zero): ImageMagick, Pillow, GIMP, stb_image, browsers and GDI take
 * blue, green and red and skip it (a palette entry has no alpha: BI_ALPHABITFIELDS is for 16- and
 * 32-bit pixels), so it is room for any writer's bytes, one in four. An OS/2 1.x table has
 * 3-byte entries, no such byte.
 */
export function* paletteReservedBytes(at: number, end: number): Generator<number> {
  for (let i = at + 3; i < end; i += 4) yield i;
}

/** The size of the pixel array of the info header at `at`: stated for compressed data, computed for plain rows. */
export function pixelBytes(bmp: Buffer, at: number, infoSize: number): number {
  if (infoSize === CORE_HEADER) return rowsBytes(bmp.readUInt16LE(at + 4), bmp.readUInt16LE(at + 6), bmp.readUInt16LE(at + 10));
  // A short OS/2 2.x header ends before the compression and size fields: none.
  const compression = infoSize >= 20 ? bmp.readUInt32LE(at + 16) : BI_RGB;
  const stated = infoSize >= 24 ? bmp.readUInt32LE(at + 20) : 0;
  const os2 = infoSize === OS2_HEADER || infoSize < 40;
  if ((compression !== BI_RGB && compression !== BI_BITFIELDS) || (os2 && compression === OS2_HUFFMAN)) {
    if (stated === 0) throw damaged("its compressed pixel data has no stated size");
    return stated;
  }
  return rowsBytes(bmp.readInt32LE(at + 4), bmp.readInt32LE(at + 8), bmp.readUInt16LE(at + 14));
}

/** Plain rows, each padded to four bytes. */
export function rowsBytes(width: number, height: number, bits: number): number {
  return Math.ceil((Math.abs(width) * bits) / 32) * 4 * Math.abs(height);
}

export function damaged(why: string): BadFileError {
  return new BadFileError(`The BMP file is damaged: ${why}.`);
}
