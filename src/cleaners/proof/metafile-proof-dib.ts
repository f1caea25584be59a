import { zero } from "./metafile-proof-emf.js";
import type { ProofFailure } from "./shared.js";

const HEADERS = [12, 40, 52, 56, 108, 124];
const MBED = 0x4d424544;
const LINK = 0x4c494e4b;

/**
 * Proves a bitmap of a drawing record holds only what readers draw, with code of its own
 * ([MS-WMF] 2.2.2, [MS-EMF] 2.2.2): a header of a known size; past the colour table (colours of
 * 4 bytes, 3 in a core header, palette indices of 2, nothing with usage 2) zeros, and the whole
 * table of a picture of more than 8 bits a pixel (drawn from by GDI, but LibreOffice draws a
 * `packed` DIB's as its first rows: that one stays); a V4 or V5
 * header's endpoints and gamma zeros unless calibrated (colour space 0); a V5 header names no
 * profile (embedded or linked) and its profile fields and reserved word are zeros; uncompressed
 * rows' padding, the bits of their last byte past their pixels and what follows the last row
 * zeros; a 4-byte colour's reserved byte zero; an RLE bitmap's literal pads and what
 * follows its end zeros. JPEG and PNG bits are the picture checks' part. `info` holds the header
 * and colour table, `bits` the bits. Null when it holds.
 */
export function proveDib(info: Buffer, bits: Buffer, usage: number, packed = false): ProofFailure | null {
  if (info.length === 0) return null;
  const size = info.length >= 4 ? info.readUInt32LE(0) : 0;
  if (!HEADERS.includes(size) || info.length < size) return "a bitmap header of no known size";
  const core = size === 12;
  const bpp = core ? info.readUInt16LE(10) : info.readUInt16LE(14);
  const compression = core ? 0 : info.readUInt32LE(16);
  const table = tableEnd(info, usage);
  if (!zero(info.subarray(Math.min(table, info.length)))) return "bytes past a bitmap's colour table";
  const first = size + (size === 40 && compression === 3 ? 12 : size === 40 && compression === 6 ? 16 : 0);
  if (bpp > 8 && !packed && !zero(info.subarray(Math.min(first, info.length), Math.min(table, info.length)))) return "the colour table of a bitmap of more than 8 bits a pixel";
  if (!core && usage === 0) {
    for (let at = first + 3; at < Math.min(table, info.length); at += 4) if (info[at] !== 0) return "a colour's reserved byte in a bitmap's table";
  }
  if (size >= 108) {
    const space = info.readUInt32LE(56);
    if (space !== 0 && !zero(info.subarray(60, 108))) return "a bitmap's colour endpoints or gamma, unused by its colour space";
    if (size === 124 && (space === MBED || space === LINK)) return "a bitmap's colour profile";
    if (size === 124 && !zero(info.subarray(112, 124))) return "a bitmap's profile fields";
  }
  if (compression === 0 || compression === 3 || compression === 6) {
    const width = core ? info.readUInt16LE(4) : Math.abs(info.readInt32LE(4));
    const height = core ? info.readUInt16LE(6) : Math.abs(info.readInt32LE(8));
    const rowBytes = Math.ceil((width * bpp) / 32) * 4;
    const drawn = Math.ceil((width * bpp) / 8);
    const spareBits = (8 - ((width * bpp) % 8)) % 8;
    for (let y = 0; (drawn < rowBytes || spareBits > 0) && y < height && y * rowBytes < bits.length; y++) {
      if (!zero(bits.subarray(y * rowBytes + drawn, (y + 1) * rowBytes))) return "a bitmap row's padding";
      const lastByte = bits[y * rowBytes + drawn - 1];
      if (drawn > 0 && lastByte !== undefined && (lastByte & ((1 << spareBits) - 1)) !== 0) return "the bits of a bitmap row's last byte past its pixels";
    }
    return zero(bits.subarray(Math.min(rowBytes * height, bits.length))) ? null : "bytes after a bitmap's last row";
  }
  if (compression === 1 || compression === 2) return rleTail(bits, compression === 2);
  return null;
}

/** Where a DIB's colour table ends, from the start of its header (`dib` holds at least the header): header, a V1 header's masks, the entries. */
export function tableEnd(dib: Buffer, usage: number): number {
  const size = dib.readUInt32LE(0);
  const core = size === 12;
  const bpp = core ? dib.readUInt16LE(10) : dib.readUInt16LE(14);
  const compression = core ? 0 : dib.readUInt32LE(16);
  const count = core ? 0 : dib.readUInt32LE(32);
  const colours = count > 0 ? count : bpp >= 1 && bpp <= 8 ? 1 << bpp : 0;
  const masks = size === 40 && compression === 3 ? 12 : size === 40 && compression === 6 ? 16 : 0;
  return size + masks + colours * (usage === 1 ? 2 : usage === 2 ? 0 : core ? 3 : 4);
}

/** An RLE bitmap: its literal runs' pad bytes and everything after its end-of-bitmap escape zeros. */
function rleTail(bits: Buffer, nibbles: boolean): ProofFailure | null {
  let p = 0;
  while (p + 1 < bits.length) {
    const [n, c] = [bits[p]!, bits[p + 1]!];
    p += 2;
    if (n !== 0 || c === 0) continue;
    if (c === 1) return zero(bits.subarray(p)) ? null : "bytes after an RLE bitmap's end";
    if (c === 2) {
      p += 2;
      continue;
    }
    const literal = nibbles ? (c + 1) >> 1 : c;
    if (literal % 2 === 1 && p + literal < bits.length && bits[p + literal] !== 0) return "an RLE bitmap's literal pad";
    p += literal + (literal % 2);
  }
  return null;
}
