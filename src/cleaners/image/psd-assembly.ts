import fsp from "node:fs/promises";
import type { RangeWriter } from "../range-writer.js";

/** A byte range [from, to) of the source file. */
export type Range = [number, number];
/** A whole file of the cleaning's own (an embedded file, cleaned), written in chunks. */
interface FilePiece {
  file: string;
  size: number;
}
/** Bytes of a FilePiece read at once. */
const CHUNK = 1 << 20;

/**
 * Part of the output whose length must be known before it is written (a section or block behind
 * its length field): bytes of the cleaning's own and ranges of the source, which cost nothing
 * until written (layers' pixels, kept blocks), and files written by the cleaning, read only while
 * they are written out.
 */
export class Assembly {
  readonly pieces: (Buffer | Range | FilePiece)[] = [];
  length = 0;

  bytes(...bs: readonly Buffer[]): this {
    for (const b of bs) {
      this.pieces.push(b);
      this.length += b.length;
    }
    return this;
  }

  copy(from: number, to: number): this {
    if (to > from) {
      this.pieces.push([from, to]);
      this.length += to - from;
    }
    return this;
  }

  file(file: string, size: number): this {
    if (size > 0) {
      this.pieces.push({ file, size });
      this.length += size;
    }
    return this;
  }

  add(other: Assembly): this {
    for (const p of other.pieces) this.pieces.push(p);
    this.length += other.length;
    return this;
  }

  /** Queues it on `out`, writing out as it goes so that a long one never waits whole in memory. */
  async writeTo(out: RangeWriter): Promise<void> {
    for (const p of this.pieces) {
      if (Buffer.isBuffer(p)) out.bytes(p);
      else if (Array.isArray(p)) out.copy(p[0], p[1]);
      else await writeFile(p, out);
      if (out.full) await out.flush();
    }
  }
}

/** The file, a chunk at a time: at most a chunk and what the writer queues are in memory. */
async function writeFile(p: FilePiece, out: RangeWriter): Promise<void> {
  const handle = await fsp.open(p.file, "r");
  try {
    for (let at = 0; at < p.size; ) {
      const { bytesRead, buffer } = await handle.read(Buffer.alloc(Math.min(CHUNK, p.size - at)), 0, Math.min(CHUNK, p.size - at), at);
      if (bytesRead === 0) throw new Error(`${p.file} is shorter than it was`);
      out.bytes(buffer.subarray(0, bytesRead));
      at += bytesRead;
      if (out.full) await out.flush();
    }
  } finally {
    await handle.close();
  }
}
