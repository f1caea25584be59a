import { BadFileError } from "../errors.js";
import type { FileBytes } from "../file-bytes.js";
import { Assembly } from "./psd-assembly.js";
import { cleanBlocks, type LayerCleaning } from "./psd-block-policy.js";

/** TIFF tag 37724, ImageSourceData: a layered TIFF's Photoshop layers. */
export const IMAGE_SOURCE_DATA = 37724;
/**
 * The value of tag 37724 (Adobe Photoshop TIFF Technical Notes, 2002): a signature, then the
 * tagged blocks a PSD's layer and mask section ends with (`Layr`/`Lr16`/`Lr32` layer info with the
 * layers' pixels, `LMsk`, `Patt`...). "V0002" marks the PSB variant, whose layer info lengths are
 * 64-bit (as ExifTool reads it, Photoshop.pm ProcessDocumentData).
 */
const SIGNATURES: ReadonlyMap<string, boolean> = new Map([
  ["Adobe Photoshop Document Data Block\0", false],
  ["Adobe Photoshop Document Data V0002\0", true],
]);
const SIGNATURE_LENGTH = 36;
/** A first block's signature written in little-endian order ("8BIM", "8B64" turned around). */
const LITTLE_ENDIAN_SIGNATURES: ReadonlySet<string> = new Set(["MIB8", "46B8"]);

/** Where the blocks of tag 37724's value [from, to) lie, whether they are PSB's (`big`) and little-endian (`le`). */
export async function documentData(src: FileBytes, from: number, to: number): Promise<{ big: boolean; le: boolean; blocksAt: number }> {
  if (to - from < SIGNATURE_LENGTH) throw new BadFileError(DAMAGED);
  const head = await src.read(from, Math.min(SIGNATURE_LENGTH + 4, to - from));
  const big = SIGNATURES.get(head.toString("latin1", 0, SIGNATURE_LENGTH));
  if (big == null) throw new BadFileError(DAMAGED);
  // Photoshop writes the blocks in the TIFF's byte order (Pillow's tiff_adobe_deflate.tif, from
  // Photoshop CS for Windows, is little-endian throughout): numbers, and four-letter codes
  // turned around ("MIB8ryaL").
  const le = LITTLE_ENDIAN_SIGNATURES.has(head.toString("latin1", SIGNATURE_LENGTH, SIGNATURE_LENGTH + 4));
  return { big, le, blocksAt: from + SIGNATURE_LENGTH };
}

/**
 * Tag 37724's value [from, to) of `c.src`, cleaned: the signature copied, the blocks cleaned as a
 * PSD's global ones (psd-block-policy.ts: layer records keep what draws them, the layers' pixels
 * are copied byte for byte, smart objects' files are cleaned, the rest goes).
 */
export async function cleanDocumentData(c: Omit<LayerCleaning, "big" | "le">, from: number, to: number): Promise<Assembly> {
  const { big, le, blocksAt } = await documentData(c.src, from, to);
  return new Assembly().copy(from, blocksAt).add(await cleanBlocks({ ...c, big, le }, blocksAt, to, true));
}

const DAMAGED = "The TIFF file is damaged: its Photoshop layers could not be read.";
