import { TooComplexError } from "../errors.js";
import type { FileBytes } from "../file-bytes.js";
import type { CleanContext } from "../types.js";
import { Assembly } from "./psd-assembly.js";
import { withoutLayerTimes } from "./psd-layer-metadata.js";
import { cleanLayerInfo } from "./psd-layers.js";
import { cleanLinkedFiles, externalLinkCount } from "./psd-linked-files.js";
import { cleanPlacedLayer, PLACED_LAYER_BLOCKS, type RewriteCount } from "./psd-placed-layers.js";
import { lengthBytes, readLength } from "./psd-structure.js";
import { type BlockCount, readTaggedBlocks, type TaggedBlock, taggedBlock } from "./psd-tagged-blocks.js";

/** What the cleaning of the layer and mask section works with and counts. */
export interface LayerCleaning {
  src: FileBytes;
  big: boolean;
  /** Little-endian layers (a TIFF's, psd-document-data.ts): see readLength. */
  le: boolean;
  ctx: CleanContext;
  count: BlockCount;
  /** Placed layers' values rewritten so far. */
  rewrites: RewriteCount;
  /** Hidden content removed (`annotations`, `attachments`, `externalLinks`), for `removed`. */
  hidden: Record<string, number>;
}

/**
 * Additional layer information copied as it is (Photoshop File Formats Specification,
 * "Additional Layer Information"): what draws the layer or the document. Adjustment and fill
 * layers; effects; type (its text is content); the layer's Unicode name, id, section (group),
 * colour label, protection, blending options, version, vector mask, stroke and origination;
 * patterns; filter masks and filter effects (smart filters: pixels); 16- and 32-bit merged
 * transparency, alpha and user mask; paths' names; artboards; pixel sources (video and 3D);
 * frames; animation effects. Placed layers' settings are rewritten (psd-placed-layers.ts). Every other
 * block goes, the ones this list does not know among them: the compositor information (`cinf`,
 * which names the Photoshop version and the machine's graphics support), content credentials
 * (`CAI `), generative fill's information (`GenI`), export settings (`extd`, `extn`: where the
 * layers were exported to), for instance.
 */
const KEPT_BLOCKS: ReadonlySet<string> = new Set([
  "SoCo", "GdFl", "PtFl", "brit", "levl", "curv", "expA", "vibA", "hue ", "hue2", "blnc", "blwh", "phfl", "mixr", "clrL", "nvrt", "post",
  "thrs", "grdm", "selc", "CgEd",
  "lrFX", "lfx2", "lmfx", "lfxs", "iOpa", "anFX", "ffxi",
  "tySh", "TySh", "Txt2",
  "luni", "lyid", "lsct", "lsdk", "lnsr", "lclr", "lspf", "fxrp", "lyvr", "clbl", "infx", "knko", "tsly", "lmgm", "vmgm", "brst", "sn2P",
  "vmsk", "vsms", "vscg", "vogk", "vowv", "vstk",
  "Patt", "Pat2", "Pat3", "patt", "shpa",
  "FMsk", "FXid", "FEid", "FELS", "Mt16", "Mt32", "Mtrn", "Alph", "LMsk", "pths",
  "artb", "artd", "abdd", "frgb",
  "PxSc", "PxSD",
]);
/** Blocks that hold layer info of their own (16- and 32-bit documents keep their layers there). */
export const LAYER_INFO_BLOCKS: ReadonlySet<string> = new Set(["Lr16", "Lr32", "Layr"]);
/** Blocks of files embedded whole in the document (smart objects' contents). */
export const LINKED_FILE_BLOCKS: ReadonlySet<string> = new Set(["lnk2", "lnk3", "lnkD"]);

/**
 * The tagged blocks of [from, to), each kept, cleaned or dropped. Layer info blocks are read only
 * among the global ones (`global`), where Photoshop writes them: in a layer record they go.
 */
export async function cleanBlocks(c: LayerCleaning, from: number, to: number, global: boolean): Promise<Assembly> {
  const out = new Assembly();
  for (const block of await readTaggedBlocks(c.src, from, to, c.big, c.count, c.le)) {
    const cleaned = await cleanBlock(c, block, global);
    if (cleaned != null) out.add(cleaned);
  }
  return out;
}

async function cleanBlock(c: LayerCleaning, block: TaggedBlock, global: boolean): Promise<Assembly | null> {
  const { key } = block;
  // Notes are review content, as a PDF's annotations: they stay when the client asks to keep comments.
  if (KEPT_BLOCKS.has(key) || (key === "Anno" && c.ctx.keep.has("comments"))) return new Assembly().copy(block.at, block.end);
  const head = Buffer.from((await c.src.read(block.at, 8)).subarray(0, 8));
  // Smart objects' blocks are read field by field, in the byte order of a PSD only.
  if (block.le && (LINKED_FILE_BLOCKS.has(key) || PLACED_LAYER_BLOCKS.has(key) || key === "lnkE")) {
    throw new TooComplexError(`psd: a smart object's ${key} block in little-endian byte order`);
  }
  if (global && LAYER_INFO_BLOCKS.has(key)) {
    const info = await cleanLayerInfo(c, block.dataAt, block.dataAt + block.size);
    return wrapped(block, head, info);
  }
  if (LINKED_FILE_BLOCKS.has(key)) return wrapped(block, head, await cleanLinkedFiles(c, block));
  if (key === "shmd") {
    const data = await withoutLayerTimes(c.src, block);
    return data == null ? null : new Assembly().bytes(...taggedBlock(block, head, [data]));
  }
  if (PLACED_LAYER_BLOCKS.has(key)) {
    const data = await cleanPlacedLayer(c.src, block, c.rewrites);
    return data == null ? null : wrapped(block, head, data);
  }
  if (key === "lnkE") add(c.hidden, "externalLinks", await externalLinkCount(c.src, block));
  else if (key === "Anno") add(c.hidden, "annotations", await annotationCount(c.src, block));
  return null;
}

/** A block of rewritten data behind its original head, with a new length, padded to four bytes. */
function wrapped(block: TaggedBlock, head: Buffer, data: Assembly): Assembly {
  const pad = (4 - (data.length % 4)) % 4;
  return new Assembly().bytes(head, lengthBytes(data.length + pad, block.wide, block.le)).add(data).bytes(Buffer.alloc(pad));
}

/** Annotations (`Anno`: a version, then their count). */
async function annotationCount(src: FileBytes, block: TaggedBlock): Promise<number> {
  return block.size >= 8 ? readLength(src, block.dataAt + 4, false, block.le) : 0;
}

function add(counts: Record<string, number>, key: string, n: number): void {
  if (n > 0) counts[key] = (counts[key] ?? 0) + n;
}
