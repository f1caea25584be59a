import { innerRefusal } from "../inner-refusal.js";
import type { CleanContext } from "../types.js";
import type { FileEntry } from "./zip-read.js";

/**
 * Cleans a file embedded in a document (a picture, an embedded workbook) with the cleaner the
 * registry picks for its bytes, and gives the clean copy's path. A file no cleaner handles makes
 * the whole document refused, naming its part and type: handing it back as it was could hand back
 * its metadata.
 */
export async function cleanEmbedded(ctx: CleanContext, entry: FileEntry): Promise<string> {
  // An empty part holds nothing, and no cleaner recognises zero bytes.
  if (entry.size === 0) return entry.file;
  const out = `${entry.file}.clean`;
  const ok = await ctx.cleanNested(entry.file, out);
  if (!ok) throw innerRefusal(ctx, "The document holds an embedded file", entry.file, entry.name, `no cleaner for ${entry.name}`);
  return out;
}
