import fsp from "node:fs/promises";
import { BadFileError } from "../errors.js";
import type { CleanContext, Cleaner } from "../types.js";

const HEADER = 128;
/** The header's last 54 bytes: the format leaves them zero, so anything there was put by a writer. */
const FILLER = 74;
const ZSOFT = 0x0a;
const RLE = 1;
/** A run of 1 to 63 copies of the next byte. */
const RUN = 0xc0;
/** VGA palette after the pixels of an 8-bit single-plane picture: a marker and 256 RGB triples. */
const PALETTE_MARK = 0x0c;
const PALETTE = 1 + 768;

/**
 * PCX pictures (ZSoft Paintbrush) hold no metadata fields: what a writer can hide is in the
 * header's reserved filler and in bytes after the pixels. The header is kept but for its filler
 * (zeroed), the pixel data is copied byte for byte up to the end of its last row (decoding the
 * run lengths to find it), and an 8-bit picture keeps its VGA palette, which readers take from
 * the file's last 769 bytes; anything else after the pixels is cut.
 */
export const pcxCleaner: Cleaner = {
  name: "pcx",
  fileTypes: ["PCX"],
  async clean(ctx: CleanContext): Promise<void> {
    const pcx = await fsp.readFile(ctx.input);
    if (pcx.length < HEADER || pcx[0] !== ZSOFT) throw damaged("it does not start like a PCX picture");
    const bitsPerPixel = pcx[3]!;
    const width = pcx.readUInt16LE(8) - pcx.readUInt16LE(4) + 1;
    const height = pcx.readUInt16LE(10) - pcx.readUInt16LE(6) + 1;
    const planes = pcx[65]!;
    const bytesPerLine = pcx.readUInt16LE(66);
    if (width < 1 || height < 1 || planes < 1 || bytesPerLine < 1 || ![1, 2, 4, 8].includes(bitsPerPixel)) {
      throw damaged("its size, depth or planes are out of range");
    }
    const pixelsEnd = endOfPixels(pcx, pcx[2] === RLE, planes * bytesPerLine * height);
    const header = Buffer.from(pcx.subarray(0, HEADER));
    header.fill(0, FILLER);
    const parts = [header, pcx.subarray(HEADER, pixelsEnd)];
    const paletteAt = pcx.length - PALETTE;
    if (bitsPerPixel === 8 && planes === 1 && paletteAt >= pixelsEnd && pcx[paletteAt] === PALETTE_MARK) parts.push(pcx.subarray(paletteAt));
    await fsp.writeFile(ctx.output, Buffer.concat(parts));
  },
  isStructural: () => false,
};

/** Where the pixel data ends: after `size` decoded bytes (a last run may reach past them). */
function endOfPixels(pcx: Buffer, rle: boolean, size: number): number {
  if (!rle) {
    if (HEADER + size > pcx.length) throw damaged("its pixel data is cut short");
    return HEADER + size;
  }
  let at = HEADER;
  let decoded = 0;
  while (decoded < size) {
    if (at >= pcx.length) throw damaged("its pixel data is cut short");
    const b = pcx[at++]!;
    if (b >= RUN) {
      if (at >= pcx.length) throw damaged("its pixel data is cut short");
      decoded += b - RUN;
      at++;
    } else decoded++;
  }
  return at;
}

function damaged(why: string): BadFileError {
  return new BadFileError(`The PCX picture is damaged: ${why}.`);
}
