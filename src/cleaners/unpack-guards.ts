import fs from "node:fs";
import { Transform, type TransformCallback } from "node:stream";
import { BadFileError, TooComplexError } from "./errors.js";

/**
 * Shared by the parsers that unpack a client's file (ZIP and tar archives, office packages, XML
 * parts): counting bytes as they flow, unpacking into files that are closed before a failure is
 * told, and telling the file's fault from the service's.
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
 * Runs `write` (a pipeline ending in the stream it is given) into a new file, and settles only once
 * that file is closed, failed or not. stream.pipeline rejects on the first error without waiting
 * for the other streams to be destroyed: the file's open can still be queued in libuv's thread
 * pool then, and create the file after the cleaner failed, in the work folder its caller was
 * removing (rmSync's ENOTEMPTY, a 500 in place of the refusal: fuzz seed 1657653122, #2083).
 */
export async function intoNewFile(file: string, write: (out: fs.WriteStream) => Promise<void>): Promise<void> {
  const out = fs.createWriteStream(file, { flags: "wx" });
  try {
    await write(out);
  } catch (err) {
    await closeAbandoned(out);
    throw err;
  }
}

/** Destroys an abandoned file stream, and waits until it is closed or its open has failed. */
export async function closeAbandoned(out: fs.WriteStream): Promise<void> {
  if (out.closed) return;
  const done = new Promise<void>((resolve) => out.once("close", () => resolve()));
  // Its own failure (an open refused, a write cut short) is not the answer: the error that
  // abandoned it is.
  out.on("error", () => undefined).destroy();
  await done;
}

/**
 * True for an error that already says what it is: a verdict on the file (bad, too complex), or a
 * failing disk, which is the service's problem and must not become a 422. Anything else a parser
 * throws means the file is damaged.
 */
export function isSettledError(err: unknown): err is Error {
  return err instanceof BadFileError || err instanceof TooComplexError || (err instanceof Error && typeof (err as NodeJS.ErrnoException).syscall === "string");
}
