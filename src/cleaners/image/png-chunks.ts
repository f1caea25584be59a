import type { FileBytes } from "../file-bytes.js";

export const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

export function isPngHead(bytes: Buffer): boolean {
  return bytes.subarray(0, 8).equals(PNG_SIGNATURE);
}

export interface PngChunkHead {
  /** Where the chunk's length field starts. */
  at: number;
  length: number;
  type: string;
}

/**
 * Hands `visit` the heads of a PNG's chunks from its signature on, up to and including IEND, while
 * a whole chunk head and CRC still fit in the file, until it answers "stop". Read through the
 * file's window: a head already in memory costs no `await` (a callback, not an async generator,
 * whose every step would). Lengths are not checked against the file: each caller judges damage
 * its own way.
 */
export async function walkPngChunkHeads(src: FileBytes, visit: (chunk: PngChunkHead) => "stop" | void): Promise<void> {
  for (let at = 8; src.size - at >= 12; ) {
    const head = src.peek(at, 8) ?? (await src.read(at, 8));
    const length = head.readUInt32BE(0);
    const type = head.toString("latin1", 4, 8);
    if (visit({ at, length, type }) === "stop" || type === "IEND") return;
    at += 12 + length;
  }
}
