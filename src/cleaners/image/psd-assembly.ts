import type { RangeWriter } from "../range-writer.js";

/** A byte range [from, to) of the source file. */
export type Range = [number, number];

/**
 * Part of the output whose length must be known before it is written (a section or block behind
 * its length field): bytes of the cleaning's own and ranges of the source, which cost nothing
 * until written (layers' pixels, kept blocks).
 */
export class Assembly {
  readonly pieces: (Buffer | Range)[] = [];
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

  add(other: Assembly): this {
    for (const p of other.pieces) this.pieces.push(p);
    this.length += other.length;
    return this;
  }

  /** Queues it on `out`, writing out as it goes so that a long one never waits whole in memory. */
  async writeTo(out: RangeWriter): Promise<void> {
    for (const p of this.pieces) {
      if (Buffer.isBuffer(p)) out.bytes(p);
      else out.copy(p[0], p[1]);
      if (out.full) await out.flush();
    }
  }
}
