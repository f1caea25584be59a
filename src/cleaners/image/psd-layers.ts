import { BadFileError } from "../errors.js";
import type { FileBytes } from "../file-bytes.js";
import { Assembly } from "./psd-assembly.js";
import { cleanBlocks, type LayerCleaning } from "./psd-block-policy.js";
import { DAMAGED, lengthBytes, readLength } from "./psd-structure.js";

/**
 * The layer and mask section at `at` (its length field), rewritten: layer records keep their
 * geometry, channels, blending, mask and name, and of their additional information only what
 * psd-block-policy.ts keeps; the layers' pixels (channel image data) and the global mask are
 * copied byte for byte; the global blocks after them go through the same policy. Resolves to the
 * section with its new length field, and where the source's section ends.
 */
export async function cleanLayerSection(c: LayerCleaning, at: number): Promise<{ section: Assembly; end: number }> {
  const { src, big } = c;
  const L = big ? 8 : 4;
  const total = await readLength(src, at, big);
  const end = at + L + total;
  if (end > src.size) throw new BadFileError(DAMAGED);
  const body = new Assembly();
  if (total > 0) {
    const infoLength = await readLength(src, at + L, big);
    const infoAt = at + 2 * L;
    let infoEnd = infoAt + infoLength;
    // Some writers end the section with the layer info, leaving out the global mask's length;
    // ImageMagick counts a padding byte after the layers' pixels that it does not write, its
    // (empty) global mask's length then ending the section. Both get an empty global mask.
    const noMask = infoEnd === end;
    if (!noMask && infoEnd + 4 > end && infoEnd <= end && end - 4 >= infoAt) infoEnd = end - 4;
    if (!noMask && infoEnd + 4 > end) throw new BadFileError(DAMAGED);
    const info = infoLength > 0 ? await cleanLayerInfo(c, infoAt, infoEnd) : new Assembly();
    body.bytes(lengthBytes(info.length, big)).add(info);
    const maskEnd = noMask ? end : infoEnd + 4 + (await readLength(src, infoEnd, false));
    if (maskEnd > end) throw new BadFileError(DAMAGED);
    if (noMask) body.bytes(Buffer.alloc(4));
    else body.copy(infoEnd, maskEnd);
    body.add(await cleanBlocks(c, maskEnd, end));
  }
  return { section: new Assembly().bytes(lengthBytes(body.length, big)).add(body), end };
}

/**
 * The layer info [from, to): a layer count, the layer records, then every layer's channel image
 * data (copied as it is), as in the section or inside an `Lr16`/`Lr32`/`Layr` block.
 */
export async function cleanLayerInfo(c: LayerCleaning, from: number, to: number): Promise<Assembly> {
  const { src, big } = c;
  if (from + 2 > to) throw new BadFileError(DAMAGED);
  const layers = Math.abs((await src.read(from, 2)).readInt16BE(0));
  const out = new Assembly().copy(from, from + 2);
  let at = from + 2;
  let pixels = 0;
  for (let i = 0; i < layers; i++) {
    const record = await cleanLayerRecord(c, at, to);
    out.add(record.bytes);
    pixels += record.pixels;
    at = record.end;
  }
  if (at + pixels > to) throw new BadFileError(DAMAGED);
  return out.copy(at, to);
}

/** One layer record at `at`: the record rewritten, the length of its channels' image data, where it ends. */
async function cleanLayerRecord(c: LayerCleaning, at: number, to: number): Promise<{ bytes: Assembly; pixels: number; end: number }> {
  const { src, big } = c;
  const L = big ? 8 : 4;
  if (at + 18 > to) throw new BadFileError(DAMAGED);
  const channels = (await src.read(at + 16, 2)).readUInt16BE(0);
  const channelsAt = at + 18;
  const blendAt = channelsAt + channels * (2 + L);
  if (blendAt + 16 > to) throw new BadFileError(DAMAGED);
  let pixels = 0;
  for (let ch = 0; ch < channels; ch++) pixels += await readLength(src, channelsAt + ch * (2 + L) + 2, big);
  if ((await src.read(blendAt, 4)).toString("latin1") !== "8BIM") throw new BadFileError(DAMAGED);
  const extraAt = blendAt + 16;
  const extraEnd = extraAt + (await readLength(src, blendAt + 12, false));
  if (extraEnd > to) throw new BadFileError(DAMAGED);
  // Mask data and blending ranges, each behind its length, then the name: a Pascal string padded to four bytes.
  const rangesAt = extraAt + 4 + (await readLength(src, extraAt, false));
  const nameAt = rangesAt + 4 + (await readLength(src, rangesAt, false));
  if (nameAt + 1 > extraEnd) throw new BadFileError(DAMAGED);
  const nameLength = (await src.read(nameAt, 1))[0]! + 1;
  if (nameAt + nameLength > extraEnd) throw new BadFileError(DAMAGED);
  const blocksAt = Math.min(nameAt + nameLength + ((4 - (nameLength % 4)) % 4), extraEnd);
  const extra = new Assembly().copy(extraAt, blocksAt).add(await cleanBlocks(c, blocksAt, extraEnd));
  const bytes = new Assembly().copy(at, blendAt + 12).bytes(lengthBytes(extra.length, false)).add(extra);
  return { bytes, pixels, end: extraEnd };
}
