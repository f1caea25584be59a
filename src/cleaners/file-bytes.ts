import fs from "node:fs";
import fsp, { type FileHandle } from "node:fs/promises";
import { throwIfTaskStopped } from "../isolation/worker-channel.js";

/** Bytes read at once: walking a file's small structures costs one read per mebibyte. */
export const WINDOW = 1 << 20;

/**
 * A file's first `length` bytes (fewer when it is shorter), in one open and read: the steps that
 * decide by a file's start (the screen, the type guessed from the bytes, whether ExifTool needs
 * `-ee`) share it instead of each opening the file.
 */
export async function readHead(file: string, length: number): Promise<Buffer> {
  const handle = await fsp.open(file, "r");
  try {
    const { bytesRead, buffer } = await handle.read(Buffer.allocUnsafe(length), 0, length, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/**
 * The same, read in place: for a task process looking at the starts of many small files in turn
 * (a PDF's streams, each in a file of qpdf's), where a promise per open, read and close costs
 * several times the reading.
 */
export function readHeadSync(file: string, length: number): Buffer {
  const fd = fs.openSync(file, "r");
  try {
    const buffer = Buffer.allocUnsafe(length);
    return buffer.subarray(0, fs.readSync(fd, buffer, 0, length, 0));
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * A file read by position, for the byte-level cleaners: they walk files of any size holding one
 * window of it at a time, never the whole file. Returned buffers are views of a window that is
 * never reused, so they stay valid after later reads.
 */
export class FileBytes {
  private window: Buffer = Buffer.alloc(0);
  private base = 0;

  private constructor(
    private readonly handle: FileHandle | null,
    readonly size: number,
  ) {}

  /**
   * A file of `size` bytes seen through its first bytes only (`head`, already in memory): a walk
   * over it that needs bytes past them rejects with `PastHeadError` instead of reading.
   */
  static ofHead(head: Buffer, size: number): FileBytes {
    const bytes = new FileBytes(null, size);
    bytes.window = head;
    return bytes;
  }

  static async open(file: string): Promise<FileBytes> {
    const handle = await fsp.open(file, "r");
    try {
      const { size } = await handle.stat();
      return new FileBytes(handle, size);
    } catch (err) {
      await handle.close();
      throw err;
    }
  }

  close(): Promise<void> {
    return this.handle?.close() ?? Promise.resolve();
  }

  /**
   * The bytes [at, at + length) when the current window holds them (fewer where the file ends),
   * without reading: lets hot loops skip an `await` for what is already in memory.
   */
  peek(at: number, length: number): Buffer | undefined {
    const from = at - this.base;
    if (from < 0 || from > this.window.length) return undefined;
    const end = Math.min(at + length, this.size) - this.base;
    return end <= this.window.length ? this.window.subarray(from, Math.max(from, end)) : undefined;
  }

  /**
   * The bytes from `at` on that the current window holds, at most `length` (none: undefined),
   * without reading: a copy takes what is in memory and reads only the rest.
   */
  held(at: number, length: number): Buffer | undefined {
    const from = at - this.base;
    if (from < 0 || from >= this.window.length || length <= 0) return undefined;
    return this.window.subarray(from, Math.min(this.window.length, from + length));
  }

  /** Up to `length` bytes at `at`: fewer only where the file ends. Reads a new window when needed. */
  async read(at: number, length: number): Promise<Buffer> {
    const cached = this.peek(at, length);
    if (cached != null) return cached;
    throwIfTaskStopped();
    const buf = await this.fill(at, Math.max(length, WINDOW));
    this.window = buf;
    this.base = at;
    return buf.subarray(0, length);
  }

  /** One byte, or undefined past the end of the file. */
  async byte(at: number): Promise<number | undefined> {
    return (this.peek(at, 1) ?? (await this.read(at, 1)))[0];
  }

  /**
   * The bytes from `at` to the end of a window, at least `min` of them unless the file ends
   * sooner (empty at the end): for scans, which then run synchronously over the buffer.
   */
  async from(at: number, min = 1): Promise<Buffer> {
    const rest = this.rest(at);
    if (rest != null && (rest.length >= min || this.base + this.window.length >= this.size)) return rest;
    return this.read(at, WINDOW);
  }

  /** The offset of the first `value` byte at or after `from`, or -1. */
  async indexOf(value: number, from: number): Promise<number> {
    for (let at = from; at < this.size; ) {
      const chunk = await this.from(at);
      if (chunk.length === 0) break; // the file shrank while being read
      const i = chunk.indexOf(value);
      if (i >= 0) return at + i;
      at += chunk.length;
    }
    return -1;
  }

  /** The offset of the first byte from `from` on that is not `value`, or the file's size. */
  async skip(value: number, from: number): Promise<number> {
    for (let at = from; at < this.size; ) {
      const chunk = await this.from(at);
      if (chunk.length === 0) break;
      let i = 0;
      while (i < chunk.length && chunk[i] === value) i++;
      if (i < chunk.length) return at + i;
      at += chunk.length;
    }
    return this.size;
  }

  /**
   * Exactly the bytes [at, at + length), for copying: a view of the window when it holds them
   * (`cached` true), otherwise read into `scratch` (at least `length` long, reused by the caller
   * once the bytes are written) without disturbing the window a walk is using.
   */
  async slice(at: number, length: number, scratch: Buffer): Promise<{ bytes: Buffer; cached: boolean }> {
    const cached = this.peek(at, length);
    if (cached?.length === length) return { bytes: cached, cached: true };
    const got = await this.fill(at, length, scratch);
    if (got.length !== length) throw new Error(`the file ended at ${at + got.length} while its bytes up to ${at + length} were copied`);
    return { bytes: got, cached: false };
  }

  /** What the window holds from `at` to its end, when it holds `at`. */
  private rest(at: number): Buffer | undefined {
    const from = at - this.base;
    return from >= 0 && from < this.window.length ? this.window.subarray(from) : undefined;
  }

  private async fill(at: number, length: number, into?: Buffer): Promise<Buffer> {
    if (this.handle == null) throw new PastHeadError();
    const n = Math.max(0, Math.min(length, this.size - at));
    const buf = into != null ? into.subarray(0, n) : Buffer.allocUnsafe(n);
    let got = 0;
    while (got < buf.length) {
      const { bytesRead } = await this.handle.read(buf, got, buf.length - got, at + got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    return buf.subarray(0, got);
  }
}

/** A walk over `FileBytes.ofHead` needed bytes past the head it was given. */
export class PastHeadError extends Error {
  constructor() {
    super("the walk needs bytes past the file's head");
  }
}
