import { TooComplexError } from "../errors.js";
import { FileBytes } from "../file-bytes.js";
import { LAYER_INFO_BLOCKS } from "./psd-block-policy.js";
import { documentData } from "./psd-document-data.js";
import { layerCount, readLayerRecord, readLayerSection } from "./psd-layer-structure.js";
import { resourceBlocks } from "./psd-resources.js";
import { MAX_LAYER_RECORDS, readLayout, readSections } from "./psd-structure.js";
import { type BlockCount, readTaggedBlocks } from "./psd-tagged-blocks.js";

/** Whether a file's first bytes are a Photoshop document's (PSD or PSB). */
export function isPsdHead(bytes: Buffer): boolean {
  return bytes.length >= 4 && bytes.toString("latin1", 0, 4) === "8BPS";
}

/**
 * Refuses (TooComplexError) a Photoshop document with more image resources or more blocks of
 * layer information than any Photoshop writes (psd-structure.ts: MAX_RESOURCES,
 * MAX_TAGGED_BLOCKS), walking only their heads up to that count: ExifTool reads every one, and
 * spends a minute on millions of empty resources, or half a minute of CPU on millions of layer
 * ids; and more layer records than MAX_LAYER_RECORDS. A damaged document is left to the cleaner,
 * which says so.
 */
export async function checkPsdShape(file: string): Promise<void> {
  const src = await FileBytes.open(file);
  try {
    const { big } = await readLayout(src);
    const { resources, layersAt } = await readSections(src);
    // The walks themselves refuse past their limits.
    for await (const block of resourceBlocks(src, resources[0], resources[1])) void block;
    const section = await readLayerSection(src, big, layersAt);
    const count: ShapeCount = { blocks: 0, records: 0 };
    await walkLayerInfo(src, big, section.infoAt, section.infoEnd, count);
    await walkGlobalBlocks(src, big, section.maskEnd, section.end, count);
  } catch (err) {
    if (err instanceof TooComplexError) throw err;
  } finally {
    await src.close();
  }
}

/**
 * The same limits for a layered TIFF's Photoshop layers (tag 37724's value [from, to), see
 * psd-document-data.ts), which ExifTool reads as it reads a PSD's. Damage is the cleaner's to judge.
 */
export async function checkDocumentDataShape(src: FileBytes, from: number, to: number): Promise<void> {
  try {
    const { big, le, blocksAt } = await documentData(src, from, to);
    await walkGlobalBlocks(src, big, blocksAt, to, { blocks: 0, records: 0 }, le);
  } catch (err) {
    if (err instanceof TooComplexError) throw err;
  }
}

/** Counts the global tagged blocks in [from, to), and the layer records and blocks of those that hold layer info. */
async function walkGlobalBlocks(src: FileBytes, big: boolean, from: number, to: number, count: ShapeCount, le = false): Promise<void> {
  for (const block of await readTaggedBlocks(src, from, to, big, count, le)) {
    if (LAYER_INFO_BLOCKS.has(block.key)) await walkLayerInfo(src, big, block.dataAt, block.dataAt + block.size, count, le);
  }
}

interface ShapeCount extends BlockCount {
  records: number;
}

/** Counts the layer records in layer info [from, to), and their tagged blocks. */
async function walkLayerInfo(src: FileBytes, big: boolean, from: number, to: number, count: ShapeCount, le = false): Promise<void> {
  if (to <= from) return;
  let at = from + 2;
  for (let i = await layerCount(src, from, to, le); i > 0; i--) {
    if (++count.records > MAX_LAYER_RECORDS) throw new TooComplexError(`psd: more than ${MAX_LAYER_RECORDS} layer records`);
    const record = await readLayerRecord(src, big, at, to, le);
    await readTaggedBlocks(src, record.blocksAt, record.end, big, count, le);
    at = record.end;
  }
}
