import { TooComplexError } from "../errors.js";
import { FileBytes } from "../file-bytes.js";
import { walkPngChunkHeads } from "./png-chunks.js";
import { checkExifBlock, MAX_EXIF_ENTRIES, TiffTally } from "./tiff-screen.js";

/**
 * Chunks of the kinds that carry tags (text, times, profiles, unknown kinds...) before a PNG is
 * refused: ExifTool turns each into a tag, at 200-380 µs and about a kilobyte each, kept until its
 * read ends (100,000 empty `tEXt` chunks, 1.5 MB: 19 s; a million would pass its 60 s timeout).
 * Real files have a few dozen.
 */
export const MAX_PNG_TAG_CHUNKS = 10_000;
/**
 * Chunks in all, image data and animation frames included, which ExifTool only steps over (~20 µs
 * each): a 100 MB PNG cut in the 8 kB image data chunks libpng writes has 12,800.
 */
export const MAX_PNG_CHUNKS = 300_000;

/** Chunks ExifTool steps over without a tag: image data and an animation's frames. */
const PICTURE_CHUNKS = new Set(["IDAT", "fdAT", "fcTL"]);

/**
 * Refuses (TooComplexError) a PNG of more chunks than MAX_PNG_CHUNKS, or of more than
 * MAX_PNG_TAG_CHUNKS that are not image data, reading only chunk heads up to IEND. A chunk that
 * runs past the file's end ends the walk: damage is left to the cleaner.
 */
export async function checkPngShape(file: string): Promise<void> {
  const src = await FileBytes.open(file);
  try {
    let all = 0;
    let tagged = 0;
    const exif: Array<{ at: number; length: number }> = [];
    await walkPngChunkHeads(src, ({ type, at, length }) => {
      if (++all > MAX_PNG_CHUNKS) throw new TooComplexError(`png: more than ${MAX_PNG_CHUNKS} chunks`);
      if (!PICTURE_CHUNKS.has(type) && ++tagged > MAX_PNG_TAG_CHUNKS) throw new TooComplexError(`png: more than ${MAX_PNG_TAG_CHUNKS} chunks besides image data`);
      if (type === "eXIf") exif.push({ at: at + 8, length });
    });
    const tally = new TiffTally(MAX_EXIF_ENTRIES);
    for (const chunk of exif) await checkExifBlock(src, chunk.at, chunk.length, tally);
  } finally {
    await src.close();
  }
}
