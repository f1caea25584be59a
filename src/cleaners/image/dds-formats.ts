/**
 * How the pixels of a DirectDraw Surface are laid out in bytes, by pixel format: in 4x4 blocks of
 * a fixed size (the BCn/DXTn compressions), in pairs of pixels sharing bytes (the packed YUV and
 * RGBG formats), or as plain pixels of so many bits. Formats not listed (palettes, planar video,
 * writers' private codes) cannot be sized, and a file of one is refused rather than guessed at.
 */
export type PixelLayout =
  | { readonly kind: "blocks"; readonly bytes: number }
  | { readonly kind: "pairs"; readonly bytes: number }
  | { readonly kind: "bits"; readonly bits: number };

const blocks = (bytes: number): PixelLayout => ({ kind: "blocks", bytes });
const pairs = (bytes: number): PixelLayout => ({ kind: "pairs", bytes });
const bits = (n: number): PixelLayout => ({ kind: "bits", bits: n });

/** DXGI_FORMAT values (dxgiformat.h) in runs of formats of the same layout: [first, last, layout]. */
const DXGI_RUNS: readonly (readonly [number, number, PixelLayout])[] = [
  [1, 4, bits(128)],
  [5, 8, bits(96)],
  [9, 22, bits(64)],
  [23, 47, bits(32)],
  [48, 59, bits(16)],
  [60, 65, bits(8)],
  [66, 66, bits(1)],
  [67, 67, bits(32)],
  [68, 69, pairs(4)],
  [70, 72, blocks(8)],
  [73, 78, blocks(16)],
  [79, 81, blocks(8)],
  [82, 84, blocks(16)],
  [85, 86, bits(16)],
  [87, 93, bits(32)],
  [94, 99, blocks(16)],
  [100, 101, bits(32)],
  [102, 102, bits(64)],
  [107, 107, pairs(4)],
  [108, 109, pairs(8)],
  [111, 113, bits(8)],
  [114, 115, bits(16)],
];

/** A DX10 header's DXGI format's layout, or null for one that cannot be sized (planar video, unknown). */
export function dxgiLayout(format: number): PixelLayout | null {
  return DXGI_RUNS.find(([first, last]) => format >= first && format <= last)?.[2] ?? null;
}

/**
 * Legacy headers' FourCC codes: the DXTn/BCn compressions by name, the packed formats, and the
 * Direct3D 9 format numbers some writers put in the field instead (D3DFMT_A16B16G16R16 = 36 and
 * the floating-point ones from 110).
 */
const FOURCC: Readonly<Record<string, PixelLayout>> = {
  DXT1: blocks(8), DXT2: blocks(16), DXT3: blocks(16), DXT4: blocks(16), DXT5: blocks(16),
  ATI1: blocks(8), BC4U: blocks(8), BC4S: blocks(8), ATI2: blocks(16), BC5U: blocks(16), BC5S: blocks(16),
  RGBG: pairs(4), GRGB: pairs(4), UYVY: pairs(4), YUY2: pairs(4),
};
const D3D_FORMATS: Readonly<Record<number, PixelLayout>> = {
  36: bits(64), 110: bits(64), 111: bits(16), 112: bits(32), 113: bits(64), 114: bits(32), 115: bits(64), 116: bits(128), 117: bits(16),
};

/** A legacy header's FourCC format's layout (the field as read, little-endian), or null. */
export function fourCcLayout(code: number): PixelLayout | null {
  const name = Buffer.from([code & 0xff, (code >>> 8) & 0xff, (code >>> 16) & 0xff, code >>> 24]).toString("latin1");
  return FOURCC[name] ?? D3D_FORMATS[code] ?? null;
}

/** An uncompressed legacy format's layout: whole bytes per pixel, up to 32 bits as its masks allow. */
export function maskedLayout(bitCount: number): PixelLayout | null {
  return [8, 16, 24, 32].includes(bitCount) ? bits(bitCount) : null;
}

/** The bytes of one `width` x `height` picture (a level, a face, a slice) in `layout`. */
export function pictureBytes(layout: PixelLayout, width: number, height: number): number {
  switch (layout.kind) {
    case "blocks":
      return Math.ceil(width / 4) * Math.ceil(height / 4) * layout.bytes;
    case "pairs":
      return Math.ceil(width / 2) * layout.bytes * height;
    case "bits":
      return Math.ceil((width * layout.bits) / 8) * height;
  }
}

/** What a header's pitch-or-linear-size field should say for the top level: its row's bytes, or a compressed level's total. */
export function pitchOrLinearSize(layout: PixelLayout, width: number, height: number): number {
  return layout.kind === "blocks" ? pictureBytes(layout, width, height) : pictureBytes(layout, width, 1);
}
