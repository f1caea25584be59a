/**
 * Truevision Targa (TGA) layout, after the TGA 2.0 specification (Truevision, 1989): an 18-byte
 * header, the image ID (free text, up to 255 bytes), the colour map, the pixels (raw, or run-length
 * packets), then in a version 2 file a developer area and an extension area found by the
 * 26-byte footer that ends the file. TGA has no magic number: a file is taken for one by its
 * header's fields, all of which must hold values the format defines.
 */
export const TGA_HEADER = 18;
export const TGA_FOOTER = 26;
export const TGA_SIGNATURE = "TRUEVISION-XFILE.\0";
/** Image types: colour-mapped, true-colour, grey; 8 more for their run-length versions. */
const MAPPED = 1;
const TRUE_COLOUR = 2;
const GREY = 3;
const RLE = 8;
const DEPTHS: Readonly<Record<number, readonly number[]>> = { [MAPPED]: [8, 16], [TRUE_COLOUR]: [15, 16, 24, 32], [GREY]: [8, 16] };
const MAP_ENTRY_BITS = [15, 16, 24, 32];
/** The descriptor's two top bits: version 1's scan-line interleaving (none, two-way, four-way); both set is undefined. */
const INTERLEAVE = 0xc0;

export interface TgaHeader {
  idLength: number;
  hasMap: boolean;
  colourMapped: boolean;
  rle: boolean;
  mapLength: number;
  mapEntryBits: number;
  width: number;
  height: number;
  /** Bits per pixel. */
  depth: number;
  /** The descriptor's count of attribute (alpha) bits in each pixel. */
  alphaBits: number;
}

/**
 * The header at the start of `head`, or null when it is not a Targa header. `loose` (a file that
 * ends with the version 2 footer) accepts what some writers leave in the colour map fields of a
 * picture without one.
 */
export function readTgaHeader(head: Buffer, loose: boolean): TgaHeader | null {
  if (head.length < TGA_HEADER) return null;
  const mapType = head[1]!;
  const imageType = head[2]!;
  const kind = imageType & ~RLE;
  const depths = DEPTHS[kind];
  if (mapType > 1 || depths == null || (imageType & ~(RLE | 3)) !== 0) return null;
  const mapLength = head.readUInt16LE(5);
  const mapEntryBits = head[7]!;
  const width = head.readUInt16LE(12);
  const height = head.readUInt16LE(14);
  const depth = head[16]!;
  const descriptor = head[17]!;
  const hasMap = mapType === 1;
  if (kind === MAPPED && !hasMap) return null;
  if (hasMap && (mapLength === 0 || !MAP_ENTRY_BITS.includes(mapEntryBits))) return null;
  if (!hasMap && !loose && (head.readUInt16LE(3) !== 0 || mapLength !== 0 || mapEntryBits !== 0)) return null;
  if (!depths.includes(depth) || width === 0 || height === 0 || (descriptor & 0x0f) > depth) return null;
  if ((descriptor & INTERLEAVE) === INTERLEAVE) return null;
  return { idLength: head[0]!, hasMap, colourMapped: kind === MAPPED, rle: (imageType & RLE) !== 0, mapLength, mapEntryBits, width, height, depth, alphaBits: descriptor & 0x0f };
}

/** The version 2 footer's extension and developer area offsets, or null when `tail` (the file's last 26 bytes) is none. */
export function readTgaFooter(tail: Buffer): { extension: number; developer: number } | null {
  if (tail.length !== TGA_FOOTER || tail.toString("latin1", 8) !== TGA_SIGNATURE) return null;
  return { extension: tail.readUInt32LE(0), developer: tail.readUInt32LE(4) };
}

/** Where the colour map starts, and its size in bytes. */
export function colourMap(h: TgaHeader): { at: number; size: number } {
  return { at: TGA_HEADER + h.idLength, size: h.hasMap ? h.mapLength * Math.ceil(h.mapEntryBits / 8) : 0 };
}

export function bytesPerPixel(h: TgaHeader): number {
  return Math.ceil(h.depth / 8);
}
