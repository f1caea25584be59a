import { BadFileError } from "../errors.js";
import type { FileBytes } from "../file-bytes.js";
import { DAMAGED, fourLetters, readLength } from "./psd-structure.js";

/** Where the parts of the layer and mask section lie. */
export interface LayerSection {
  /** Its length field's size: 8 in a PSB. */
  lengthSize: number;
  /** The layer info [infoAt, infoEnd) (empty when the document has no layers). */
  infoAt: number;
  infoEnd: number;
  /** The global mask [infoEnd, maskEnd), or none at all (`noMask`, the format's older shape). */
  noMask: boolean;
  maskEnd: number;
  /** The global tagged blocks run from maskEnd to end. */
  end: number;
}

/** The layer and mask section whose length field is at `at`. */
export async function readLayerSection(src: FileBytes, big: boolean, at: number): Promise<LayerSection> {
  const L = big ? 8 : 4;
  const total = await readLength(src, at, big);
  const end = at + L + total;
  if (end > src.size) throw new BadFileError(DAMAGED);
  if (total === 0) return { lengthSize: L, infoAt: end, infoEnd: end, noMask: true, maskEnd: end, end };
  const infoAt = at + 2 * L;
  let infoEnd = infoAt + (await readLength(src, at + L, big));
  // Some writers end the section with the layer info, leaving out the global mask's length;
  // ImageMagick counts a padding byte after the layers' pixels that it does not write, its
  // (empty) global mask's length then ending the section.
  const noMask = infoEnd === end;
  if (!noMask && infoEnd + 4 > end && infoEnd <= end && end - 4 >= infoAt) infoEnd = end - 4;
  if (!noMask && infoEnd + 4 > end) throw new BadFileError(DAMAGED);
  const maskEnd = noMask ? end : infoEnd + 4 + (await readLength(src, infoEnd, false));
  if (maskEnd > end) throw new BadFileError(DAMAGED);
  return { lengthSize: L, infoAt, infoEnd, noMask, maskEnd, end };
}

/** The layer count at the start of layer info [from, to) (negative when the first alpha channel is the merged picture's transparency). */
export async function layerCount(src: FileBytes, from: number, to: number, le = false): Promise<number> {
  if (from + 2 > to) throw new BadFileError(DAMAGED);
  const b = await src.read(from, 2);
  return Math.abs(le ? b.readInt16LE(0) : b.readInt16BE(0));
}

/** One layer record: its fixed part up to [at, lengthAt), its extra data [lengthAt + 4, end), tagged blocks from blocksAt. */
export interface LayerRecord {
  at: number;
  /** The extra data's length field. */
  lengthAt: number;
  /** Mask data, blending ranges and name: [lengthAt + 4, blocksAt). */
  blocksAt: number;
  end: number;
  /** Its channels' image data, in bytes. */
  pixels: number;
}

/** The layer record at `at`, within layer info ending at `to` (little-endian: `le`, see readLength). */
export async function readLayerRecord(src: FileBytes, big: boolean, at: number, to: number, le = false): Promise<LayerRecord> {
  const L = big ? 8 : 4;
  if (at + 18 > to) throw new BadFileError(DAMAGED);
  const count = await src.read(at + 16, 2);
  const channels = le ? count.readUInt16LE(0) : count.readUInt16BE(0);
  const channelsAt = at + 18;
  const blendAt = channelsAt + channels * (2 + L);
  if (blendAt + 16 > to) throw new BadFileError(DAMAGED);
  let pixels = 0;
  for (let ch = 0; ch < channels; ch++) pixels += await readLength(src, channelsAt + ch * (2 + L) + 2, big, le);
  if (fourLetters(await src.read(blendAt, 4), 0, le) !== "8BIM") throw new BadFileError(DAMAGED);
  const lengthAt = blendAt + 12;
  const extraAt = blendAt + 16;
  const end = extraAt + (await readLength(src, lengthAt, false, le));
  if (end > to) throw new BadFileError(DAMAGED);
  // Mask data and blending ranges, each behind its length, then the name: a Pascal string padded to four bytes.
  const rangesAt = extraAt + 4 + (await readLength(src, extraAt, false, le));
  const nameAt = rangesAt + 4 + (await readLength(src, rangesAt, false, le));
  if (nameAt + 1 > end) throw new BadFileError(DAMAGED);
  const nameLength = (await src.read(nameAt, 1))[0]! + 1;
  if (nameAt + nameLength > end) throw new BadFileError(DAMAGED);
  const blocksAt = Math.min(nameAt + nameLength + ((4 - (nameLength % 4)) % 4), end);
  return { at, lengthAt, blocksAt, end, pixels };
}
