import { Transform, type TransformCallback } from "node:stream";
import { BadFileError, TooComplexError } from "./errors.js";

/**
 * Shared by the parsers that unpack a client's file (ZIP and tar archives, office packages, XML
 * parts): counting bytes as they flow, and telling the file's fault from the service's.
 */

/** Passes bytes through, reporting each chunk's size first; a throw stops the stream. */
export class ByteCounter extends Transform {
  constructor(private readonly onBytes: (n: number) => void) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    try {
      this.onBytes(chunk.length);
      cb(null, chunk);
    } catch (err) {
      cb(err instanceof Error ? err : new Error(String(err)));
    }
  }
}

/**
 * True for an error that already says what it is: a verdict on the file (bad, too complex), or a
 * failing disk, which is the service's problem and must not become a 422. Anything else a parser
 * throws means the file is damaged.
 */
export function isSettledError(err: unknown): err is Error {
  return err instanceof BadFileError || err instanceof TooComplexError || (err instanceof Error && typeof (err as NodeJS.ErrnoException).syscall === "string");
}
