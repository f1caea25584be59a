import { BadFileError } from "../errors.js";
import type { FileBytes } from "../file-bytes.js";
import { RangeWriter } from "../range-writer.js";
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
    // The pixels are copied by offset, a window at a time: a picture of any size costs a mebibyte.
    await RangeWriter.rewrite(ctx.input, ctx.output, "wx", async (src, out) => {
      const header = Buffer.from(await src.read(0, HEADER));
      if (header.length < HEADER || header[0] !== ZSOFT) throw damaged("it does not start like a PCX picture");
      const bitsPerPixel = header[3]!;
      const width = header.readUInt16LE(8) - header.readUInt16LE(4) + 1;
      const height = header.readUInt16LE(10) - header.readUInt16LE(6) + 1;
      const planes = header[65]!;
      const bytesPerLine = header.readUInt16LE(66);
      if (width < 1 || height < 1 || planes < 1 || bytesPerLine < 1 || ![1, 2, 4, 8].includes(bitsPerPixel)) {
        throw damaged("its size, depth or planes are out of range");
      }
      const pixelsEnd = await endOfPixels(src, header[2] === RLE, planes * bytesPerLine * height);
      header.fill(0, FILLER);
      out.bytes(header);
      out.copy(HEADER, pixelsEnd);
      const paletteAt = src.size - PALETTE;
      if (bitsPerPixel === 8 && planes === 1 && paletteAt >= pixelsEnd && (await src.byte(paletteAt)) === PALETTE_MARK) out.copy(paletteAt, src.size);
    });
  },
  isStructural: () => false,
};

/**
 * Where the pixel data ends: after `size` decoded bytes (a last run may reach past them). Each
 * packet is at least a byte, so the walk is bounded by the file's length whatever the stated size.
 */
async function endOfPixels(src: FileBytes, rle: boolean, size: number): Promise<number> {
  if (!rle) {
    if (HEADER + size > src.size) throw damaged("its pixel data is cut short");
    return HEADER + size;
  }
  let at = HEADER;
  let window: Buffer = Buffer.alloc(0);
  let base = at;
  for (let decoded = 0; decoded < size; ) {
    if (at >= src.size) throw damaged("its pixel data is cut short");
    if (at - base >= window.length) {
      window = await src.from(at);
      base = at;
    }
    const b = window[at - base]!;
    at += b >= RUN ? 2 : 1;
    decoded += b >= RUN ? b - RUN : 1;
  }
  if (at > src.size) throw damaged("its pixel data is cut short");
  return at;
}

function damaged(why: string): BadFileError {
  return new BadFileError(`The PCX picture is damaged: ${why}.`);
}
