import { BadFileError } from "../errors.js";
import type { FileBytes } from "../file-bytes.js";
import { RangeWriter } from "../range-writer.js";
import type { CleanContext, Cleaner } from "../types.js";
import { extensionAt, keptExtension, TGA_EXTENSION } from "./tga-extension.js";
import { TGA_FOOTER, TGA_HEADER, bytesPerPixel, colourMap, readTgaFooter, readTgaHeader } from "./tga-header.js";

/** A run-length packet's first byte: its top bit set for a run of one value, clear for literal pixels; the count less one below. */
const RUN = 0x80;

/**
 * Truevision Targa pictures (TGA): what they tell is in the image ID (free text), the version 2
 * extension area (author, comments, date and time, job, software and its version, a postage-stamp
 * thumbnail, colour correction and scan-line tables) and the developer area (any program's private
 * fields), the last two found through the footer. The copy is a version 1 file: the header (its
 * image ID length set to nothing, and a true-colour or grey picture's unused colour map dropped),
 * the colour map of a colour-mapped picture and the pixel data byte for byte (run-length packets
 * walked to find their end); everything after the pixels goes. What the extension area says about
 * drawing the picture (whether a fourth channel is alpha, gamma, pixel aspect ratio), and its
 * author with `keep=copyright`, go into a fresh extension area after the pixels (tga-extension.ts).
 */
export const tgaCleaner: Cleaner = {
  name: "tga",
  fileTypes: ["TGA"],
  async clean(ctx: CleanContext): Promise<void> {
    // The pixels are copied by offset, a window at a time: a picture of any size costs a mebibyte.
    await RangeWriter.rewrite(ctx.input, ctx.output, "wx", async (src, out) => {
      const tail = src.size >= TGA_HEADER + TGA_FOOTER ? await src.read(src.size - TGA_FOOTER, TGA_FOOTER) : null;
      const footer = tail == null ? null : readTgaFooter(tail);
      const header = Buffer.from(await src.read(0, TGA_HEADER));
      const h = readTgaHeader(header, footer != null);
      if (h == null) throw damaged("its header holds values no Targa picture has");
      const map = colourMap(h);
      const pixelsAt = map.at + map.size;
      const pixelsEnd = await endOfPixels(src, pixelsAt, h.width * h.height, bytesPerPixel(h), h.rle);
      header[0] = 0;
      if (!h.colourMapped) {
        header[1] = 0;
        header.fill(0, 3, 8);
      }
      const keptFrom = h.colourMapped ? map.at : pixelsAt;
      const extAt = footer == null ? null : extensionAt(footer.extension, src.size);
      const ext = extAt == null ? null : await src.read(extAt, TGA_EXTENSION);
      out.bytes(header);
      out.copy(keptFrom, pixelsEnd);
      const area = keptExtension(ext, h.alphaBits, ctx.keep, out.length);
      if (area != null) out.bytes(area);
    });
  },
  isStructural: () => false,
};

/**
 * Where `pixels` pixels from `at` end: raw, or as run-length packets (a run may cross a scan line,
 * as some writers do; its last packet may reach past the picture's last pixel). Each packet takes
 * at least two bytes, so the walk is bounded by the file's length whatever the picture's size.
 */
async function endOfPixels(src: FileBytes, at: number, pixels: number, size: number, rle: boolean): Promise<number> {
  if (!rle) {
    if (at + pixels * size > src.size) throw damaged("its pixel data is cut short");
    return at + pixels * size;
  }
  let pos = at;
  let window: Buffer = Buffer.alloc(0);
  let base = at;
  for (let decoded = 0; decoded < pixels; ) {
    if (pos >= src.size) throw damaged("its pixel data is cut short");
    if (pos - base >= window.length) {
      window = await src.from(pos);
      base = pos;
    }
    const packet = window[pos - base]!;
    const count = (packet & ~RUN) + 1;
    pos += 1 + ((packet & RUN) !== 0 ? size : count * size);
    decoded += count;
  }
  if (pos > src.size) throw damaged("its pixel data is cut short");
  return pos;
}

function damaged(why: string): BadFileError {
  return new BadFileError(`The TGA picture is damaged: ${why}.`);
}
