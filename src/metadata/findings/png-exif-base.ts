import { FileBytes } from "../../cleaners/file-bytes.js";
import { walkPngChunkHeads } from "../../cleaners/image/png-chunks.js";

/** Chunks walked before giving up: a real PNG's eXIf sits among its first chunks or after a few thousand IDATs. */
const MAX_CHUNKS = 100_000;

/**
 * Where a PNG's eXIf chunk data starts in the file, or null without one. ExifTool gives the
 * offsets of an EXIF thumbnail in a PNG from the start of that chunk's data (its TIFF header),
 * where in a JPEG or WebP it gives them from the file's start.
 */
export async function pngExifBase(file: string): Promise<number | null> {
  const src = await FileBytes.open(file);
  try {
    let n = 0;
    let base: number | null = null;
    await walkPngChunkHeads(src, ({ at, type }) => {
      if (type === "eXIf") base = at + 8;
      return base != null || ++n >= MAX_CHUNKS ? "stop" : undefined;
    });
    return base;
  } finally {
    await src.close();
  }
}
