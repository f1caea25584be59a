import fsp from "node:fs/promises";

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/**
 * The ExifTool FileType a file's first bytes make all but certain (a JPEG's SOI and marker, PNG's
 * signature), or null. A guess only: ExifTool's read stays the one that decides (see pipeline.ts).
 */
export async function likelyFileType(file: string): Promise<"JPEG" | "PNG" | null> {
  const handle = await fsp.open(file, "r");
  try {
    const { bytesRead, buffer } = await handle.read(Buffer.alloc(8), 0, 8, 0);
    const head = buffer.subarray(0, bytesRead);
    if (head.length >= 3 && head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) return "JPEG";
    if (head.equals(PNG_SIGNATURE)) return "PNG";
    return null;
  } finally {
    await handle.close();
  }
}
