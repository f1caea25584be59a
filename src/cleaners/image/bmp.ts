import { type FileBytes, readHead } from "../file-bytes.js";
import { RangeWriter } from "../range-writer.js";
import type { CleanContext, Cleaner } from "../types.js";
import { cleanOs2Bitmap, isOs2Bitmap } from "./bmp-array.js";
import { copyPatched, type Range } from "./patched-copy.js";
import { COLOURS_IMPORTANT, COLOURS_USED, colourTable, CORE_HEADER, CS_TYPE, ENDPOINTS, LCS_SRGB, PROFILE_DATA, PROFILE_EMBEDDED, PROFILE_LINKED, PROFILE_SIZE, unusedEndpoints, V5_HEADER, damaged, pixelBytes, reservedFields } from "./bmp-header.js";

const FILE_HEADER = 14;

/**
 * BMP holds no EXIF, XMP or text: its only metadata is a V5 header's colour profile, embedded
 * (an ICC profile, with its description and copyright) or linked (a file path, often naming the
 * user's folder). Unless the profile is kept, the header is switched to plain sRGB and the
 * profile's bytes dropped. Whatever follows the pixel data (a profile, bytes appended by other
 * tools) is cut, and so are an info header's bytes past V5's fields and the colour table of a
 * picture of more than 8 bits a pixel (no reader draws from either; the offsets after them are
 * moved back); reserved fields (the colour table entries' fourth bytes too), a V4 or V5 header's
 * colour endpoints and gamma where its colour space does not use them, and the bytes between
 * the colour table and the pixels are zeroed; the header and pixels are copied unchanged otherwise.
 * OS/2 bitmap arrays and icons, which ExifTool does not know, are recognised as BMP by their first
 * bytes (metadata/unrecognised-types.ts) and cleaned in bmp-array.ts.
 */
export const bmpCleaner: Cleaner = {
  name: "bmp",
  fileTypes: ["BMP"],
  async clean(ctx: CleanContext): Promise<void> {
    if (isOs2Bitmap(await readHead(ctx.input, 2))) {
      return cleanOs2Bitmap(ctx.input, ctx.output, ctx.keep.has("colorProfile"));
    }
    // Only the headers are held; the rest is copied by offset, a window at a time.
    await RangeWriter.rewrite(ctx.input, ctx.output, "wx", (src, out) => copyBitmap(src, out, ctx.keep.has("colorProfile")));
  },
  isStructural: () => false,
};

async function copyBitmap(src: FileBytes, out: RangeWriter, keepProfile: boolean): Promise<void> {
  // Every field read or changed lies within a V5 header's length (a short header's fields are read
  // past it, as before).
  const held = await src.read(0, FILE_HEADER + V5_HEADER);
  if (held.length < FILE_HEADER + CORE_HEADER || held.toString("latin1", 0, 2) !== "BM") throw damaged("it does not start like a BMP");
  const infoSize = held.readUInt32LE(FILE_HEADER);
  if (infoSize < CORE_HEADER || src.size < FILE_HEADER + infoSize) throw damaged("its header is cut short");
  const headerEnd = FILE_HEADER + infoSize;
  // No version defines a field past V5's 124 bytes: a longer header is cut to them.
  const keptInfo = Math.min(infoSize, V5_HEADER);
  const head = Buffer.from(held.subarray(0, FILE_HEADER + keptInfo));
  head.writeUInt32LE(keptInfo, FILE_HEADER);
  const pixelsAt = held.readUInt32LE(10);
  const pixelsEnd = pixelsAt + pixelBytes(held, FILE_HEADER, infoSize);
  if (pixelsAt < headerEnd || pixelsEnd > src.size) throw damaged("its pixel data lies outside the file");
  const colours = colourTable(held, FILE_HEADER, infoSize);
  // The file header's two reserved fields, and the info header's, are free for any writer's bytes.
  head.fill(0, 6, 10);
  for (const [at, size] of reservedFields(keptInfo)) head.fill(0, FILE_HEADER + at, FILE_HEADER + at + size);
  const tableEnd = Math.min(colours.end, pixelsAt);
  // The source's ranges after the header that are copied: a table no reader draws from is cut.
  const copied: Range[] = [[headerEnd, pixelsEnd]];
  if (!colours.drawn && colours.at < tableEnd) {
    copied.splice(0, 1, [headerEnd, colours.at], [tableEnd, pixelsEnd]);
    head.writeUInt32LE(0, FILE_HEADER + COLOURS_USED);
    if (keptInfo >= COLOURS_IMPORTANT + 4) head.writeUInt32LE(0, FILE_HEADER + COLOURS_IMPORTANT);
  }
  // How far back what follows the cuts moves.
  const cut = infoSize - keptInfo + (copied.length > 1 ? tableEnd - colours.at : 0);
  // Between the colour table and the pixels no reader looks (a kept profile there stays).
  const zeroed: Range[] = [[tableEnd, pixelsAt]];
  const palette: Range | null = infoSize === CORE_HEADER || !colours.drawn ? null : [colours.at, tableEnd];
  let end = pixelsEnd;
  let trailing: Range | null = null;
  const csType = infoSize >= V5_HEADER ? head.readUInt32LE(FILE_HEADER + CS_TYPE) : 0;
  if (csType === PROFILE_EMBEDDED || csType === PROFILE_LINKED) {
    const profileAt = head.readUInt32LE(FILE_HEADER + PROFILE_DATA);
    const from = FILE_HEADER + profileAt;
    const to = from + head.readUInt32LE(FILE_HEADER + PROFILE_SIZE);
    // A damaged pixel offset or profile offset: copied as pixels, the profile would go back whole.
    if (from < pixelsEnd && to > pixelsAt) throw damaged("its colour profile overlaps its pixels");
    if (!keepProfile || csType === PROFILE_LINKED) {
      // Between the header and the pixels it is blanked; after the pixels it is already cut.
      if (from < pixelsAt && to > headerEnd) {
        if (from < headerEnd) throw damaged("its colour profile overlaps its header");
        zeroed.push([from, to]);
      }
      head.writeUInt32LE(LCS_SRGB, FILE_HEADER + CS_TYPE);
      head.writeUInt32LE(0, FILE_HEADER + PROFILE_DATA);
      head.writeUInt32LE(0, FILE_HEADER + PROFILE_SIZE);
    } else {
      if (cut > 0 && from < copied.at(-1)![0]) throw damaged("its colour profile lies in its header or colour table");
      head.writeUInt32LE(profileAt - cut, FILE_HEADER + PROFILE_DATA);
      if (from >= pixelsEnd) {
        // A kept profile after the pixels is carried over as it was, where its offset says.
        if (to > src.size) throw damaged("its colour profile lies outside the file");
        trailing = [from, to];
        end = to;
      } else zeroed.splice(0, 1, ...outside(zeroed[0]!, [from, to]));
    }
  }
  if (unusedEndpoints(head.subarray(FILE_HEADER), keptInfo)) head.fill(0, FILE_HEADER + ENDPOINTS[0], FILE_HEADER + ENDPOINTS[1]);
  head.writeUInt32LE(end - cut, 2);
  head.writeUInt32LE(pixelsAt - cut, 10);
  out.bytes(head);
  for (const [from, to] of copied) await copyPatched(src, out, from, to, { zeroed, palettes: palette == null ? [] : [palette], values: [] });
  if (trailing != null) await copyPatched(src, out, pixelsEnd, trailing[1], { zeroed: [[pixelsEnd, trailing[0]]], palettes: [], values: [] });
}

/** The parts of `range` outside `hole`. */
function outside([from, to]: Range, [holeFrom, holeTo]: Range): Range[] {
  return ([[from, Math.min(to, holeFrom)], [Math.max(from, holeTo), to]] as Range[]).filter(([a, b]) => a < b);
}
