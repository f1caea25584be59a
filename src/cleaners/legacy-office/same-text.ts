import crypto from "node:crypto";
import { BadFileError, TooComplexError } from "../errors.js";
import { runTool, ToolFailure } from "../run-tool.js";

const CHANGED = "The file could not be cleaned without changing its content; it may be damaged.";
const TIMEOUT_MS = 60_000;
const MAX_TEXT_BYTES = 64 * 1024 * 1024;

/** catdoc's readers of the text of each kind of Office 97-2003 file (the `catdoc` package). */
const READERS: Readonly<Record<string, readonly string[]>> = {
  DOC: ["catdoc", "-w", "-d", "utf-8"],
  DOT: ["catdoc", "-w", "-d", "utf-8"],
  XLS: ["xls2csv", "-d", "utf-8"],
  XLT: ["xls2csv", "-d", "utf-8"],
  PPT: ["catppt", "-d", "utf-8"],
  PPS: ["catppt", "-d", "utf-8"],
  POT: ["catppt", "-d", "utf-8"],
};

/**
 * Refuses a cleaned Office 97-2003 file whose text is not the original's, as catdoc's readers
 * (apart from the cleaner's own record walking) extract it, compared without whitespace. The
 * cleaner edits fields in place and never the text, so a difference means the text was damaged.
 */
export async function checkSameLegacyText(original: string, cleaned: string, fileType: string): Promise<void> {
  const reader = READERS[fileType];
  if (reader == null) return;
  const before = await text(reader, original);
  const after = await text(reader, cleaned);
  if (before.digest !== after.digest) {
    throw new BadFileError(CHANGED, new Error(`legacy-office: the ${fileType}'s text (${before.chars} characters, ${reader[0]}) is not the original's (now ${after.chars})`));
  }
}

async function text(reader: readonly string[], file: string): Promise<{ digest: string; chars: number }> {
  const [cmd, ...args] = reader;
  let r;
  try {
    r = await runTool(cmd!, [...args, file], { timeoutMs: TIMEOUT_MS, maxOutputBytes: MAX_TEXT_BYTES });
  } catch (err) {
    if (err instanceof ToolFailure) throw new TooComplexError(`${cmd} could not read the document's text within its limits`, err);
    throw err;
  }
  if (r.code !== 0) throw new BadFileError("The document's text could not be read.", new Error(`${cmd} exited ${r.code}: ${r.stderr.slice(0, 2000)}`));
  const t = r.stdout.toString("utf8").replace(/\s+/gu, "");
  return { digest: crypto.createHash("sha256").update(t, "utf8").digest("hex"), chars: t.length };
}
