import fs from "node:fs";
import fsp from "node:fs/promises";
import { FileBytes } from "../file-bytes.js";

/** Where ExifTool's type test (and its PDF reader) looks for the header, and where every reader does. */
const HEADER_WITHIN = 1024;
/** The start ExifTool takes for a PDF: white space (Perl's `\s` on bytes), the header, a version. */
const EXIFTOOL_START = /^[\t\n\v\f\r ]*%PDF-\d+\.\d+/;
/** A header naming a major version, then perhaps a dot and a minor version. */
const VERSION = /^%PDF-\d+(\.?)(\d*)/;
/** What must stand in the file's last bytes for ExifTool (and most readers) to find its objects. */
const TAIL_BYTES = 1024;

/**
 * The bytes to lay over the start of a PDF whose header ExifTool misses, so that it reads the PDF
 * it is; null where it finds the header (or no reader would). Acrobat, pdf.js, poppler and qpdf
 * take a header anywhere in the first kilobyte, the file's offsets counting from it (a mail or web
 * server's lines before it), and a header naming no minor version (`%PDF-1.`) or no dot either
 * (`%PDF-1`); ExifTool takes one after white space only, with both numbers, and read such files
 * as text, which was refused. Laid over the same bytes, nothing moves: what stands before the
 * header becomes spaces (ExifTool then counts offsets from the header, as the others do), and a
 * missing minor version reads 0 (".0" without a dot), written over what follows the version in
 * the header's line and the comment lines and line ends after it, which every reader skips; a
 * header followed at once by an object has no room for it (ExifTool reads that file as text).
 */
export function headerPatch(head: Buffer): Buffer | null {
  const text = head.toString("latin1", 0, HEADER_WITHIN);
  const at = text.indexOf("%PDF-");
  if (at < 0 || EXIFTOOL_START.test(text)) return null;
  const version = VERSION.exec(text.slice(at));
  if (version == null) return null;
  const [header, dot, minor] = version;
  const missing = minor !== "" ? "" : dot !== "" ? "0" : ".0";
  const end = at + header.length;
  if (missing.length > skipped(text, end) - end || end + missing.length > HEADER_WITHIN) return null;
  return Buffer.from(" ".repeat(at) + header + missing, "latin1");
}

/**
 * Where what readers skip after `from` ends (within `text`): the rest of a comment line (the
 * header's own), then line ends and the comment lines after them.
 */
function skipped(text: string, from: number): number {
  let at = from;
  for (;;) {
    while (at < text.length && text[at] !== "\r" && text[at] !== "\n") at++;
    while (at < text.length && (text[at] === "\r" || text[at] === "\n" || text[at] === " " || text[at] === "\t")) at++;
    if (at >= text.length || text[at] !== "%") return at;
  }
}

/**
 * Whether the file ends as a PDF does (`startxref` and `%%EOF` in its last bytes): a text that
 * quotes a PDF header in its first kilobyte, and ends otherwise, stays text.
 */
export async function endsAsPdf(file: string): Promise<boolean> {
  const src = await FileBytes.open(file);
  try {
    const from = Math.max(0, src.size - TAIL_BYTES);
    const tail = (await src.read(from, src.size - from)).toString("latin1");
    return tail.includes("startxref") && tail.includes("%%EOF");
  } finally {
    await src.close();
  }
}

/** Writes `view`: the file with `patch` laid over its first bytes (see headerPatch). */
export async function writeHeaderView(file: string, patch: Buffer, view: string): Promise<void> {
  await fsp.copyFile(file, view, fs.constants.COPYFILE_FICLONE);
  const handle = await fsp.open(view, "r+");
  try {
    await handle.write(patch, 0, patch.length, 0);
  } finally {
    await handle.close();
  }
}
