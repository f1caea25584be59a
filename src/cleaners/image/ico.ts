import fsp from "node:fs/promises";
import path from "node:path";
import { BadFileError, TooComplexError } from "../errors.js";
import type { CleanContext, Cleaner } from "../types.js";
import { BI_BITFIELDS, BI_RGB, CS_TYPE, ENDPOINTS, LCS_SRGB, paletteReservedBytes, PROFILE_DATA, PROFILE_EMBEDDED, PROFILE_LINKED, PROFILE_SIZE, reservedFields, rowsBytes, unusedEndpoints, V5_HEADER } from "./bmp-header.js";
import { isPngHead } from "./png-chunks.js";

const DIRECTORY = 6;
const ENTRY = 16;
/** The entry's byte the format reserves (zero), its image's size and its offset. */
const RESERVED = 3;
const SIZE = 8;
const OFFSET = 12;
const MASKS = 12;

/**
 * Windows icons and cursors (ICO, CUR): a directory of entries, each a PNG or a bitmap (an info
 * header, palette, colour rows and a 1-bit transparency mask, with no file header). ExifTool
 * reads the directory only, but a PNG entry is a whole PNG file with room for text chunks, EXIF
 * and XMP (what an editor or the program that made the icon puts there). The copy is rebuilt:
 * the directory with its reserved bytes zeroed, each PNG cleaned (and verified) by the PNG
 * cleaner, each bitmap with its reserved header fields zeroed, the images packed one after
 * another; gaps between images and bytes after the last one go.
 */
export const icoCleaner: Cleaner = {
  name: "ico",
  fileTypes: ["ICO", "CUR"],
  async clean(ctx: CleanContext): Promise<void> {
    const ico = await fsp.readFile(ctx.input);
    const count = ico.length >= DIRECTORY ? ico.readUInt16LE(4) : 0;
    if (count === 0) throw damaged("it holds no images");
    if (DIRECTORY + count * ENTRY > ico.length) throw damaged("its directory is cut short");
    const directory = Buffer.from(ico.subarray(0, DIRECTORY + count * ENTRY));
    const images: Buffer[] = [];
    let at = directory.length;
    let taken = 0;
    for (let i = 0; i < count; i++) {
      const entry = DIRECTORY + i * ENTRY;
      const from = ico.readUInt32LE(entry + OFFSET);
      const size = ico.readUInt32LE(entry + SIZE);
      if (from >= ico.length) throw damaged("an image lies outside the file");
      const image = isPngHead(ico.subarray(from, from + 8)) ? await cleanPng(ctx, whole(ico, from, size), i) : bitmap(ico, from, size, ctx.keep.has("colorProfile"));
      // Entries sharing one image would make a small file a huge copy.
      taken += image.length;
      if (taken > ico.length) throw new TooComplexError("ico: entries share their images' bytes");
      directory[entry + RESERVED] = 0;
      directory.writeUInt32LE(image.length, entry + SIZE);
      directory.writeUInt32LE(at, entry + OFFSET);
      images.push(image);
      at += image.length;
    }
    await fsp.writeFile(ctx.output, Buffer.concat([directory, ...images]));
  },
  isStructural: () => false,
};

async function cleanPng(ctx: CleanContext, data: Buffer, index: number): Promise<Buffer> {
  const input = path.join(ctx.workDir, `image-${index}.png`);
  const output = path.join(ctx.workDir, `image-${index}-clean.png`);
  await fsp.writeFile(input, data);
  if ((await ctx.cleanNested(input, output)) == null) throw damaged("a PNG image in it is not one");
  return fsp.readFile(output);
}

/** An image of the stated size, which must lie within the file. */
function whole(ico: Buffer, from: number, size: number): Buffer {
  if (size === 0 || from + size > ico.length) throw damaged("an image lies outside the file");
  return ico.subarray(from, from + size);
}

/**
 * A bitmap entry of its stated size, its reserved header fields, header bytes past V5's fields,
 * colour endpoints and gamma its colour space does not use and colour table entries' fourth
 * bytes (a true-colour picture's whole table) zeroed, a V5
 * header's colour profile dropped unless kept (see dropProfile). Bytes past
 * its mask within that size stay: Pillow writes a 1-bit mask there and reads it from the end of the stated size,
 * where Windows reads it right after the colour rows. One stated shorter than its colour rows is
 * taken by its header, as readers take it (Pillow's mask_1.cur states 8 bytes for a 56-byte
 * bitmap).
 */
function bitmap(ico: Buffer, from: number, stated: number, keepProfile: boolean): Buffer {
  const infoSize = from + 40 <= ico.length ? ico.readUInt32LE(from) : 0;
  if (infoSize < 40 || from + infoSize > ico.length) throw damaged("an image is neither a PNG nor a bitmap");
  const width = ico.readInt32LE(from + 4);
  const height = Math.floor(Math.abs(ico.readInt32LE(from + 8)) / 2);
  const bits = ico.readUInt16LE(from + 14);
  const compression = ico.readUInt32LE(from + 16);
  const used = ico.readUInt32LE(from + 32);
  const masks = infoSize === 40 && compression === BI_BITFIELDS ? MASKS : 0;
  const palette = 4 * (used !== 0 ? used : bits <= 8 ? 2 ** bits : 0);
  const colours = infoSize + masks + palette + rowsBytes(width, height, bits);
  const plain = compression === BI_RGB || compression === BI_BITFIELDS;
  const size = plain && stated < colours ? Math.min(colours + rowsBytes(width, height, 1), ico.length - from) : stated;
  const out = Buffer.from(whole(ico, from, size));
  // A stated size may end within the header.
  const zero = (a: number, b: number): Buffer => out.fill(0, Math.min(a, out.length), Math.min(b, out.length));
  for (const [field, length] of reservedFields(infoSize)) zero(field, field + length);
  // No version of the header defines a field past V5's 124 bytes.
  zero(V5_HEADER, infoSize);
  const paletteAt = Math.min(infoSize + masks, out.length);
  const paletteEnd = Math.min(infoSize + masks + palette, out.length);
  // Pixels of more than 8 bits are colours themselves: a table stated for them is drawn by no reader.
  if (bits > 8) zero(paletteAt, paletteEnd);
  else for (const i of paletteReservedBytes(paletteAt, paletteEnd)) out[i] = 0;
  if (infoSize >= V5_HEADER && out.length >= V5_HEADER) dropProfile(out, colours + rowsBytes(width, height, 1), keepProfile);
  if (unusedEndpoints(out, infoSize)) zero(...ENDPOINTS);
  return out;
}

/**
 * A V5 header's colour profile, as in a BMP: a linked one names a file (often in the user's
 * folder), an embedded one its maker. Unless an embedded one is kept, the header is switched to
 * sRGB and the profile's bytes after the colour rows and mask (`pictureEnd`) zeroed.
 */
function dropProfile(bitmap: Buffer, pictureEnd: number, keepProfile: boolean): void {
  const csType = bitmap.readUInt32LE(CS_TYPE);
  if (csType !== PROFILE_LINKED && (csType !== PROFILE_EMBEDDED || keepProfile)) return;
  const at = bitmap.readUInt32LE(PROFILE_DATA);
  const end = Math.min(at + bitmap.readUInt32LE(PROFILE_SIZE), bitmap.length);
  if (end > pictureEnd && at < end) bitmap.fill(0, Math.max(at, pictureEnd), end);
  bitmap.writeUInt32LE(LCS_SRGB, CS_TYPE);
  bitmap.fill(0, PROFILE_DATA, PROFILE_DATA + 8);
}

function damaged(why: string): BadFileError {
  return new BadFileError(`The icon file is damaged: ${why}.`);
}
