import { BadFileError, TooComplexError } from "../errors.js";
import type { FileBytes } from "../file-bytes.js";
import { DAMAGED, fourLetters } from "./psd-structure.js";
import type { TaggedBlock } from "./psd-tagged-blocks.js";

/**
 * Items of a layer's metadata setting (`shmd`) that stay: its states in animation frames and its
 * timeline, which play the document. The others go: `cust`, Photoshop's custom metadata, holds
 * `layerTime` (when the layer was last changed: ExifTool's LayerModifyDates) and can hold the
 * layer's XMP; any item this list does not know.
 */
const KEPT_ITEMS: ReadonlySet<string> = new Set(["mlst", "tmln"]);
/** A metadata setting is a few items of descriptors: a longer one is not read. */
const MAX_SETTING = 16 * 1024 * 1024;

/**
 * The layer's metadata setting without what this module does not keep (a count, then items:
 * signature, key, a flag and three bytes of padding, a length, the data padded to four bytes),
 * or null when nothing of it stays.
 */
export async function withoutLayerTimes(src: FileBytes, block: TaggedBlock): Promise<Buffer | null> {
  if (block.size > MAX_SETTING) throw new TooComplexError(`psd: a layer's metadata setting over ${MAX_SETTING} bytes`);
  const data = await src.read(block.dataAt, block.size);
  if (data.length < 4) throw new BadFileError(DAMAGED);
  const count = block.le ? data.readUInt32LE(0) : data.readUInt32BE(0);
  // Runs of kept items, [from, to) of `data`: items that follow each other are one run, not one
  // buffer each (five settings of a million empty timeline items were five million buffers, 620 MB).
  const kept: Array<[number, number]> = [];
  let items = 0;
  let at = 4;
  for (let i = 0; i < count; i++) {
    if (at + 16 > data.length) throw new BadFileError(DAMAGED);
    const size = block.le ? data.readUInt32LE(at + 12) : data.readUInt32BE(at + 12);
    const end = Math.min(at + 16 + size + ((4 - (size % 4)) % 4), data.length);
    if (at + 16 + size > data.length) throw new BadFileError(DAMAGED);
    if (KEPT_ITEMS.has(fourLetters(data, at + 4, block.le))) {
      items += 1;
      const last = kept[kept.length - 1];
      if (last != null && last[1] === at) last[1] = end;
      else kept.push([at, end]);
    }
    at = end;
  }
  if (items === 0) return null;
  const head = Buffer.alloc(4);
  if (block.le) head.writeUInt32LE(items);
  else head.writeUInt32BE(items);
  return Buffer.concat([head, ...kept.map(([from, to]) => data.subarray(from, to))]);
}
