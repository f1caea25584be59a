import fsp from "node:fs/promises";
import { BadFileError } from "../errors.js";
import { contentDigest, rewriteRecords } from "./biff12.js";
import { partRewrite, type PartRewritePlan } from "./xlsb-records.js";
import type { FileEntry } from "./zip-read.js";

const COMPOUND_SIGNATURE = Buffer.from("d0cf11e0a1b11ae1", "hex");

/** True for a part that is a compound file (a VBA project, an embedded object): cleaned as the file it is. */
export async function isCompoundFile(entry: FileEntry): Promise<boolean> {
  if (entry.size < COMPOUND_SIGNATURE.length) return false;
  const handle = await fsp.open(entry.file, "r");
  try {
    const head = Buffer.alloc(COMPOUND_SIGNATURE.length);
    await handle.read(head, 0, head.length, 0);
    return head.equals(COMPOUND_SIGNATURE);
  } finally {
    await handle.close();
  }
}

const CHANGED = "The file could not be cleaned without changing its content; it may be damaged.";

/**
 * Cleans one binary part of an XLSB (xlsb-records.ts) and gives the clean copy's file. The copy is
 * read again on its own: every record the rewrite does not touch must come out as it went in, in
 * the same order (cells, formulas, strings, formatting: the workbook's content).
 */
export async function cleanBinaryPart(entry: FileEntry, plan: PartRewritePlan): Promise<string> {
  const out = `${entry.file}.records`;
  const rewrite = partRewrite(plan);
  const before = await rewriteRecords(entry.file, out, rewrite);
  const after = await contentDigest(out, rewrite.watched);
  if (after !== before) throw new BadFileError(CHANGED, new Error(`xlsb: the records of ${entry.name} changed outside the metadata`));
  return out;
}
