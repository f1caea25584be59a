import type { ExifToolAccess } from "../cleaners/types.js";
import { TooComplexError } from "../cleaners/errors.js";
import { type RawRead, readAll } from "./read-task.js";

/**
 * Reads a file's tags before it is cleaned. ExifTool failing on a file (retried once, but not after
 * a timeout or too much output: task-runner.ts) means the file took it past its memory, time or
 * output limits: a decompression bomb or a file built to be slow, which is the client's problem
 * and a 422, not the service's.
 */
export async function readBeforeCleaning(exiftool: ExifToolAccess, file: string, head?: Buffer): Promise<RawRead> {
  try {
    return await readAll(exiftool, file, false, head);
  } catch (err) {
    throw new TooComplexError("ExifTool could not read the file within its memory, time and output limits", err);
  }
}
