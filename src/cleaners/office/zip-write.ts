import fs from "node:fs";
import { pipeline } from "node:stream/promises";
import yazl from "yazl";

/** One entry of the archive to write. */
export interface OutEntry {
  name: string;
  /** The bytes, a file holding them, or "directory" for an empty folder entry. */
  source: Buffer | { file: string } | "directory";
  /** Stored uncompressed (OpenDocument's `mimetype` must be). */
  stored?: boolean;
}

/**
 * Entry times leak when a document was last edited, so every entry gets the earliest DOS date
 * (built in local time because yazl encodes DOS fields in local time: the bytes then read
 * 1980-01-01 00:00:00 whatever the server's time zone).
 */
export const FIXED_MTIME = new Date(1980, 0, 1, 0, 0, 0);
/** How ExifTool prints that date (ZIP:ZipModifyDate). */
export const FIXED_MTIME_EXIFTOOL = "1980:01:01 00:00:00";

/**
 * Writes a new archive with nothing but names and data: no archive or entry comments, no extra
 * fields (`forceDosTimestamp` drops yazl's UTC timestamp field), fixed times and modes.
 */
export async function writeZip(output: string, entries: readonly OutEntry[]): Promise<void> {
  const zip = new yazl.ZipFile();
  for (const e of entries) {
    const base = { mtime: FIXED_MTIME, forceDosTimestamp: true };
    if (e.source === "directory") {
      zip.addEmptyDirectory(e.name.replace(/\/+$/, ""), { ...base, mode: 0o40755 });
      continue;
    }
    const opts = { ...base, mode: 0o100644, compress: e.stored !== true };
    if (Buffer.isBuffer(e.source)) zip.addBuffer(e.source, e.name, opts);
    else zip.addFile(e.source.file, e.name, opts);
  }
  zip.end();
  await pipeline(zip.outputStream, fs.createWriteStream(output, { flags: "wx" }));
}
