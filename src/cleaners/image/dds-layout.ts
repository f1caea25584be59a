import { BadFileError } from "../errors.js";
import { type PixelLayout, dxgiLayout, fourCcLayout, maskedLayout, pictureBytes, pitchOrLinearSize } from "./dds-formats.js";

/**
 * DirectDraw Surface layout ("Programming Guide for DDS", Microsoft Learn; DirectXTex's DDS.h and
 * its reader): "DDS ", a 124-byte header, a 20-byte DX10 header when the pixel format's FourCC is
 * "DX10", then the pixels: for each face of a cube map or slice of an array, every mip level, a
 * volume's level holding its depth's slices. Offsets below count from the file's first byte.
 */
export const DDS_HEADER = 128;
export const DX10_HEADER = 20;
const MAGIC = "DDS ";
const HEADER_SIZE = 124;
const PIXEL_FORMAT_SIZE = 32;

const FLAGS = 8;
const HEIGHT = 12;
const WIDTH = 16;
const PITCH = 20;
const DEPTH = 24;
const MIP_COUNT = 28;
/** dwReserved1: eleven DWORDs no reader uses, where writers sign ("NVTT" and its version, "GIMP-DDS", "IMAGEMAGICK"). */
export const RESERVED1 = [32, 76] as const;
const PF_FLAGS = 80;
const FOURCC = 84;
const BIT_COUNT = 88;
/** The bit count and the four channel masks. */
const MASKS_END = 108;
const CAPS = 108;
const CAPS2 = 112;
/** dwCaps3, dwCaps4 and dwReserved2: unused. */
export const UNUSED_CAPS = [116, 128] as const;
const DXGI_FORMAT = 128;
const DIMENSION = 132;
const MISC_FLAG = 136;
const ARRAY_SIZE = 140;
const MISC_FLAGS2 = 144;

/** Header flags: caps, height, width, pitch, pixel format, mip count, linear size, depth. */
const KNOWN_FLAGS = 0x1 | 0x2 | 0x4 | 0x8 | 0x1000 | 0x20000 | 0x80000 | 0x800000;
const DDSD_DEPTH = 0x800000;
/** Pixel format flags: alpha pixels, alpha only, FourCC, RGB, YUV, luminance, bump (du, dv). */
const KNOWN_PF_FLAGS = 0x1 | 0x2 | 0x4 | 0x40 | 0x200 | 0x20000 | 0x80000;
const DDPF_FOURCC = 0x4;
/** Alpha only, RGB, YUV, luminance, bump: the formats read through the bit count and masks. */
const MASKED = 0x2 | 0x40 | 0x200 | 0x20000 | 0x80000;
/** A 256-colour palette follows the header; no reader this cleaner checks against sizes it, so it is refused. */
const DDPF_PALETTEINDEXED8 = 0x20;
/** Caps: complex, texture, mipmap. */
const KNOWN_CAPS = 0x8 | 0x1000 | 0x400000;
/** Caps2: cube map, its six faces, volume. */
const KNOWN_CAPS2 = 0x200 | 0xfc00 | 0x200000;
const CUBEMAP = 0x200;
const CUBE_FACES = [0x400, 0x800, 0x1000, 0x2000, 0x4000, 0x8000];
const VOLUME = 0x200000;
const DX10 = 0x30315844;
const DIMENSION_1D = 2;
const DIMENSION_2D = 3;
const DIMENSION_3D = 4;
/** The DX10 header's misc flag for a cube map; its second misc field holds only the alpha mode (3 bits). */
const TEXTURECUBE = 0x4;
const ALPHA_MODE = 0x7;

export interface DdsLayout {
  /** Where the pixels start: after the header, and the DX10 header when there is one. */
  readonly dataAt: number;
  /** The pixels' exact length: every face or slice, every mip level. */
  readonly dataSize: number;
}

/** Whether a file's first 8 bytes are a DirectDraw Surface's: the magic, then the header's size. */
export function isDdsHead(head: Buffer): boolean {
  return head.length >= 8 && head.toString("latin1", 0, 4) === MAGIC && head.readUInt32LE(4) === HEADER_SIZE;
}

/**
 * The layout `head` (the file's first DDS_HEADER + DX10_HEADER bytes, or all of a shorter file)
 * declares, checked against the file's `size`. Throws BadFileError for a header the cleaner
 * cannot size, or pixels the file does not hold: nothing is guessed.
 */
export function readDdsLayout(head: Buffer, size: number): DdsLayout {
  if (head.length < DDS_HEADER || !isDdsHead(head) || head.readUInt32LE(76) !== PIXEL_FORMAT_SIZE) throw damaged("it does not start like a DDS texture");
  const dx10 = (head.readUInt32LE(PF_FLAGS) & DDPF_FOURCC) !== 0 && head.readUInt32LE(FOURCC) === DX10;
  if (dx10 && head.length < DDS_HEADER + DX10_HEADER) throw damaged("its DX10 header is cut short");
  const width = head.readUInt32LE(WIDTH);
  const height = head.readUInt32LE(HEIGHT);
  if (width === 0 || height === 0) throw damaged("its width or height is zero");
  const layout = pixelLayout(head, dx10);
  const { pictures, depth } = dx10 ? dx10Shape(head) : legacyShape(head);
  const levels = Math.max(1, head.readUInt32LE(MIP_COUNT));
  // A chain ends at a 1x1x1 level: a longer count is no texture's (a count of 1000 is refused here, unread).
  if (levels > Math.floor(Math.log2(Math.max(width, height, depth))) + 1) throw damaged("it declares more mip levels than its size allows");
  const dataAt = dx10 ? DDS_HEADER + DX10_HEADER : DDS_HEADER;
  let chain = 0;
  for (let level = 0; level < levels; level++) {
    const shrink = (n: number): number => Math.max(1, Math.floor(n / 2 ** level));
    chain += pictureBytes(layout, shrink(width), shrink(height)) * shrink(depth);
    // Declared sizes far past the file (gigabytes in a 4 KB file) end the sum early; doubles stay exact below 2^53.
    if (chain * pictures > size) throw damaged("its pixel data is cut short");
  }
  const dataSize = chain * pictures;
  if (dataAt + dataSize > size) throw damaged("its pixel data is cut short");
  return { dataAt, dataSize };
}

/**
 * A copy of `head` (its first `layout.dataAt` bytes) that says nothing but how to read the
 * pixels: dwReserved1, dwCaps3, dwCaps4 and dwReserved2 zeroed, flag bits no reader defines
 * cleared, fields the format does not use zeroed (a volume's depth in another texture, the FourCC
 * of an uncompressed format, an uncompressed format's masks in a compressed one, DX10 misc bits
 * past the cube flag and alpha mode), and a pitch or linear size other than none set to its
 * exact value, so that no field is left to carry a writer's bytes.
 */
export function cleanDdsHeader(head: Buffer, layout: DdsLayout): Buffer {
  const out = Buffer.from(head.subarray(0, layout.dataAt));
  const dx10 = layout.dataAt > DDS_HEADER;
  out.fill(0, ...RESERVED1);
  out.fill(0, ...UNUSED_CAPS);
  out.writeUInt32LE(out.readUInt32LE(FLAGS) & KNOWN_FLAGS, FLAGS);
  out.writeUInt32LE(out.readUInt32LE(PF_FLAGS) & KNOWN_PF_FLAGS, PF_FLAGS);
  out.writeUInt32LE(out.readUInt32LE(CAPS) & KNOWN_CAPS, CAPS);
  out.writeUInt32LE(out.readUInt32LE(CAPS2) & KNOWN_CAPS2, CAPS2);
  const pfFlags = out.readUInt32LE(PF_FLAGS);
  if ((pfFlags & DDPF_FOURCC) === 0) out.writeUInt32LE(0, FOURCC);
  else if ((pfFlags & MASKED) === 0) out.fill(0, BIT_COUNT, MASKS_END);
  if (!(dx10 ? head.readUInt32LE(DIMENSION) === DIMENSION_3D : isLegacyVolume(head))) out.writeUInt32LE(0, DEPTH);
  if (out.readUInt32LE(PITCH) !== 0) {
    out.writeUInt32LE(pitchOrLinearSize(pixelLayout(head, dx10), head.readUInt32LE(WIDTH), head.readUInt32LE(HEIGHT)), PITCH);
  }
  if (dx10) {
    out.writeUInt32LE(out.readUInt32LE(MISC_FLAG) & TEXTURECUBE, MISC_FLAG);
    out.writeUInt32LE(out.readUInt32LE(MISC_FLAGS2) & ALPHA_MODE, MISC_FLAGS2);
  }
  return out;
}

function pixelLayout(head: Buffer, dx10: boolean): PixelLayout {
  const flags = head.readUInt32LE(PF_FLAGS);
  const layout = dx10
    ? dxgiLayout(head.readUInt32LE(DXGI_FORMAT))
    : (flags & DDPF_FOURCC) !== 0
      ? fourCcLayout(head.readUInt32LE(FOURCC))
      : (flags & DDPF_PALETTEINDEXED8) !== 0
        ? null
        : maskedLayout(head.readUInt32LE(BIT_COUNT));
  if (layout == null) throw damaged("its pixel format is not one whose size the cleaner knows");
  return layout;
}

/** How many pictures of a full mip chain the file holds (faces times array slices), and a volume's depth. */
interface Shape {
  pictures: number;
  depth: number;
}

/**
 * A legacy header's shape. A volume is named by the depth flag (DirectXTex's test) or the volume
 * cap (ImageMagick's): either reader would read its slices, so either counts. A cube map holds the
 * faces its caps list.
 */
function legacyShape(head: Buffer): Shape {
  const caps2 = head.readUInt32LE(CAPS2);
  const volume = isLegacyVolume(head);
  if ((caps2 & CUBEMAP) !== 0) {
    const faces = CUBE_FACES.filter((f) => (caps2 & f) !== 0).length;
    if (volume || faces === 0) throw damaged("it is a cube map with no faces, or a volume as well");
    return { pictures: faces, depth: 1 };
  }
  return { pictures: 1, depth: volume ? Math.max(1, head.readUInt32LE(DEPTH)) : 1 };
}

function isLegacyVolume(head: Buffer): boolean {
  return (head.readUInt32LE(FLAGS) & DDSD_DEPTH) !== 0 || (head.readUInt32LE(CAPS2) & VOLUME) !== 0;
}

/** A DX10 header's shape: an array of 1D, 2D or cube (six faces each) textures, or one volume. */
function dx10Shape(head: Buffer): Shape {
  const dimension = head.readUInt32LE(DIMENSION);
  // Pillow (11.2 on) writes an array size of 0 for its one BC2, BC3 or BC5 texture, and its reader
  // reads one there: so does this, the pixel data's exact size checked as for any other.
  const arraySize = Math.max(1, head.readUInt32LE(ARRAY_SIZE));
  if (dimension === DIMENSION_3D) {
    if (arraySize !== 1) throw damaged("its DX10 header declares an array of volumes");
    return { pictures: 1, depth: Math.max(1, head.readUInt32LE(DEPTH)) };
  }
  if (dimension !== DIMENSION_1D && dimension !== DIMENSION_2D) throw damaged("its DX10 header declares no texture dimension");
  const cube = dimension === DIMENSION_2D && (head.readUInt32LE(MISC_FLAG) & TEXTURECUBE) !== 0;
  return { pictures: arraySize * (cube ? 6 : 1), depth: 1 };
}

function damaged(why: string): BadFileError {
  return new BadFileError(`The DDS texture cannot be cleaned: ${why}.`);
}
