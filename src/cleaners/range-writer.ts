import fsp, { type FileHandle } from "node:fs/promises";
import { TooComplexError } from "./errors.js";
import { FileBytes, WINDOW } from "./file-bytes.js";

/** Queued output written once it reaches this many bytes (or pieces): bounds what waits in memory. */
const FLUSH_BYTES = 4 * WINDOW;
const FLUSH_PIECES = 4096;

/**
 * How much a copy may outgrow its source (rebuilt headers, a profile put back): more means the
 * source's parts are copied over and over. A 4.8 MB TIFF of 100,000 strips that all point at the
 * same 4 MB wrote 12 GB to the disk in 48 s, and would have gone on to 400 GB.
 */
const MAX_GROWTH = 16 * 1024 * 1024;

/** A byte range [from, to) of the source file. */
type Range = [number, number];

/**
 * The output of a byte-level cleaner, assembled from small bytes of its own (rebuilt headers)
 * and ranges of the source file (the picture or sound, copied as they are). Ranges cost nothing
 * until written, and adjacent ones merge, so a kept run of chunks is one copy.
 */
export class RangeWriter {
  private pieces: (Buffer | Range)[] = [];
  private queued = 0;
  private written = 0;
  /**
   * Where copied ranges are read into, one window at a time: reused, so copying allocates nothing.
   * Made on the first range the source's window does not hold: a file that fits in one window
   * (most photos) never needs it, and a worker allocating a mebibyte per file for nothing is
   * pushed into full garbage collections by the external memory alone.
   */
  private scratchBuffer: Buffer | undefined;

  private constructor(
    private readonly handle: FileHandle,
    private readonly src: FileBytes,
  ) {}

  /** The output's length so far: the offset the next byte lands at. */
  get length(): number {
    return this.written + this.queued;
  }

  /** True when the caller should `await flush()` before queueing more. */
  get full(): boolean {
    return this.queued >= FLUSH_BYTES || this.pieces.length >= FLUSH_PIECES;
  }

  /** Queues bytes of the cleaner's own; they must not change afterwards. */
  bytes(b: Buffer): void {
    if (b.length === 0) return;
    this.pieces.push(b);
    this.grow(b.length);
  }

  /** Queues the source's bytes [from, to). */
  copy(from: number, to: number): void {
    if (to <= from) return;
    const last = this.pieces.at(-1);
    if (last != null && !Buffer.isBuffer(last) && last[1] === from) last[1] = to;
    else this.pieces.push([from, to]);
    this.grow(to - from);
  }

  private grow(n: number): void {
    this.queued += n;
    if (this.length > this.src.size + MAX_GROWTH) throw new TooComplexError(`the copy outgrew its source by more than ${MAX_GROWTH} bytes`);
  }

  async flush(): Promise<void> {
    const pieces = this.pieces;
    this.pieces = [];
    let batch: Buffer[] = [];
    let batchBytes = 0;
    const write = async (): Promise<void> => {
      await this.writeAll(batch, batchBytes);
      batch = [];
      batchBytes = 0;
    };
    for (const p of pieces) {
      if (Buffer.isBuffer(p)) {
        batch.push(p);
        batchBytes += p.length;
      } else {
        for (let at = p[0]; at < p[1]; ) {
          const n = Math.min(WINDOW, p[1] - at);
          // What the source's window still holds is not read again (a walk flushing before it
          // moves on copies from memory); only the rest is.
          const held = this.src.held(at, n);
          const { bytes, cached } = held != null ? { bytes: held, cached: true } : await this.src.slice(at, n, (this.scratchBuffer ??= Buffer.allocUnsafe(WINDOW)));
          batch.push(bytes);
          batchBytes += bytes.length;
          at += bytes.length;
          // The scratch buffer is read into again for the next range: write it out first.
          if (!cached) await write();
        }
      }
      if (batchBytes >= WINDOW || batch.length >= 1024) await write();
    }
    await write();
    this.queued = 0;
  }

  /** Overwrites bytes already written (a size or offset known only later). */
  async patch(at: number, b: Buffer): Promise<void> {
    if (at + b.length > this.written) await this.flush();
    await this.writeAll([b], b.length, at);
  }

  private async writeAll(buffers: Buffer[], total: number, position = this.written): Promise<void> {
    if (total === 0) return;
    let done = 0;
    let rest = buffers;
    while (done < total) {
      const { bytesWritten } = await this.handle.writev(rest, position + done);
      if (bytesWritten === 0) throw new Error("the output file accepts no more bytes");
      done += bytesWritten;
      rest = remainder(rest, bytesWritten);
    }
    if (position === this.written) this.written += total;
  }

  /**
   * Runs `write` with the source open for positional reads and the output being assembled, then
   * writes what is queued. Both files are closed whatever happens; a failed output is left for
   * the caller to remove, as any temp file.
   */
  static async rewrite<T>(input: string, output: string, flags: "w" | "wx", write: (src: FileBytes, out: RangeWriter) => Promise<T>): Promise<T> {
    const src = await FileBytes.open(input);
    try {
      const out = new RangeWriter(await fsp.open(output, flags), src);
      try {
        const result = await write(src, out);
        await out.flush();
        return result;
      } finally {
        await out.handle.close();
      }
    } finally {
      await src.close();
    }
  }
}

/** The buffers left once `n` bytes of them are written. */
function remainder(buffers: Buffer[], n: number): Buffer[] {
  let skip = n;
  const out: Buffer[] = [];
  for (const b of buffers) {
    if (skip >= b.length) {
      skip -= b.length;
      continue;
    }
    out.push(skip > 0 ? b.subarray(skip) : b);
    skip = 0;
  }
  return out;
}
