/**
 * DirectDraw Surface headers built by hand, for the textures ImageMagick does not write (DX10
 * headers, arrays, cube maps, volumes) and for hostile ones: "DDS ", the 124-byte header
 * (Microsoft's DDS_HEADER, offsets from the file's start), and a 20-byte DX10 header when
 * `dxgiFormat` is given. Fields not given are zero.
 */
export interface DdsHeader {
  width: number;
  height: number;
  flags?: number;
  depth?: number;
  mipCount?: number;
  /** A legacy FourCC ("DXT1"); ignored when `dxgiFormat` is given. */
  fourCc?: string;
  /** An uncompressed legacy format's bits per pixel and R, G, B, A masks. */
  masks?: { bits: number; r: number; g: number; b: number; a: number };
  caps?: number;
  caps2?: number;
  dxgiFormat?: number;
  dimension?: number;
  miscFlag?: number;
  arraySize?: number;
}

/** DDSD_CAPS, HEIGHT, WIDTH, PIXELFORMAT: what every header says. */
export const DDSD_TEXTURE = 0x1007;
export const DDSD_MIPMAPCOUNT = 0x20000;
export const DDSD_DEPTH = 0x800000;
export const DDSCAPS_TEXTURE = 0x1000;
export const DDSCAPS_COMPLEX_MIPMAP = 0x400008;
export const DDSCAPS2_CUBEMAP_ALLFACES = 0xfe00;
export const DDSCAPS2_VOLUME = 0x200000;
export const DXGI_R8G8B8A8_UNORM = 28;
export const DXGI_BC1_UNORM = 71;
export const DXGI_BC3_TYPELESS = 76;
export const DXGI_BC7_UNORM = 98;
export const DIMENSION_2D = 3;
export const DIMENSION_3D = 4;
export const MISC_TEXTURECUBE = 0x4;

export function ddsHeader(h: DdsHeader): Buffer {
  const dx10 = h.dxgiFormat != null;
  const b = Buffer.alloc(dx10 ? 148 : 128);
  b.write("DDS ", 0, "latin1");
  b.writeUInt32LE(124, 4);
  b.writeUInt32LE(h.flags ?? DDSD_TEXTURE, 8);
  b.writeUInt32LE(h.height, 12);
  b.writeUInt32LE(h.width, 16);
  b.writeUInt32LE(h.depth ?? 0, 24);
  b.writeUInt32LE(h.mipCount ?? 0, 28);
  b.writeUInt32LE(32, 76);
  if (dx10 || h.fourCc != null) {
    b.writeUInt32LE(0x4, 80);
    b.write(dx10 ? "DX10" : h.fourCc!, 84, "latin1");
  } else if (h.masks != null) {
    b.writeUInt32LE(h.masks.a !== 0 ? 0x41 : 0x40, 80);
    [h.masks.bits, h.masks.r, h.masks.g, h.masks.b, h.masks.a].forEach((v, i) => b.writeUInt32LE(v, 88 + 4 * i));
  }
  b.writeUInt32LE(h.caps ?? DDSCAPS_TEXTURE, 108);
  b.writeUInt32LE(h.caps2 ?? 0, 112);
  if (dx10) {
    b.writeUInt32LE(h.dxgiFormat!, 128);
    b.writeUInt32LE(h.dimension ?? DIMENSION_2D, 132);
    b.writeUInt32LE(h.miscFlag ?? 0, 136);
    b.writeUInt32LE(h.arraySize ?? 1, 140);
  }
  return b;
}

/** `length` bytes of a pattern no two textures share, standing for pixel data. */
export function patternBytes(length: number, seed: number): Buffer {
  const b = Buffer.alloc(length);
  for (let i = 0; i < length; i++) b[i] = (i * 31 + seed * 17 + (i >> 8)) & 0xff;
  return b;
}
