import fs from "node:fs/promises";
import { CONVERT, run } from "./tools.js";

/** One bitmap of an OS/2 array entry: its file header's type, its info header, palette and pixels. */
export interface Os2Bitmap {
  type: "BM" | "CI";
  info: Buffer;
  palette: Buffer;
  pixels: Buffer;
}

/** Where the builder put each bitmap's parts, to compare them in the cleaned copy. */
export interface Placed {
  headerAt: number;
  headerEnd: number;
  pixelsAt: number;
  pixelsEnd: number;
}

/**
 * A bitmap drawn by ImageMagick (`format`: BMP2 writes OS/2 1.x's 12-byte header, BMP3 Windows'
 * 40-byte one), taken apart. A 12-byte header's palette is padded to its full 2^bits entries, as
 * OS/2 arrays hold it.
 */
export async function drawnBitmap(file: string, format: "BMP2" | "BMP3", size: string, type: "Palette" | "TrueColor"): Promise<Os2Bitmap> {
  await run(CONVERT, ["-size", size, "gradient:#ff3000-#0040ff", "-type", type, `${format}:${file}`]);
  const bmp = await fs.readFile(file);
  const infoSize = bmp.readUInt32LE(14);
  const pixelsAt = bmp.readUInt32LE(10);
  const info = Buffer.from(bmp.subarray(14, 14 + infoSize));
  let palette = Buffer.from(bmp.subarray(14 + infoSize, pixelsAt));
  const bits = infoSize === 12 ? info.readUInt16LE(10) : info.readUInt16LE(14);
  if (infoSize === 12 && bits <= 8) palette = Buffer.concat([palette, Buffer.alloc(3 * 2 ** bits - palette.length)]);
  return { type: "BM", info, palette, pixels: Buffer.from(bmp.subarray(pixelsAt)) };
}

/**
 * An OS/2 bitmap array: every entry's headers and palettes first, each `gap` after them and after
 * each bitmap's pixels, `trailer` at the end. Each plain bitmap's file header gets `hotSpot` (4
 * bytes) in its hot spot fields, which only icons and pointers use.
 */
export function bitmapArray(entries: readonly (readonly Os2Bitmap[])[], gap: Buffer, trailer: Buffer, hotSpot = Buffer.alloc(4)): { bytes: Buffer; placed: Placed[] } {
  const headers: Buffer[] = [];
  const entryAt: number[] = [];
  const arrayHeaders: Buffer[] = [];
  const fileHeaders: { header: Buffer; bitmap: Os2Bitmap }[] = [];
  const placed: Placed[] = [];
  let at = 0;
  for (const entry of entries) {
    entryAt.push(at);
    const ba = Buffer.alloc(14);
    ba.write("BA", 0, "latin1");
    ba.writeUInt32LE(40, 2);
    headers.push(ba);
    arrayHeaders.push(ba);
    at += 14;
    for (const bitmap of entry) {
      const header = Buffer.alloc(14);
      header.write(bitmap.type, 0, "latin1");
      header.writeUInt32LE(14 + bitmap.info.length, 2);
      if (bitmap.type === "BM") hotSpot.copy(header, 6);
      headers.push(header, bitmap.info, bitmap.palette);
      fileHeaders.push({ header, bitmap });
      placed.push({ headerAt: at, headerEnd: at + 14 + bitmap.info.length + bitmap.palette.length, pixelsAt: 0, pixelsEnd: 0 });
      at += 14 + bitmap.info.length + bitmap.palette.length;
    }
  }
  arrayHeaders.forEach((ba, i) => ba.writeUInt32LE(entryAt[i + 1] ?? 0, 6));
  const parts = [...headers, gap];
  at += gap.length;
  fileHeaders.forEach(({ header, bitmap }, i) => {
    header.writeUInt32LE(at, 10);
    placed[i]!.pixelsAt = at;
    placed[i]!.pixelsEnd = at + bitmap.pixels.length;
    parts.push(bitmap.pixels, gap);
    at += bitmap.pixels.length + gap.length;
  });
  parts.push(trailer);
  return { bytes: Buffer.concat(parts), placed };
}

/** An OS/2 1.x 1-bit AND/XOR mask for a `side` x `side` icon (two masks stacked: height 2 x side). */
export function iconMask(side: number): Os2Bitmap {
  const info = Buffer.alloc(12);
  info.writeUInt32LE(12, 0);
  info.writeUInt16LE(side, 4);
  info.writeUInt16LE(2 * side, 6);
  info.writeUInt16LE(1, 8);
  info.writeUInt16LE(1, 10);
  const palette = Buffer.from([0, 0, 0, 0xff, 0xff, 0xff]);
  const rowBytes = Math.ceil(side / 32) * 4;
  const pixels = Buffer.alloc(rowBytes * 2 * side);
  for (let i = 0; i < pixels.length; i++) pixels[i] = (i * 37) & 0xff;
  return { type: "CI", info, palette, pixels };
}

/** An OS/2 2.x info header (64 bytes) holding `bitmap`'s 40-byte Windows one, with `reserved` in usReserved (2 bytes) and ulIdentifier (4). */
export function os2InfoHeader(bitmap: Os2Bitmap, reserved: Buffer): Os2Bitmap {
  const info = Buffer.alloc(64);
  bitmap.info.copy(info, 0, 0, 40);
  info.writeUInt32LE(64, 0);
  reserved.copy(info, 42, 0, 2);
  reserved.copy(info, 60, 0, 4);
  return { ...bitmap, info };
}

/** What a version 2 Targa file can tell, each planted where the TGA 2.0 specification puts it. */
export interface TgaText {
  imageId: string;
  author: string;
  comments: string;
  jobName: string;
  software: string;
  developer: string;
  stamp: string;
}

/** `marker` in every text field of a Targa picture, each after a word saying which. */
export function tgaText(marker: string): TgaText {
  return {
    imageId: `id ${marker}`,
    author: `Author ${marker}`,
    comments: `note ${marker}`,
    jobName: `job ${marker}`,
    software: `Paint ${marker}`,
    developer: `private ${marker}`,
    stamp: `stamp ${marker}`,
  };
}

export const TGA_SIGNATURE = "TRUEVISION-XFILE.\0";

/**
 * A Targa picture drawn by ImageMagick (version 1: header, colour map, pixels), and the same made
 * version 2 with `text` in its image ID, developer area (one field), postage stamp (its pixel
 * bytes), and extension area (author, comments, a date, job name and time, software and version).
 */
export async function markedTga(file: string, rle: boolean, type: "Palette" | "TrueColor" | "TrueColorAlpha", text: TgaText): Promise<{ drawn: Buffer; marked: Buffer }> {
  const alpha = type === "TrueColorAlpha" ? ["-alpha", "set", "-channel", "A", "-evaluate", "set", "50%", "+channel"] : [];
  await run(CONVERT, ["-size", "21x13", "gradient:#ff3000-#0040ff", ...alpha, "-type", type, "-compress", rle ? "RLE" : "None", `tga:${file}`]);
  const drawn = await fs.readFile(file);
  const header = Buffer.from(drawn.subarray(0, 18));
  const body = drawn.subarray(18 + drawn[0]!);
  const id = Buffer.from(text.imageId, "latin1");
  header[0] = id.length;
  const bytesPerPixel = Math.ceil(drawn[16]! / 8);
  const parts = [header, id, body];
  let at = 18 + id.length + body.length;
  const developerData = Buffer.from(text.developer, "latin1");
  const developerAt = at;
  parts.push(developerData);
  at += developerData.length;
  const directory = Buffer.alloc(2 + 10);
  directory.writeUInt16LE(1, 0);
  directory.writeUInt16LE(20000, 2);
  directory.writeUInt32LE(developerAt, 4);
  directory.writeUInt32LE(developerData.length, 8);
  const directoryAt = at;
  parts.push(directory);
  at += directory.length;
  const stampPixels = Buffer.from(text.stamp, "latin1");
  const stampWidth = Math.ceil(stampPixels.length / bytesPerPixel);
  const stamp = Buffer.concat([Buffer.from([stampWidth, 1]), stampPixels, Buffer.alloc(stampWidth * bytesPerPixel - stampPixels.length)]);
  const stampAt = at;
  parts.push(stamp);
  at += stamp.length;
  const ext = Buffer.alloc(495);
  ext.writeUInt16LE(495, 0);
  ext.write(text.author, 2, 40, "latin1");
  ext.write(text.comments, 43, 80, "latin1");
  [11, 23, 2024, 14, 5, 9].forEach((n, i) => ext.writeUInt16LE(n, 367 + 2 * i));
  ext.write(text.jobName, 379, 40, "latin1");
  [1, 30, 0].forEach((n, i) => ext.writeUInt16LE(n, 420 + 2 * i));
  ext.write(text.software, 426, 40, "latin1");
  ext.writeUInt16LE(412, 467);
  ext.write("b", 469, "latin1");
  ext.writeUInt32LE(stampAt, 486);
  const footer = Buffer.alloc(26);
  footer.writeUInt32LE(at, 0);
  footer.writeUInt32LE(directoryAt, 4);
  footer.write(TGA_SIGNATURE, 8, "latin1");
  parts.push(ext, footer);
  return { drawn, marked: Buffer.concat(parts) };
}
