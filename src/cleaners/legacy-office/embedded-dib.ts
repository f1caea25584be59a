import { BadFileError } from "../errors.js";
import { BI_BITFIELDS, BI_RGB, colourTable, CORE_HEADER, CS_TYPE, ENDPOINTS, LCS_SRGB, paletteReservedBytes, PROFILE_DATA, PROFILE_EMBEDDED, PROFILE_LINKED, PROFILE_SIZE, reservedFields, unusedEndpoints, V5_HEADER } from "../image/bmp-header.js";

/**
 * A bitmap (DIB: a BMP without its 14-byte file header) inside an Office 97-2003 file
 * ([MS-ODRAW] 2.2.29), cleaned where it lies, as the BMP cleaner does (image/bmp.ts): its only
 * metadata is a V5 header's colour profile, embedded (an ICC profile with its description and
 * copyright) or linked (a file path, often naming the user's folder). Unless an embedded
 * profile is kept, the header is switched to plain sRGB and the profile's bytes become zeros, as
 * does whatever follows the pixels. Nothing moves, so what no reader draws from becomes zeros in
 * place: a header's bytes past V5's fields, V5's reserved word, a V4 or V5 header's colour
 * endpoints and gamma where its colour space does not use them, and the colour table entries'
 * fourth bytes. A table stated for pixels of more than 8 bits stays: the pixels follow it with
 * no offset of their own, and LibreOffice, which reads no table for such pixels, draws it as
 * the first rows (as in a WMF's packed DIB, image/metafile-dib.ts).
 */

/** The sizes of the info headers a DIB may have: core, V1, V2, V3, V4, V5; a longer one is read as V5 and what follows its fields. */
const INFO_SIZES = new Set([12, 40, 52, 56, 108, 124]);

/** Cleans the DIB in `b` from `start` to `end` in place; false when those bytes are no DIB. */
export function cleanDib(b: Buffer, start: number, end: number, keepProfile: boolean): boolean {
  const dib = b.subarray(start, end);
  if (dib.length < 16) return false;
  const infoSize = dib.readUInt32LE(0);
  if ((!INFO_SIZES.has(infoSize) && infoSize < V5_HEADER) || dib.length < infoSize) return false;
  const core = infoSize === 12;
  if ((core ? dib.readUInt16LE(8) : dib.readUInt16LE(12)) !== 1) return false;
  const pixelsEnd = pixelsStart(dib, infoSize) + pixelBytes(dib, infoSize);
  if (pixelsEnd > dib.length) throw damaged("its pixel data runs past the picture's end");
  let keptEnd = pixelsEnd;
  if (infoSize >= V5_HEADER) {
    const csType = dib.readUInt32LE(CS_TYPE);
    const from = dib.readUInt32LE(PROFILE_DATA);
    const size = dib.readUInt32LE(PROFILE_SIZE);
    if (csType === PROFILE_EMBEDDED || csType === PROFILE_LINKED) {
      if (from < infoSize || from + size > dib.length || (from < pixelsEnd && from + size > pixelsStart(dib, infoSize))) throw damaged("its colour profile overlaps its header or pixels, or lies outside it");
      if (keepProfile && csType === PROFILE_EMBEDDED) keptEnd = Math.max(keptEnd, from + size);
      else {
        dib.fill(0, from, from + size);
        dib.writeUInt32LE(LCS_SRGB, CS_TYPE);
        dib.writeUInt32LE(0, PROFILE_DATA);
        dib.writeUInt32LE(0, PROFILE_SIZE);
      }
    }
  }
  dib.fill(0, keptEnd);
  unreadFields(dib, infoSize);
  return true;
}

/** Zeroes the fields of the DIB `dib` (its profile already dropped or kept) that no reader draws from. */
function unreadFields(dib: Buffer, infoSize: number): void {
  const fields = Math.min(infoSize, V5_HEADER);
  dib.fill(0, fields, infoSize);
  for (const [at, size] of reservedFields(fields)) dib.fill(0, at, at + size);
  if (unusedEndpoints(dib, fields)) dib.fill(0, ...ENDPOINTS);
  const table = colourTable(dib, 0, infoSize);
  if (infoSize !== CORE_HEADER && table.drawn) for (const i of paletteReservedBytes(table.at, Math.min(table.end, dib.length))) dib[i] = 0;
}

/** Where the pixels start: after the header, the BI_BITFIELDS masks of a V1 header and the colour table. */
function pixelsStart(dib: Buffer, infoSize: number): number {
  if (infoSize === 12) {
    const bits = dib.readUInt16LE(10);
    return 12 + (bits <= 8 ? (1 << bits) * 3 : 0);
  }
  const bits = dib.readUInt16LE(14);
  const compression = dib.readUInt32LE(16);
  const used = dib.readUInt32LE(32);
  const colours = used !== 0 ? used : bits <= 8 ? 1 << bits : 0;
  return infoSize + (infoSize === 40 && compression === BI_BITFIELDS ? 12 : 0) + colours * 4;
}

/** The size of the pixel array: stated for compressed data, computed for plain rows. */
function pixelBytes(dib: Buffer, infoSize: number): number {
  if (infoSize === 12) return Math.ceil((dib.readUInt16LE(4) * dib.readUInt16LE(10)) / 32) * 4 * dib.readUInt16LE(6);
  const compression = dib.readUInt32LE(16);
  const stated = dib.readUInt32LE(20);
  if (compression !== BI_RGB && compression !== BI_BITFIELDS) {
    if (stated === 0) throw damaged("its compressed pixel data has no stated size");
    return stated;
  }
  const width = Math.abs(dib.readInt32LE(4));
  const height = Math.abs(dib.readInt32LE(8));
  return Math.ceil((width * dib.readUInt16LE(14)) / 32) * 4 * height;
}

/** The DIB as a BMP file (its 14-byte file header added), for ExifTool to read. */
export function asBmp(dib: Buffer): Buffer {
  const head = Buffer.alloc(14);
  head.write("BM", 0, "latin1");
  head.writeUInt32LE(14 + dib.length, 2);
  if (dib.length >= 16) head.writeUInt32LE(14 + pixelsStart(dib, dib.readUInt32LE(0)), 10);
  return Buffer.concat([head, dib]);
}

function damaged(why: string): BadFileError {
  return new BadFileError(
    "The document holds a bitmap picture whose structure this service cannot follow, so its metadata cannot be removed.",
    new Error(`legacy-office: bitmap picture: ${why}`),
  );
}
