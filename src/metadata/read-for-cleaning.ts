import type { DecryptedPdf } from "../cleaners/pdf/decrypted-view.js";
import type { ExifToolAccess } from "../cleaners/types.js";
import { BadFileError, TooComplexError } from "../cleaners/errors.js";
import { hasCutSampleTable } from "../cleaners/media/iso-cut-tables.js";
import { type RawRead, readAll } from "./read-task.js";

/**
 * Reads a file's tags before it is cleaned. ExifTool failing on a file (retried once, but not after
 * a timeout or too much output: task-runner.ts) means the file took it past its memory, time or
 * output limits: a decompression bomb or a file built to be slow, which is the client's problem
 * and a 422, not the service's. Except a movie whose sample tables are cut short, which kills
 * ExifTool's process at once (iso-cut-tables.ts): that file is damaged, and is told so.
 */
export async function readBeforeCleaning(exiftool: ExifToolAccess, file: string, head?: Buffer, decrypted?: DecryptedPdf | null): Promise<RawRead> {
  try {
    return await readAll(exiftool, file, false, head, decrypted);
  } catch (err) {
    if (await hasCutSampleTable(file).catch(() => false)) throw new BadFileError("The file is damaged: a track's table of samples is cut short.", err);
    throw new TooComplexError("ExifTool could not read the file within its memory, time and output limits", err);
  }
}
