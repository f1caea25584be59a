import fsp from "node:fs/promises";
import type { CleanContext, Cleaner } from "../types.js";
import { cleanOs2Bitmap, isOs2Bitmap } from "./bmp-array.js";
import { colourTable, CORE_HEADER, paletteReservedBytes, CS_TYPE, LCS_SRGB, PROFILE_DATA, PROFILE_EMBEDDED, PROFILE_LINKED, PROFILE_SIZE, V5_HEADER, damaged, pixelBytes, reservedFields } from "./bmp-header.js";

const FILE_HEADER = 14;

/**
 * BMP holds no EXIF, XMP or text: its only metadata is a V5 header's colour profile, embedded
 * (an ICC profile, with its description and copyright) or linked (a file path, often naming the
 * user's folder). Unless the profile is kept, the header is switched to plain sRGB and the
 * profile's bytes dropped. Whatever follows the pixel data (a profile, bytes appended by other
 * tools) is cut, reserved fields (the colour table entries' fourth bytes too) and the bytes between
 * the colour table and the pixels are zeroed; the header and pixels are copied unchanged otherwise.
 * OS/2 bitmap arrays and icons, which ExifTool does not know, are recognised as BMP by their first
 * bytes (metadata/unrecognised-types.ts) and cleaned in bmp-array.ts.
 */
export const bmpCleaner: Cleaner = {
  name: "bmp",
  fileTypes: ["BMP"],
  async clean(ctx: CleanContext): Promise<void> {
    const bmp = await fsp.readFile(ctx.input);
    if (isOs2Bitmap(bmp)) return fsp.writeFile(ctx.output, cleanOs2Bitmap(bmp, ctx.keep.has("colorProfile")));
    if (bmp.length < FILE_HEADER + CORE_HEADER || bmp.toString("latin1", 0, 2) !== "BM") throw damaged("it does not start like a BMP");
    const infoSize = bmp.readUInt32LE(FILE_HEADER);
    if (infoSize < CORE_HEADER || bmp.length < FILE_HEADER + infoSize) throw damaged("its header is cut short");
    const pixelsAt = bmp.readUInt32LE(10);
    const pixelsEnd = pixelsAt + pixelBytes(bmp, FILE_HEADER, infoSize);
    if (pixelsAt < FILE_HEADER + infoSize || pixelsEnd > bmp.length) throw damaged("its pixel data lies outside the file");
    const out = Buffer.from(bmp.subarray(0, pixelsEnd));
    // The file header's two reserved fields, and the info header's, are free for any writer's bytes.
    out.fill(0, 6, 10);
    for (const [at, size] of reservedFields(infoSize)) out.fill(0, FILE_HEADER + at, FILE_HEADER + at + size);
    // Between the colour table and the pixels no reader looks (a kept profile is put back below).
    const table = colourTable(bmp, FILE_HEADER, infoSize);
    out.fill(0, Math.min(table.end, pixelsAt), pixelsAt);
    if (infoSize !== CORE_HEADER) for (const i of paletteReservedBytes(table.at, Math.min(table.end, pixelsAt))) out[i] = 0;
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
        // A kept profile after the pixels is carried over as it was; one before them is put back.
        if (from >= pixelsEnd) return fsp.writeFile(ctx.output, keptWithProfile(out, bmp, from, size));
        bmp.copy(out, from, from, Math.min(from + size, pixelsAt));
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
