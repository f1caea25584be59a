import { readHead } from "../cleaners/file-bytes.js";
import { isPngHead } from "../cleaners/image/png-chunks.js";
import type { DecryptedPdf } from "../cleaners/pdf/decrypted-view.js";
import type { ExifToolAccess } from "../cleaners/types.js";
import { withOriginalPdfTags } from "./original-pdf-tags.js";

/** ExifTool's JSON for one file, keys as `Group:Tag`. */
export type RawTags = Record<string, unknown>;

/** Reads `length` bytes of a file from `at` (fewer at its end): how the readers of types ExifTool does not know see a file. */
export type ReadBytes = (at: number, length: number) => Promise<Buffer>;

export interface RawRead {
  tags: RawTags;
  /** Messages ExifTool printed on stderr (its JSON `Error`/`Warning` tags are in `tags`). */
  messages: string[];
}

/**
 * Reads a file through the pool, asking for embedded documents only where they can exist. `head`
 * is the file's start when the caller has read it already (at least 12 bytes unless the file is
 * shorter). `decrypted`: the file is an encrypted PDF's decrypted view (see Screened), read with
 * what ExifTool reads of the original itself.
 */
export async function readAll(exiftool: ExifToolAccess, file: string, numeric: boolean, head?: Buffer, decrypted?: DecryptedPdf | null): Promise<RawRead> {
  const start = head ?? (await readHead(file, 12));
  const read = await exiftool.read(file, { numeric, embedded: !isPlainImage(start), ...(head != null ? { head } : {}) });
  return decrypted == null ? read : { ...read, tags: withOriginalPdfTags(read.tags, decrypted, numeric) };
}

/**
 * JPEG, PNG, GIF and WebP hold no timed metadata or embedded documents worth `-ee`, which makes
 * ExifTool scan a JPEG whole for MPF previews (three times the CPU on a 48 MP photo) only to
 * report their copies of the main image's tags under the same names.
 */
function isPlainImage(head: Buffer): boolean {
  return (
    (head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) ||
    isPngHead(head) ||
    head.subarray(0, 4).toString("latin1") === "GIF8" ||
    (head.subarray(0, 4).toString("latin1") === "RIFF" && head.subarray(8, 12).toString("latin1") === "WEBP")
  );
}
