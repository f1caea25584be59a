import crypto from "node:crypto";
import { BadFileError, TooComplexError } from "../errors.js";
import { runTool, ToolFailure } from "../run-tool.js";
import { wordFinalText } from "./word-final-text.js";
import { workbookDifference } from "./workbook-records.js";

const CHANGED = "The file could not be cleaned without changing its content; it may be damaged.";
const TIMEOUT_MS = 60_000;
const MAX_TEXT_BYTES = 64 * 1024 * 1024;

/** catdoc's readers of the text of Excel and PowerPoint files (the `catdoc` package). */
const READERS: Readonly<Record<string, readonly string[]>> = {
  XLS: ["xls2csv", "-d", "utf-8"],
  XLT: ["xls2csv", "-d", "utf-8"],
  PPT: ["catppt", "-d", "utf-8"],
  PPS: ["catppt", "-d", "utf-8"],
  POT: ["catppt", "-d", "utf-8"],
};
/** Workbooks whose text xls2csv cannot read the same twice are compared record by record (workbook-records.ts). */
const WORKBOOKS = new Set(["XLS", "XLT"]);
/** Word files are read through their piece table (word-final-text.ts), not by catdoc. */
const WORD = new Set(["DOC", "DOT"]);
/** Presentations, whose cleaned copies may lose whole records of text: those earlier saves left (powerpoint-edits.ts). */
const PRESENTATIONS = new Set(["PPT", "PPS", "POT"]);

/**
 * Refuses a cleaned Office 97-2003 file whose text is not the original's, as a reader apart from
 * the cleaner's own record walking extracts it (word-extractor for Word, catdoc's xls2csv and
 * catppt for Excel and PowerPoint), compared without whitespace. The cleaner edits fields in
 * place and never the text, so a difference means the text was damaged. A workbook xls2csv
 * cannot read (the same twice) is held to its records instead: all the original's, unchanged
 * but for those the cleaner rewrites.
 *
 * `removedText`: the characters the cleaner blanked on purpose (a Word document's comments and
 * tracked deletions, word-review.ts; a presentation's records that earlier saves left,
 * powerpoint-edits.ts), white space left out. A Word document's blanked copy must then give the
 * same lines, each the original's line with characters taken out (in order, nothing added or
 * moved), and all the characters taken out together must be among those the cleaner declared.
 * (The reader leaves text formatted as deleted out, so what shows of the declared text is
 * mostly the comments'.) A presentation's copy must give the original's lines less some whole
 * lines, whose characters together are among those declared.
 */
export async function checkSameLegacyText(original: string, cleaned: string, fileType: string, removedText = ""): Promise<void> {
  const reader = readerOf(fileType);
  if (reader == null) return;
  let why: string | null;
  if (WORKBOOKS.has(fileType)) why = await workbookTextDifference(reader.read, original, cleaned);
  else {
    const [before, after] = await Promise.all([reader.read(original), reader.read(cleaned)]);
    if (removedText === "") why = sameText(before, after);
    else why = PRESENTATIONS.has(fileType) ? sameLinesDropped(before, after, removedText) : sameLinesLess(before, after, removedText);
  }
  if (why != null) {
    throw new BadFileError(CHANGED, new Error(`legacy-office: the ${fileType}'s text (${reader.name}) is not the original's: ${why}`));
  }
}

/**
 * Why a cleaned workbook's text is not the original's, or null. xls2csv reads some workbooks'
 * shared strings (rich or phonetic runs that Continue records split: Tika's
 * testEXCEL_phonetic.xls) past their end, into memory it never wrote, giving another text at each
 * reading, and crashes on others (jxl's: Tika's jxl.xls); the original is read twice to know.
 * When the reader cannot be trusted with the original, the workbook is held to its records.
 */
async function workbookTextDifference(read: (file: string) => Promise<string>, original: string, cleaned: string): Promise<string | null> {
  const [first, second, after] = await Promise.allSettled([read(original), read(original), read(cleaned)]);
  if (first.status === "rejected" || second.status === "rejected" || first.value !== second.value) return workbookDifference(original, cleaned);
  if (after.status === "rejected") throw after.reason;
  return sameText(first.value, after.value);
}

function readerOf(fileType: string): { name: string; read: (file: string) => Promise<string> } | null {
  if (WORD.has(fileType)) return { name: "word-extractor", read: wordFinalText };
  const tool = READERS[fileType];
  return tool == null ? null : { name: tool[0]!, read: (file) => text(tool, file) };
}

const strip = (s: string): string => s.replace(/\s+/gu, "");

function sameText(before: string, after: string): string | null {
  const a = strip(before);
  const b = strip(after);
  if (a === b) return null;
  const digest = (t: string): string => crypto.createHash("sha256").update(t, "utf8").digest("hex").slice(0, 16);
  return `${a.length} characters (${digest(a)}), now ${b.length} (${digest(b)})`;
}

/** Why `after` is not `before` less some of `removed`'s characters, line by line; null when it is. */
function sameLinesLess(before: string, after: string, removed: string): string | null {
  const linesBefore = before.split("\n");
  const linesAfter = after.split("\n");
  if (linesBefore.length !== linesAfter.length) return `${linesBefore.length} lines, now ${linesAfter.length}`;
  const budget = new Map<string, number>();
  for (const ch of removed) budget.set(ch, (budget.get(ch) ?? 0) + 1);
  for (let i = 0; i < linesBefore.length; i++) {
    const was = [...strip(linesBefore[i]!)];
    const is = [...strip(linesAfter[i]!)];
    let k = 0;
    for (const ch of was) {
      if (k < is.length && is[k] === ch) {
        k++;
        continue;
      }
      const left = budget.get(ch) ?? 0;
      if (left === 0) return `line ${i + 1} lost a character the cleaner did not remove`;
      budget.set(ch, left - 1);
    }
    if (k < is.length) return `line ${i + 1} holds characters the original's does not`;
  }
  return null;
}

/** Why `after` is not `before` less whole lines whose characters are among `removed`'s; null when it is. */
function sameLinesDropped(before: string, after: string, removed: string): string | null {
  const lines = (t: string): string[] => t.split("\n").map(strip).filter((l) => l !== "");
  const linesAfter = lines(after);
  const budget = new Map<string, number>();
  for (const ch of strip(removed)) budget.set(ch, (budget.get(ch) ?? 0) + 1);
  let k = 0;
  for (const line of lines(before)) {
    if (k < linesAfter.length && linesAfter[k] === line) {
      k++;
      continue;
    }
    for (const ch of line) {
      const left = budget.get(ch) ?? 0;
      if (left === 0) return "a line went that the cleaner did not remove";
      budget.set(ch, left - 1);
    }
  }
  return k < linesAfter.length ? "the copy holds lines the original does not" : null;
}

async function text(reader: readonly string[], file: string): Promise<string> {
  const [cmd, ...args] = reader;
  let r;
  try {
    r = await runTool(cmd!, [...args, file], { timeoutMs: TIMEOUT_MS, maxOutputBytes: MAX_TEXT_BYTES });
  } catch (err) {
    if (err instanceof ToolFailure) throw new TooComplexError(`${cmd} could not read the document's text within its limits`, err);
    throw err;
  }
  if (r.code !== 0) throw new BadFileError("The document's text could not be read.", new Error(`${cmd} exited ${r.code}: ${r.stderr.slice(0, 2000)}`));
  return r.stdout.toString("utf8");
}
