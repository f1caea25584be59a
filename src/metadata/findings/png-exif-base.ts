import fsp from "node:fs/promises";

/** Chunks walked before giving up: a real PNG's eXIf sits among its first chunks or after a few thousand IDATs. */
const MAX_CHUNKS = 100_000;

/**
 * Where a PNG's eXIf chunk data starts in the file, or null without one. ExifTool gives the
 * offsets of an EXIF thumbnail in a PNG from the start of that chunk's data (its TIFF header),
 * where in a JPEG or WebP it gives them from the file's start.
 */
export async function pngExifBase(file: string): Promise<number | null> {
  const handle = await fsp.open(file, "r");
  try {
    const header = Buffer.alloc(8);
    let offset = 8;
    for (let n = 0; n < MAX_CHUNKS; n++) {
      const { bytesRead } = await handle.read(header, 0, 8, offset);
      if (bytesRead < 8) return null;
      const type = header.toString("latin1", 4, 8);
      if (type === "eXIf") return offset + 8;
      if (type === "IEND") return null;
      offset += 12 + header.readUInt32BE(0);
    }
    return null;
  } finally {
    await handle.close();
  }
}
