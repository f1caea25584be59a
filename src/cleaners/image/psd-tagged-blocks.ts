import { BadFileError, TooComplexError } from "../errors.js";
import type { FileBytes } from "../file-bytes.js";
import { DAMAGED, fourLetters, lengthBytes, MAX_TAGGED_BLOCKS, readLength } from "./psd-structure.js";

/** Keys whose length is 64-bit in a PSB (as ExifTool reads them; Photoshop also marks others so by the signature "8B64"). */
const WIDE_KEYS: ReadonlySet<string> = new Set(["LMsk", "Lr16", "Lr32", "Layr", "Mt16", "Mt32", "Mtrn", "Alph", "FMsk", "lnk2", "FEid", "FXid", "PxSD"]);
const SIGNATURES: ReadonlySet<string> = new Set(["8BIM", "8B64"]);

/** One block of additional layer information: signature, key, length, data [dataAt, dataAt + size), padding up to `end`. */
export interface TaggedBlock {
  key: string;
  at: number;
  dataAt: number;
  size: number;
  end: number;
  /** Its length field is 64-bit. */
  wide: boolean;
  /** Its numbers are little-endian, its signature and key turned around (`key` reads as in a PSD). */
  le: boolean;
}

/** Tagged blocks walked so far in one file (MAX_TAGGED_BLOCKS at most). */
export interface BlockCount {
  blocks: number;
}

/**
 * The tagged blocks in [from, to). Their data is padded to four bytes in the files Photoshop
 * writes, to two in some others: the next block starts where its signature is. Fewer than a
 * block head's bytes at the end are padding. Little-endian (`le`): see readLength.
 */
export async function readTaggedBlocks(src: FileBytes, from: number, to: number, big: boolean, count: BlockCount, le = false): Promise<TaggedBlock[]> {
  const blocks: TaggedBlock[] = [];
  for (let at = from; at + 12 <= to; ) {
    const head = await src.read(at, 8);
    const signature = fourLetters(head, 0, le);
    if (!SIGNATURES.has(signature)) throw new BadFileError(DAMAGED);
    if (++count.blocks > MAX_TAGGED_BLOCKS) throw new TooComplexError(`psd: more than ${MAX_TAGGED_BLOCKS} blocks of layer information`);
    const key = fourLetters(head, 4, le);
    const wide = big && (signature === "8B64" || WIDE_KEYS.has(key));
    const size = await readLength(src, at + 8, wide, le);
    const dataAt = at + (wide ? 16 : 12);
    if (dataAt + size > to) throw new BadFileError(DAMAGED);
    const end = await nextBlockAt(src, dataAt, size, to, le);
    blocks.push({ key, at, dataAt, size, end, wide, le });
    at = end;
  }
  return blocks;
}

/** Where the block after data [dataAt, dataAt + size) starts: right after it, or after padding its size to two or four bytes. */
async function nextBlockAt(src: FileBytes, dataAt: number, size: number, to: number, le: boolean): Promise<number> {
  const padded = [dataAt + size, dataAt + size + (size % 2), dataAt + size + ((4 - (size % 4)) % 4)];
  for (const at of padded) {
    if (at + 12 > to) break;
    if (SIGNATURES.has(fourLetters(await src.read(at, 4), 0, le))) return at;
  }
  return Math.min(padded[2]!, to);
}

/** A block of the cleaning's own: `head` (the original's signature and key), the new data padded to four bytes. */
export function taggedBlock(original: TaggedBlock, head: Buffer, data: readonly Buffer[]): Buffer[] {
  const size = data.reduce((n, b) => n + b.length, 0);
  const pad = (4 - (size % 4)) % 4;
  return [head, lengthBytes(size + pad, original.wide, original.le), ...data, Buffer.alloc(pad)];
}
