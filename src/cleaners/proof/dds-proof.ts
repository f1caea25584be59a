import { ProofReader } from "./reader.js";
import type { ProofFailure } from "./shared.js";

/** A texel block: so many pixels wide and high, stored in so many bytes. */
type Block = readonly [width: number, height: number, bytes: number];

const BC_SMALL: Block = [4, 4, 8];
const BC_LARGE: Block = [4, 4, 16];

/**
 * A DXGI format's block (dxgiformat.h, grouped as DirectXTex's BitsPerPixel groups them), or
 * null for one the proof does not know. Written apart from the cleaner's table (image/dds-formats.ts)
 * so that a wrong size on one side makes the proof fail instead of agreeing with it.
 */
function dxgiBlock(f: number): Block | null {
  if (f >= 70 && f <= 72) return BC_SMALL;
  if (f >= 79 && f <= 81) return BC_SMALL;
  if ((f >= 73 && f <= 78) || (f >= 82 && f <= 84) || (f >= 94 && f <= 99)) return BC_LARGE;
  if (f === 68 || f === 69 || f === 107) return [2, 1, 4];
  if (f === 108 || f === 109) return [2, 1, 8];
  if (f === 66) return [8, 1, 1];
  if (f >= 1 && f <= 4) return [1, 1, 16];
  if (f >= 5 && f <= 8) return [1, 1, 12];
  if ((f >= 9 && f <= 22) || f === 102) return [1, 1, 8];
  if ((f >= 23 && f <= 47) || f === 67 || (f >= 87 && f <= 93) || f === 100 || f === 101) return [1, 1, 4];
  if ((f >= 48 && f <= 59) || f === 85 || f === 86 || f === 114 || f === 115) return [1, 1, 2];
  if ((f >= 60 && f <= 65) || (f >= 111 && f <= 113)) return [1, 1, 1];
  return null;
}

/** A legacy FourCC's block: the named compressions and packed formats, or a Direct3D 9 format number. */
function fourCcBlock(code: number, name: string): Block | null {
  if (["DXT1", "ATI1", "BC4U", "BC4S"].includes(name)) return BC_SMALL;
  if (["DXT2", "DXT3", "DXT4", "DXT5", "ATI2", "BC5U", "BC5S"].includes(name)) return BC_LARGE;
  if (["RGBG", "GRGB", "UYVY", "YUY2"].includes(name)) return [2, 1, 4];
  const bytes = new Map([[36, 8], [110, 8], [111, 2], [112, 4], [113, 8], [114, 4], [115, 8], [116, 16], [117, 2]]).get(code);
  return bytes == null ? null : [1, 1, bytes];
}

/**
 * Proves a cleaned DirectDraw Surface holds nothing but its picture, with code of its own (the
 * header's layout after Microsoft's DDS_HEADER and DDS_HEADER_DXT10): its reserved and unused
 * DWORDs zero, no flag bit that no reader defines, no field its format leaves unused holding a
 * value, a pitch or linear size either none or the exact one, and the file ending where the pixel
 * data the header declares ends. ExifTool reads no DDS, so without this walk nothing would look.
 * Null when the proof holds, else what broke it.
 */
export function proveDds(file: string): Promise<ProofFailure | null> {
  return ProofReader.use(file, async (r) => {
    const h = await r.bytes(0, Math.min(r.size, 148));
    if (h == null || h.length < 128 || h.toString("latin1", 0, 4) !== "DDS " || h.readUInt32LE(4) !== 124 || h.readUInt32LE(76) !== 32) return "not a DDS header";
    const dword = (at: number): number => h.readUInt32LE(at);
    if (h.subarray(32, 76).some((b) => b !== 0)) return "the reserved DWORDs";
    if (h.subarray(116, 128).some((b) => b !== 0)) return "caps3, caps4 or the last reserved DWORD";
    if ((dword(8) & ~0x8a100f) !== 0 || (dword(80) & ~0xa0247) !== 0 || (dword(108) & ~0x401008) !== 0 || (dword(112) & ~0x20fe00) !== 0) return "an undefined flag bit";
    const fourCc = (dword(80) & 4) !== 0;
    if (!fourCc && dword(84) !== 0) return "a FourCC in an uncompressed format";
    if (fourCc && (dword(80) & 0xa0242) === 0 && h.subarray(88, 108).some((b) => b !== 0)) return "masks in a FourCC format";
    const dx10 = fourCc && h.toString("latin1", 84, 88) === "DX10";
    if (dx10 && (h.length < 148 || (dword(136) & ~4) !== 0 || (dword(144) & ~7) !== 0)) return "the DX10 header's misc fields";
    const block = dx10 ? dxgiBlock(dword(128)) : fourCc ? fourCcBlock(dword(84), h.toString("latin1", 84, 88)) : [8, 16, 24, 32].includes(dword(88)) ? ([1, 1, dword(88) / 8] as Block) : null;
    if (block == null) return "a pixel format the proof does not know";
    const volume = dx10 ? dword(132) === 4 : (dword(8) & 0x800000) !== 0 || (dword(112) & 0x200000) !== 0;
    if (!volume && dword(24) !== 0) return "a depth outside a volume";
    const [width, height] = [dword(16), dword(12)];
    const bytesOf = (w: number, rows: number): number => Math.ceil(w / block[0]) * Math.ceil(rows / block[1]) * block[2];
    const pitch = block[0] === 4 ? bytesOf(width, height) : bytesOf(width, 1);
    if (dword(20) !== 0 && dword(20) !== pitch) return "a pitch or linear size other than the exact one";
    // An array size of 0 (Pillow's writer) is read as one texture, as Pillow's reader and the cleaner read it.
    const pictures = dx10 ? Math.max(1, dword(140)) * (dword(132) === 3 && (dword(136) & 4) !== 0 ? 6 : 1) : (dword(112) & 0x200) !== 0 ? [10, 11, 12, 13, 14, 15].filter((bit) => (dword(112) >> bit) & 1).length : 1;
    const depth = volume ? Math.max(1, dword(24)) : 1;
    if (pictures === 0 || dword(28) > 32) return "no pictures, or more mip levels than any size has";
    const half = (n: number): number => Math.max(1, Math.floor(n / 2));
    let expected = dx10 ? 148 : 128;
    for (let level = 0, w = width, ht = height, d = depth; level < Math.max(1, dword(28)); level++, w = half(w), ht = half(ht), d = half(d)) {
      expected += pictures * d * bytesOf(w, ht);
      if (expected > r.size) return "pixel data past the file's end";
    }
    return expected === r.size ? null : "bytes after the pixel data";
  });
}
