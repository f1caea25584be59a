import type { ExifTool } from "exiftool-vendored";
import { AppError } from "../errors.js";
import { type RawRead, readAll } from "./read-task.js";

/**
 * Reads a file's tags before it is cleaned. ExifTool failing twice on one file (the pool retries
 * once) means the file took it past its memory, time or output limits: a decompression bomb or a
 * file built to be slow, which is the client's problem and a 422, not the service's.
 */
export async function readBeforeCleaning(exiftool: ExifTool, file: string): Promise<RawRead> {
  try {
    return await readAll(exiftool, file, false);
  } catch (err) {
    throw new AppError("unprocessable", "The file could not be read within the service's memory, time and output limits.", err);
  }
}
