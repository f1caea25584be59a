import fsp from "node:fs/promises";
import { BadFileError } from "../errors.js";
import type { CleanContext, Cleaner } from "../types.js";
import { BI_BITFIELDS, BI_RGB, CS_TYPE, LCS_SRGB, PROFILE_DATA, PROFILE_EMBEDDED, PROFILE_LINKED, PROFILE_SIZE, V5_HEADER } from "./bmp-header.js";

const FILE_HEADER = 14;
/** OS/2 1.x's BITMAPCOREHEADER (ImageMagick's BMP2): 16-bit width and height, no compression. */
const CORE_HEADER = 12;
/**
 * OS/2 2.x's BITMAPINFOHEADER2: 16 to 64 bytes, laid out as Windows' 40-byte header as far as it
 * goes, but its compression 3 is Huffman 1D (not Windows' bit fields) and 4 RLE24, each of a
 * stated size. Windows' own headers are 40, 52, 56, 108 and 124 bytes.
 */
const OS2_HEADER = 64;
const OS2_HUFFMAN = 3;

/**
 * BMP holds no EXIF, XMP or text: its only metadata is a V5 header's colour profile, embedded
 * (an ICC profile, with its description and copyright) or linked (a file path, often naming the
 * user's folder). Unless the profile is kept, the header is switched to plain sRGB and the
 * profile's bytes dropped. Whatever follows the pixel data (a profile, bytes appended by other
 * tools) is cut; the header and pixels are copied unchanged otherwise.
 */
export const bmpCleaner: Cleaner = {
  name: "bmp",
  fileTypes: ["BMP"],
  async clean(ctx: CleanContext): Promise<void> {
    const bmp = await fsp.readFile(ctx.input);
    if (bmp.length < FILE_HEADER + CORE_HEADER || bmp.toString("latin1", 0, 2) !== "BM") throw damaged("it does not start like a BMP");
    const infoSize = bmp.readUInt32LE(FILE_HEADER);
    if (infoSize < CORE_HEADER || bmp.length < FILE_HEADER + infoSize) throw damaged("its header is cut short");
    const pixelsAt = bmp.readUInt32LE(10);
    const pixelsEnd = pixelsAt + pixelBytes(bmp, infoSize);
    if (pixelsAt < FILE_HEADER + infoSize || pixelsEnd > bmp.length) throw damaged("its pixel data lies outside the file");
    const out = Buffer.from(bmp.subarray(0, pixelsEnd));
    const keepProfile = ctx.keep.has("colorProfile");
    if (infoSize >= V5_HEADER) {
      const csType = out.readUInt32LE(FILE_HEADER + CS_TYPE);
      const profile = csType === PROFILE_EMBEDDED || csType === PROFILE_LINKED;
      if (profile && !(keepProfile && csType === PROFILE_EMBEDDED)) {
        const from = FILE_HEADER + out.readUInt32LE(FILE_HEADER + PROFILE_DATA);
        const to = from + out.readUInt32LE(FILE_HEADER + PROFILE_SIZE);
        // Between the header and the pixels it is blanked; after the pixels it is already cut.
        if (from < pixelsAt && to > FILE_HEADER + infoSize) {
          if (to > pixelsAt || from < FILE_HEADER + infoSize) throw damaged("its colour profile overlaps its header or pixels");
          out.fill(0, from, to);
        }
        out.writeUInt32LE(LCS_SRGB, FILE_HEADER + CS_TYPE);
        out.writeUInt32LE(0, FILE_HEADER + PROFILE_DATA);
        out.writeUInt32LE(0, FILE_HEADER + PROFILE_SIZE);
      } else if (profile) {
        const from = FILE_HEADER + out.readUInt32LE(FILE_HEADER + PROFILE_DATA);
        const size = out.readUInt32LE(FILE_HEADER + PROFILE_SIZE);
        // A kept profile after the pixels is carried over as it was.
        if (from >= pixelsEnd) return fsp.writeFile(ctx.output, keptWithProfile(out, bmp, from, size));
      }
    }
    out.writeUInt32LE(out.length, 2);
    await fsp.writeFile(ctx.output, out);
  },
  isStructural: () => false,
};

function keptWithProfile(head: Buffer, bmp: Buffer, from: number, size: number): Buffer {
  if (from + size > bmp.length) throw damaged("its colour profile lies outside the file");
  const out = Buffer.concat([head, Buffer.alloc(from - head.length), bmp.subarray(from, from + size)]);
  out.writeUInt32LE(out.length, 2);
  return out;
}

/** The size of the pixel array: stated for compressed data, computed for plain rows. */
function pixelBytes(bmp: Buffer, infoSize: number): number {
  if (infoSize === CORE_HEADER) return rowsBytes(bmp.readUInt16LE(FILE_HEADER + 4), bmp.readUInt16LE(FILE_HEADER + 6), bmp.readUInt16LE(FILE_HEADER + 10));
  // A short OS/2 2.x header ends before the compression and size fields: none.
  const compression = infoSize >= 20 ? bmp.readUInt32LE(FILE_HEADER + 16) : BI_RGB;
  const stated = infoSize >= 24 ? bmp.readUInt32LE(FILE_HEADER + 20) : 0;
  const os2 = infoSize === OS2_HEADER || infoSize < 40;
  if ((compression !== BI_RGB && compression !== BI_BITFIELDS) || (os2 && compression === OS2_HUFFMAN)) {
    if (stated === 0) throw damaged("its compressed pixel data has no stated size");
    return stated;
  }
  return rowsBytes(bmp.readInt32LE(FILE_HEADER + 4), bmp.readInt32LE(FILE_HEADER + 8), bmp.readUInt16LE(FILE_HEADER + 14));
}

/** Plain rows, each padded to four bytes. */
function rowsBytes(width: number, height: number, bits: number): number {
  return Math.ceil((Math.abs(width) * bits) / 32) * 4 * Math.abs(height);
}

function damaged(why: string): BadFileError {
  return new BadFileError(`The BMP file is damaged: ${why}.`);
}
