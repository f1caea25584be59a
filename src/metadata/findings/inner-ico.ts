import fs from "node:fs";
import fsp from "node:fs/promises";
import { isPngHead } from "../../cleaners/image/png-chunks.js";
import { copyCounted } from "./inner-copy.js";
import type { InnerSource } from "./inner-types.js";

const DIRECTORY = 6;
const ENTRY = 16;
const SIZE = 8;
const OFFSET = 12;
const PNG_HEAD = 8;

/**
 * An icon's or cursor's PNG images (`image 1`, ... in directory order): each a whole PNG file whose
 * text chunks, EXIF and XMP ExifTool does not read inside an ICO (it reads the directory only), and
 * which the ICO cleaner removes. Bitmap images hold no text. An image lying outside the file is
 * left to the cleaner to call damaged.
 */
export const icoSource: InnerSource = async (file, _scratch, visit) => {
  const fh = await fsp.open(file, "r");
  const entries: { at: number; size: number; index: number }[] = [];
  try {
    const { size: fileSize } = await fh.stat();
    const head = Buffer.alloc(DIRECTORY);
    await fh.read(head, 0, DIRECTORY, 0);
    const count = head.readUInt16LE(4);
    const directory = Buffer.alloc(Math.min(count * ENTRY, Math.max(0, fileSize - DIRECTORY)));
    await fh.read(directory, 0, directory.length, DIRECTORY);
    const png = Buffer.alloc(PNG_HEAD);
    for (let i = 0; (i + 1) * ENTRY <= directory.length; i++) {
      const at = directory.readUInt32LE(i * ENTRY + OFFSET);
      const size = directory.readUInt32LE(i * ENTRY + SIZE);
      if (size < PNG_HEAD || at + size > fileSize) continue;
      await fh.read(png, 0, PNG_HEAD, at);
      if (isPngHead(png)) entries.push({ at, size, index: i + 1 });
    }
  } finally {
    await fh.close();
  }
  for (const { at, size, index } of entries) {
    await visit({
      name: `image ${index}`,
      claimedSize: size,
      copyTo: (dest, maxBytes) => copyCounted(async () => fs.createReadStream(file, { start: at, end: at + size - 1 }), dest, maxBytes),
    });
  }
  return 0;
};
