import fsp, { type FileHandle } from "node:fs/promises";

const WINDOW = 1 << 20;

/**
 * Reads a file by position through one window, for the structural proofs: a file of any size is
 * walked holding at most a mebibyte of it (more only for a single longer read). The window's
 * memory is reused, so a returned buffer is valid only until the next call. Kept apart from the
 * cleaners' own reader so that a proof shares no code with what it checks.
 */
export class ProofReader {
  private window: Buffer = Buffer.alloc(0);
  private base = 0;
  private memory: Buffer | undefined;

  private constructor(
    private readonly handle: FileHandle,
    readonly size: number,
  ) {}

  static async use<T>(file: string, walk: (r: ProofReader) => Promise<T>): Promise<T> {
    const handle = await fsp.open(file, "r");
    try {
      return await walk(new ProofReader(handle, (await handle.stat()).size));
    } finally {
      await handle.close();
    }
  }

  /** Exactly `length` bytes from `at`, or null when the file ends before them. */
  async bytes(at: number, length: number): Promise<Buffer | null> {
    if (at < 0 || at + length > this.size) return null;
    if (at < this.base || at + length > this.base + this.window.length) await this.load(at, length);
    return this.window.subarray(at - this.base, at - this.base + length);
  }

  /** The bytes from `at` to the end of the current window (reading a new one from `at` when needed). */
  async from(at: number): Promise<Buffer> {
    if (at >= this.size) return Buffer.alloc(0);
    if (at < this.base || at >= this.base + this.window.length) await this.load(at, 1);
    return this.window.subarray(at - this.base);
  }

  private async load(at: number, length: number): Promise<void> {
    const want = Math.min(Math.max(WINDOW, length), this.size - at);
    if (this.memory == null || this.memory.length < want) this.memory = Buffer.allocUnsafe(want);
    const buffer = this.memory;
    const { bytesRead } = await this.handle.read(buffer, 0, want, at);
    this.window = buffer.subarray(0, bytesRead);
    this.base = at;
  }
}
