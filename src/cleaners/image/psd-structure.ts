import { BadFileError } from "../errors.js";
import type { FileBytes } from "../file-bytes.js";

/** The file header: signature, version, reserved, channels, height, width, depth, colour mode. */
export const HEADER = 26;
export const DAMAGED = "The Photoshop document is damaged: its structure could not be read.";

/**
 * Image resource blocks walked at most. Photoshop writes a few dozen and at most 999 paths; a
 * file of millions of empty blocks costs ExifTool a minute to read, so it is refused before.
 */
export const MAX_RESOURCES = 10_000;
/**
 * Tagged blocks (additional layer information) walked at most, in all layers together: a layer
 * holds a dozen or two, and Photoshop allows 8,000 layers. ExifTool spends ~5 µs of CPU on each.
 */
export const MAX_TAGGED_BLOCKS = 200_000;
/**
 * Layer records walked at most, in the section's layer info and its `Lr16`/`Lr32`/`Layr` blocks
 * together: Photoshop allows 8,000 layers. 60 MB of blockless 40-byte records (1.3 million) cost
 * ExifTool and the cleaner 22 s and filled a worker's heap.
 */
export const MAX_LAYER_RECORDS = 50_000;

/** What the header says about the file's layout. */
export interface PsdLayout {
  /** PSB (version 2): section and channel lengths are 64-bit. */
  big: boolean;
  header: Buffer;
}

/** The header, checked: "8BPS" and version 1 (PSD) or 2 (PSB). */
export async function readLayout(src: FileBytes): Promise<PsdLayout> {
  const head = Buffer.from(await src.read(0, HEADER));
  if (head.length < HEADER || head.toString("latin1", 0, 4) !== "8BPS") throw new BadFileError(DAMAGED);
  const version = head.readUInt16BE(4);
  if (version !== 1 && version !== 2) throw new BadFileError(DAMAGED);
  return { big: version === 2, header: head };
}

/**
 * A section length: 32-bit, or 64-bit where PSB widened it (`wide`). Big-endian, as a PSD holds
 * it; little-endian (`le`) in the layers of a TIFF saved in that byte order (psd-document-data.ts).
 */
export async function readLength(src: FileBytes, at: number, wide: boolean, le = false): Promise<number> {
  const size = wide ? 8 : 4;
  const b = await src.read(at, size);
  if (b.length < size) throw new BadFileError(DAMAGED);
  const n = wide ? Number(le ? b.readBigUInt64LE(0) : b.readBigUInt64BE(0)) : le ? b.readUInt32LE(0) : b.readUInt32BE(0);
  if (!Number.isSafeInteger(n)) throw new BadFileError(DAMAGED);
  return n;
}

export function lengthBytes(n: number, wide: boolean, le = false): Buffer {
  const b = Buffer.alloc(wide ? 8 : 4);
  if (wide && le) b.writeBigUInt64LE(BigInt(n));
  else if (wide) b.writeBigUInt64BE(BigInt(n));
  else if (le) b.writeUInt32LE(n);
  else b.writeUInt32BE(n);
  return b;
}

/** A four-letter code ("8BIM", a block's key) at `at` of `b`: little-endian layers hold it as a number, its letters turned around. */
export function fourLetters(b: Buffer, at: number, le = false): string {
  const s = b.toString("latin1", at, at + 4);
  return le ? [...s].reverse().join("") : s;
}

/** The sections after the header: colour mode data, image resources, layers and masks. */
export interface PsdSections {
  /** Where the image resources' length field is. */
  resourcesAt: number;
  /** Their data: [from, to). */
  resources: [number, number];
  /** Where the layer and mask section's length field is. */
  layersAt: number;
}

export async function readSections(src: FileBytes): Promise<PsdSections> {
  const colourLength = await readLength(src, HEADER, false);
  const resourcesAt = HEADER + 4 + colourLength;
  const resourcesLength = await readLength(src, resourcesAt, false);
  const layersAt = resourcesAt + 4 + resourcesLength;
  if (layersAt > src.size) throw new BadFileError(DAMAGED);
  return { resourcesAt, resources: [resourcesAt + 4, layersAt], layersAt };
}
