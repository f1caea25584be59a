import type { Box } from "../media/iso-boxes.js";

/** A bit depth byte (ihdr's, bpcc's, pclr's columns'): the depth less one, the top bit for signed values; 255 in ihdr for "see bpcc". */
const depthOf = (b: number): number => (b & 0x7f) + 1;
const VARYING = 255;
const PALETTE_MAPPED = 1;

/** What the image header, bit depths, mapping and palette of a header superbox (`children` of `buf`) say of its components. */
export interface HeaderDepths {
  components: number | null;
  /** Each component's depth in bits, empty when unstated. */
  depths: number[];
  /** The depths of the palette's columns: the channels it makes. */
  paletteDepths: number[];
  /** The most bits of a component the mapping sends through the palette, null for none or unknown. */
  paletteIndexBits: number | null;
}

export function headerDepths(buf: Buffer, children: readonly Box[]): HeaderDepths {
  const payload = (type: string): Buffer | null => {
    const b = children.find((c) => c.type === type);
    return b == null ? null : buf.subarray(b.at + b.header, b.at + b.size);
  };
  const ihdr = payload("ihdr");
  const components = ihdr != null && ihdr.length >= 14 ? ihdr.readUInt16BE(8) : null;
  const bpcc = payload("bpcc");
  let depths: number[] = [];
  if (components != null && ihdr![10] !== VARYING) depths = Array<number>(components).fill(depthOf(ihdr![10]!));
  else if (components != null && bpcc != null && bpcc.length >= components) depths = [...bpcc.subarray(0, components)].map(depthOf);
  const pclr = payload("pclr");
  const paletteDepths = pclr != null && pclr.length >= 3 && pclr.length >= 3 + pclr[2]! ? [...pclr.subarray(3, 3 + pclr[2]!)].map(depthOf) : [];
  const cmap = payload("cmap");
  let paletteIndexBits: number | null = null;
  for (let at = 0; cmap != null && at + 4 <= cmap.length; at += 4) {
    if (cmap[at + 2] !== PALETTE_MAPPED) continue;
    const depth = depths[cmap.readUInt16BE(at)];
    // A mapped component of no known depth: every entry may be reached.
    if (depth == null) return { components, depths, paletteDepths, paletteIndexBits: null };
    paletteIndexBits = Math.max(paletteIndexBits ?? 0, depth);
  }
  return { components, depths, paletteDepths, paletteIndexBits };
}
