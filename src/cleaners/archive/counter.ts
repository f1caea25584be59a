import { Transform, type TransformCallback } from "node:stream";

/** Passes bytes through, reporting each chunk's size first; a throw stops the stream. */
export class Counter extends Transform {
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

/** A failing disk is the service's problem, not a bad archive: only archive errors become a 422. */
export function isSystemError(err: unknown): boolean {
  return err instanceof Error && typeof (err as NodeJS.ErrnoException).syscall === "string";
}
