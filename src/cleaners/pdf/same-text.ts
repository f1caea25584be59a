import crypto from "node:crypto";
import { BadFileError, TooComplexError } from "../errors.js";
import { runTool, ToolFailure } from "../run-tool.js";

const CHANGED = "The file could not be cleaned without changing its content; it may be damaged.";
const TIMEOUT_MS = 120_000;
/** The text of the pages, extracted whole: a text PDF of thousands of pages stays far below. */
const MAX_TEXT_BYTES = 64 * 1024 * 1024;

/** What pdftotext reads on a PDF's pages, whitespace left out, as a digest, and how many pages it read. */
export interface PageText {
  digest: string;
  chars: number;
  /** pdftotext ends every page it reads with a form feed. */
  pages: number;
}

/**
 * Refuses a cleaned PDF whose pages do not read the same as the original's: the text poppler's
 * pdftotext extracts (a reader of its own, apart from qpdf, which wrote the copy), compared
 * without whitespace. Cleaning never touches page content, so any difference means a page's
 * content was lost or damaged on the way. pdftotext also reads the annotations' appearances, so
 * the caller skips the check where cleaning removed annotations. `original` may be the
 * original's text read beforehand (`pageText`), alongside the cleaning. Resolves to the number of
 * pages pdftotext read in the cleaned copy.
 */
export async function checkSamePdfText(original: string | Promise<PageText>, cleaned: string): Promise<number> {
  const [before, after] = await Promise.all([typeof original === "string" ? pageText(original) : original, pageText(cleaned)]);
  if (before.digest !== after.digest) {
    throw new BadFileError(CHANGED, new Error(`pdf: the pages' text (${before.chars} characters) is not the original's (now ${after.chars})`));
  }
  return after.pages;
}

/**
 * `-raw` keeps the content streams' order instead of laying the text out in reading order: the
 * digest only has to be the same for two files whose pages draw the same, and the layout analysis
 * costs far more than the text, worst for slanted lines: 10 pages of 1,500 rotated lines took 30.7 s
 * of CPU (0.8 s raw), 200 pages of 1,500 stacked ones 62.8 s (5.3 s raw), so that a small file
 * repeating one page's content on many pages kept the proof busy past the request's deadline.
 */
export async function pageText(file: string): Promise<PageText> {
  let r;
  try {
    r = await runTool("pdftotext", ["-q", "-raw", "-enc", "UTF-8", file, "-"], { timeoutMs: TIMEOUT_MS, maxOutputBytes: MAX_TEXT_BYTES });
  } catch (err) {
    if (err instanceof ToolFailure) throw new TooComplexError("pdftotext could not read the PDF's text within its limits", err);
    throw err;
  }
  if (r.code !== 0) throw new BadFileError("The PDF is damaged and could not be read.", new Error(`pdftotext exited ${r.code}: ${r.stderr.slice(0, 2000)}`));
  const all = r.stdout.toString("utf8");
  const text = all.replace(/\s+/gu, "");
  return { digest: crypto.createHash("sha256").update(text, "utf8").digest("hex"), chars: text.length, pages: all.split("\f").length - 1 };
}
