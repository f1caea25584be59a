import fsp from "node:fs/promises";
import { readCompound } from "./compound-read.js";
import { CONTINUE, FILE_SHARING, MSO_DRAWING_GROUP, WRITE_ACCESS } from "./excel.js";
import { HLINK, HLINK_TOOLTIP } from "./hyperlink-object.js";
import { PLS } from "./printer-settings.js";
import { carriesSourceText } from "./record-text.js";
import { EXT_STRING, SX_STRING } from "./workbook-queries.js";

/** The records the cleaner rewrites in place: the user names, the drawing groups (their pictures), the strings of external data queries, the hyperlinks, the printer settings. */
const REWRITTEN = new Set([WRITE_ACCESS, FILE_SHARING, MSO_DRAWING_GROUP, SX_STRING, EXT_STRING, HLINK, HLINK_TOOLTIP, PLS]);
/** Records whose Continue records the cleaner rewrites with them. */
const CONTINUED = new Set([MSO_DRAWING_GROUP, PLS]);

/**
 * Why the cleaned workbook's records are not the original's, or null: the same records in the
 * same order, each of the same type and length, and each byte for byte the same but for the ones
 * the cleaner rewrites in place (WriteAccess, FileSharing, a drawing group with the Continue
 * records that carry it on, a query's SXString and ExtString records, those record-text.ts
 * scrubs: TxtQry, a query's SXAddl, DConn; the hyperlinks and their tooltips; the printer
 * settings and their Continue records). The cells' text (the shared strings, labels, their
 * Continue records) is then the original's, whatever a reader makes of it.
 */
export async function workbookDifference(original: string, cleaned: string): Promise<string | null> {
  const [before, after] = await Promise.all([original, cleaned].map(async (f) => workbookStream(await fsp.readFile(f))));
  if (before == null || after == null) return "a workbook stream is missing";
  if (before.length !== after.length) return `the workbook stream was ${before.length} bytes, now ${after.length}`;
  let previous = -1;
  for (let pos = 0; pos + 4 <= before.length; ) {
    const type = before.readUInt16LE(pos);
    const end = Math.min(pos + 4 + before.readUInt16LE(pos + 2), before.length);
    const rewritten = REWRITTEN.has(type) || (type === CONTINUE && CONTINUED.has(previous)) || carriesSourceText(type, before.subarray(pos + 4, end), true);
    if (!before.subarray(pos, rewritten ? pos + 4 : end).equals(after.subarray(pos, rewritten ? pos + 4 : end))) return `its record at byte ${pos} changed`;
    if (type !== CONTINUE) previous = type;
    pos = end;
  }
  return null;
}

/** The root storage's workbook stream (BIFF8 `Workbook`, BIFF5 `Book`; names compare without case). */
function workbookStream(file: Buffer): Buffer | null {
  const doc = readCompound(file);
  const root = doc.FullPaths[0] ?? "";
  const i = doc.FullPaths.findIndex((p) => /^(Workbook|Book)$/i.test(p.slice(root.length)));
  const e = i < 0 ? undefined : doc.FileIndex[i];
  return e?.content == null ? null : Buffer.from(e.content);
}
