import fs from "node:fs";
import fsp from "node:fs/promises";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import { BadFileError, TooComplexError } from "../errors.js";
import type { FileBytes } from "../file-bytes.js";
import { RangeWriter } from "../range-writer.js";
import type { CleanContext, Cleaner } from "../types.js";
import { BI_BITFIELDS, BI_RGB, CS_TYPE, ENDPOINTS, LCS_SRGB, PROFILE_DATA, PROFILE_EMBEDDED, PROFILE_LINKED, PROFILE_SIZE, reservedFields, rowsBytes, unusedEndpoints, V5_HEADER } from "./bmp-header.js";
import { copyPatched, type Range } from "./patched-copy.js";
import { isPngHead } from "./png-chunks.js";
import { Assembly } from "./psd-assembly.js";

const DIRECTORY = 6;
const ENTRY = 16;
/** The entry's byte the format reserves (zero), its image's size and its offset. */
const RESERVED = 3;
const SIZE = 8;
const OFFSET = 12;
const MASKS = 12;

/** An image of the copy: its length, known before it is written, and how it is written. */
interface Image {
  length: number;
  write(out: RangeWriter): Promise<void>;
}

/**
 * Windows icons and cursors (ICO, CUR): a directory of entries, each a PNG or a bitmap (an info
 * header, palette, colour rows and a 1-bit transparency mask, with no file header). ExifTool
 * reads the directory only, but a PNG entry is a whole PNG file with room for text chunks, EXIF
 * and XMP (what an editor or the program that made the icon puts there). The copy is rebuilt:
 * the directory with its reserved bytes zeroed, each PNG cleaned (and verified) by the PNG
 * cleaner, each bitmap with its reserved header fields zeroed, the images packed one after
 * another; gaps between images and bytes after the last one go. Only the directory and the
 * bitmaps' headers are held: a PNG is cleaned from a file of its own, a bitmap copied a window at
 * a time, so an icon of any size costs the same memory.
 */
export const icoCleaner: Cleaner = {
  name: "ico",
  fileTypes: ["ICO", "CUR"],
  async clean(ctx: CleanContext): Promise<void> {
    await RangeWriter.rewrite(ctx.input, ctx.output, "wx", async (src, out) => {
      const head = await bytesAt(src, 0, DIRECTORY);
      const count = head.length >= DIRECTORY ? head.readUInt16LE(4) : 0;
      if (count === 0) throw damaged("it holds no images");
      if (DIRECTORY + count * ENTRY > src.size) throw damaged("its directory is cut short");
      const directory = await bytesAt(src, 0, DIRECTORY + count * ENTRY);
      const images: Image[] = [];
      let at = directory.length;
      let taken = 0;
      for (let i = 0; i < count; i++) {
        const entry = DIRECTORY + i * ENTRY;
        const from = directory.readUInt32LE(entry + OFFSET);
        const size = directory.readUInt32LE(entry + SIZE);
        if (from >= src.size) throw damaged("an image lies outside the file");
        const image = isPngHead(await bytesAt(src, from, 8)) ? await cleanPng(ctx, from, size, src.size, i) : await bitmap(src, from, size, ctx.keep.has("colorProfile"));
        // Entries sharing one image would make a small file a huge copy.
        taken += image.length;
        if (taken > src.size) throw new TooComplexError("ico: entries share their images' bytes");
        directory[entry + RESERVED] = 0;
        directory.writeUInt32LE(image.length, entry + SIZE);
        directory.writeUInt32LE(at, entry + OFFSET);
        images.push(image);
        at += image.length;
      }
      out.bytes(directory);
      for (const image of images) await image.write(out);
    });
  },
  isStructural: () => false,
};

/** The PNG of `size` bytes at `from`, copied to a file of its own and cleaned there. */
async function cleanPng(ctx: CleanContext, from: number, size: number, fileSize: number, index: number): Promise<Image> {
  if (size === 0 || from + size > fileSize) throw damaged("an image lies outside the file");
  const input = path.join(ctx.workDir, `image-${index}.png`);
  const output = path.join(ctx.workDir, `image-${index}-clean.png`);
  await pipeline(fs.createReadStream(ctx.input, { start: from, end: from + size - 1 }), fs.createWriteStream(input, { flags: "wx" }));
  if ((await ctx.cleanNested(input, output)) == null) throw damaged("a PNG image in it is not one");
  await fsp.rm(input);
  const cleaned = new Assembly().file(output, (await fsp.stat(output)).size);
  return { length: cleaned.length, write: (out) => cleaned.writeTo(out) };
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
async function bitmap(src: FileBytes, from: number, stated: number, keepProfile: boolean): Promise<Image> {
  const info = await bytesAt(src, from, V5_HEADER);
  const infoSize = info.length >= 40 ? info.readUInt32LE(0) : 0;
  if (infoSize < 40 || from + infoSize > src.size) throw damaged("an image is neither a PNG nor a bitmap");
  const width = info.readInt32LE(4);
  const height = Math.floor(Math.abs(info.readInt32LE(8)) / 2);
  const bits = info.readUInt16LE(14);
  const compression = info.readUInt32LE(16);
  const used = info.readUInt32LE(32);
  const masks = infoSize === 40 && compression === BI_BITFIELDS ? MASKS : 0;
  const palette = 4 * (used !== 0 ? used : bits <= 8 ? 2 ** bits : 0);
  const colours = infoSize + masks + palette + rowsBytes(width, height, bits);
  const plain = compression === BI_RGB || compression === BI_BITFIELDS;
  const size = plain && stated < colours ? Math.min(colours + rowsBytes(width, height, 1), src.size - from) : stated;
  if (size === 0 || from + size > src.size) throw damaged("an image lies outside the file");
  // The changes, as ranges of the file; a stated size may end within the header.
  const within = (a: number, b: number): Range => [from + Math.min(a, size), from + Math.min(b, size)];
  const zeroed = reservedFields(infoSize).map(([field, length]) => within(field, field + length));
  // No version of the header defines a field past V5's 124 bytes.
  zeroed.push(within(V5_HEADER, infoSize));
  const table = within(infoSize + masks, infoSize + masks + palette);
  // Pixels of more than 8 bits are colours themselves: a table stated for them is drawn by no reader.
  if (bits > 8) zeroed.push(table);
  const header = Buffer.from(info.subarray(0, Math.min(size, info.length)));
  const values: { at: number; bytes: Buffer }[] = [];
  if (infoSize >= V5_HEADER && header.length >= V5_HEADER) {
    const dropped = dropProfile(header, colours + rowsBytes(width, height, 1), size, keepProfile);
    if (dropped != null) {
      zeroed.push(within(...dropped), within(PROFILE_DATA, PROFILE_DATA + 8));
      values.push({ at: from + CS_TYPE, bytes: header.subarray(CS_TYPE, CS_TYPE + 4) });
    }
  }
  if (unusedEndpoints(header, infoSize)) zeroed.push(within(...ENDPOINTS));
  const patches = { zeroed, palettes: bits > 8 ? [] : [table], values };
  return { length: size, write: (out) => copyPatched(src, out, from, from + size, patches) };
}

/**
 * A V5 header's colour profile, as in a BMP: a linked one names a file (often in the user's
 * folder), an embedded one its maker. Unless an embedded one is kept, `header` is switched to
 * sRGB and the range of the profile's bytes after the colour rows and mask (`pictureEnd`) within
 * the bitmap's `size` returned (empty when none lie there), to be zeroed; null when it stays.
 */
function dropProfile(header: Buffer, pictureEnd: number, size: number, keepProfile: boolean): [number, number] | null {
  const csType = header.readUInt32LE(CS_TYPE);
  if (csType !== PROFILE_LINKED && (csType !== PROFILE_EMBEDDED || keepProfile)) return null;
  const at = header.readUInt32LE(PROFILE_DATA);
  const end = Math.min(at + header.readUInt32LE(PROFILE_SIZE), size);
  header.writeUInt32LE(LCS_SRGB, CS_TYPE);
  return end > pictureEnd && at < end ? [Math.max(at, pictureEnd), end] : [0, 0];
}

/**
 * Up to `n` bytes at `at` (fewer where the file ends), read exactly, in a buffer of their own:
 * images lie anywhere, in any order, and a window read for each would read the file over and over.
 */
async function bytesAt(src: FileBytes, at: number, n: number): Promise<Buffer> {
  const length = Math.max(0, Math.min(n, src.size - at));
  return Buffer.from((await src.slice(at, length, Buffer.alloc(length))).bytes);
}

function damaged(why: string): BadFileError {
  return new BadFileError(`The icon file is damaged: ${why}.`);
}
