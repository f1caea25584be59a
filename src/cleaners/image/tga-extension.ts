import type { KeepOption } from "../types.js";
import { TGA_FOOTER, TGA_HEADER, TGA_SIGNATURE } from "./tga-header.js";

/** The TGA 2.0 extension area (specification, "Extension Area"): its size and the offsets of the fields a copy may carry. */
export const TGA_EXTENSION = 495;
const AUTHOR = 2;
const AUTHOR_SIZE = 41;
const PIXEL_ASPECT = 474;
const GAMMA = 478;
const ATTRIBUTES_TYPE = 494;
/** The attributes types the specification defines: no alpha, undefined (ignore), undefined (retain), alpha, premultiplied alpha. */
const LAST_ATTRIBUTES_TYPE = 4;
/** The specification's range of gamma values. */
const MAX_GAMMA = 10;

/**
 * The extension area and footer the clean copy ends with (`at`: where the area will start), or
 * null when it needs none. A fresh area holds only what says how to draw the picture and what
 * `keep` asked for; every other field (comments, dates, job, software, the key colour, the
 * postage stamp, the colour correction and scan-line tables) is zero:
 * - the attributes type of a picture with alpha bits, as DirectXTex and GDAL read it (3: alpha,
 *   4: premultiplied, 0-2: the fourth channel is no alpha), which a version 1 copy would lose;
 * - gamma and pixel aspect ratio, as fractions reduced to lowest terms (the same value, with no
 *   room left in the choice of its numbers);
 * - with `keep=copyright`, the author's name (the area has no copyright field), as text up to its
 *   first NUL.
 */
export function keptExtension(ext: Buffer | null, alphaBits: number, keep: ReadonlySet<KeepOption>, at: number): Buffer | null {
  if (ext == null || ext.length < TGA_EXTENSION || ext.readUInt16LE(0) < TGA_EXTENSION) return null;
  const area = Buffer.alloc(TGA_EXTENSION);
  let kept = false;
  const attributes = ext[ATTRIBUTES_TYPE]!;
  if (alphaBits > 0 && attributes <= LAST_ATTRIBUTES_TYPE) {
    area[ATTRIBUTES_TYPE] = attributes;
    kept = true;
  }
  kept = copyRatio(ext, area, PIXEL_ASPECT, Infinity) || kept;
  kept = copyRatio(ext, area, GAMMA, MAX_GAMMA) || kept;
  if (keep.has("copyright")) {
    const field = ext.subarray(AUTHOR, AUTHOR + AUTHOR_SIZE - 1);
    const nul = field.indexOf(0);
    const author = field.subarray(0, nul < 0 ? field.length : nul);
    if (author.some((c) => c !== 0x20)) {
      author.copy(area, AUTHOR);
      kept = true;
    }
  }
  if (!kept) return null;
  area.writeUInt16LE(TGA_EXTENSION, 0);
  const footer = Buffer.alloc(TGA_FOOTER);
  footer.writeUInt32LE(at, 0);
  footer.write(TGA_SIGNATURE, 8, "latin1");
  return Buffer.concat([area, footer]);
}

/** Copies a numerator and denominator pair, reduced, when it is a value (denominator not zero) within `max`. */
function copyRatio(ext: Buffer, area: Buffer, at: number, max: number): boolean {
  const num = ext.readUInt16LE(at);
  const den = ext.readUInt16LE(at + 2);
  if (den === 0 || num === 0 || num / den > max) return false;
  const d = gcd(num, den);
  area.writeUInt16LE(num / d, at);
  area.writeUInt16LE(den / d, at + 2);
  return true;
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

/** Where the original's extension area is, when its footer points inside the file past the header. */
export function extensionAt(offset: number, fileLength: number): number | null {
  return offset >= TGA_HEADER && offset + TGA_EXTENSION <= fileLength - TGA_FOOTER ? offset : null;
}
