import fs from "node:fs";
import fsp from "node:fs/promises";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { ByteCounter, isSettledError } from "../../cleaners/unpack-guards.js";

const OVER = new Error("more bytes than allowed");

/** Bytes that came out of a container; `complete` false when they are not the whole file (`dest` was removed). */
export interface Copied {
  written: number;
  complete: boolean;
}

/**
 * Streams `source` into `dest` (a new file), counting the bytes as they come, and stops past
 * `maxBytes`; a source that fails (a damaged member) is an incomplete copy too. A failing disk is
 * the service's problem and is thrown.
 */
export async function copyCounted(source: () => Promise<Readable>, dest: string, maxBytes: number): Promise<Copied> {
  let size = 0;
  try {
    await pipeline(
      await source(),
      new ByteCounter((n) => {
        size += n;
        if (size > maxBytes) throw OVER;
      }),
      fs.createWriteStream(dest, { flags: "wx" }),
    );
    return { written: size, complete: true };
  } catch (err) {
    await fsp.rm(dest, { force: true });
    if (err !== OVER && isSettledError(err)) throw err;
    return { written: size, complete: false };
  }
}

/**
 * Writes the bytes `make` gives (`size` of them, or close: made only when they fit in `maxBytes`);
 * `make` gives null when the container cannot give them (damaged data).
 */
export async function written(make: () => Buffer | null, size: number, dest: string, maxBytes: number): Promise<Copied> {
  if (size > maxBytes) return { written: maxBytes, complete: false };
  const data = make();
  if (data == null) return { written: 0, complete: false };
  if (data.length > maxBytes) return { written: maxBytes, complete: false };
  await fsp.writeFile(dest, data, { flag: "wx" });
  return { written: data.length, complete: true };
}
