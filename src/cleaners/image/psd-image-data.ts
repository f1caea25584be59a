import { BadFileError } from "../errors.js";
import type { FileBytes } from "../file-bytes.js";
import { DAMAGED, type PsdLayout } from "./psd-structure.js";

/** The composite image's compression methods whose length is known: none, and PackBits by rows. */
const RAW = 0;
const RLE = 1;

/**
 * Where the composite image data at `dataAt` ends: what follows it (a Photo Mechanic trailer,
 * say) belongs to no section and goes. Raw data has a size the header gives; RLE data starts
 * with a table of its rows' byte counts. Zip-compressed data has no stated length, so it runs to
 * the end of the file (the re-read catches a known trailer), and so does data stated longer than
 * the file holds: psd-tools reads the composite as the rest of the file, and ExifTool reads such
 * a document (psd-tools' group-divider-blend-mode.psd, whose section length leaves out 6 bytes,
 * puts the composite at a raw one too short for its size).
 */
export async function imageDataEnd(src: FileBytes, { big, header }: PsdLayout, dataAt: number): Promise<number> {
  if (dataAt + 2 > src.size) throw new BadFileError(DAMAGED);
  const rows = header.readUInt16BE(12) * header.readUInt32BE(14);
  const compression = (await src.read(dataAt, 2)).readUInt16BE(0);
  if (compression === RAW) return Math.min(src.size, dataAt + 2 + rows * Math.ceil((header.readUInt32BE(18) * header.readUInt16BE(22)) / 8));
  if (compression !== RLE) return src.size;
  const countSize = big ? 4 : 2;
  const tableAt = dataAt + 2;
  if (tableAt + rows * countSize > src.size) return src.size;
  let total = 0;
  for (let row = 0; row < rows; ) {
    const chunk = await src.read(tableAt + row * countSize, Math.min(rows - row, 65536) * countSize);
    for (let i = 0; i + countSize <= chunk.length; i += countSize, row++) total += big ? chunk.readUInt32BE(i) : chunk.readUInt16BE(i);
  }
  return Math.min(src.size, tableAt + rows * countSize + total);
}
