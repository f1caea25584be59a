import type { FileBytes } from "../file-bytes.js";

export interface PngChunkHead {
  /** Where the chunk's length field starts. */
  at: number;
  length: number;
  type: string;
}

/**
 * The heads of a PNG's chunks from its signature on, read through the file's window (no read per
 * chunk), up to and including IEND, while a whole chunk head and CRC still fit in the file. Lengths
 * are not checked against the file: each caller judges damage its own way.
 */
export async function* pngChunkHeads(src: FileBytes): AsyncGenerator<PngChunkHead> {
  for (let at = 8; src.size - at >= 12; ) {
    const head = src.peek(at, 8) ?? (await src.read(at, 8));
    const length = head.readUInt32BE(0);
    const type = head.toString("latin1", 4, 8);
    yield { at, length, type };
    if (type === "IEND") return;
    at += 12 + length;
  }
}
