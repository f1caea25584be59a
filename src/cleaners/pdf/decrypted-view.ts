import { BadFileError } from "../errors.js";
import { ToolFailure } from "../run-tool.js";
import { isDict, isRef, objectKey } from "./object-view.js";
import { PASSWORD_PROTECTED, qpdf, qpdfJson } from "./qpdf.js";
import type { PdfDict, PdfJson } from "./scrub-objects.js";

/**
 * What ExifTool reads of an encrypted PDF itself that a read of its decrypted view lacks: the
 * encryption (its `Encryption` and `UserAccess` tags), whether the file is linearized (qpdf
 * writes the view plainly) and its size.
 */
export interface DecryptedPdf {
  /** ExifTool's `Encryption`: the handler, its version and revision, a sub-filter, the key length. */
  encryption: string;
  /** The `/P` permission bits, as stored (ExifTool's `UserAccess`); null without one. */
  permissions: number | null;
  /** ExifTool's `Linearized` of the original. */
  linearized: boolean;
  /** The original's size in bytes (ExifTool's `FileSize`). */
  size: number;
}

/** Where ExifTool looks for a linearization dictionary: the first `<<` of the file's first kilobyte. */
const LINEARIZATION_WITHIN = 1024;

/**
 * What qpdf finds of an encrypted PDF's encryption, in one read of its trailer and the encryption
 * dictionaries the screen saw named (`refs`, "6,0"): "locked" where it needs a password to open
 * (ExifTool finds that out only after deriving the empty password's keys, 4.5-7 s of CPU in Perl
 * for AES-256), the trailer's encryption dictionary, or null where qpdf cannot read the file or
 * finds it not encrypted (ExifTool then reads it as it is; the cleaning judges it).
 */
export async function readEncryption(file: string, refs: readonly string[]): Promise<PdfDict | "locked" | null> {
  try {
    const objects = await qpdfJson(file, ["trailer", ...refs]);
    const trailer = objects["trailer"];
    const encrypt = trailer != null && "value" in trailer && isDict(trailer.value) ? trailer.value["/Encrypt"] : undefined;
    if (!isRef(encrypt)) return isDict(encrypt) ? encrypt : null;
    // A reference the screen did not see (more than it keeps) is read on its own.
    const object = objects[objectKey(encrypt)] ?? (await qpdfJson(file, [encrypt.replace(/^(\d+) (\d+) R$/, "$1,$2")]))[objectKey(encrypt)];
    return object != null && "value" in object && isDict(object.value) ? object.value : null;
  } catch (err) {
    if (err instanceof BadFileError && err.reason === PASSWORD_PROTECTED) return "locked";
    if (err instanceof BadFileError || err instanceof ToolFailure) return null;
    throw err;
  }
}

/**
 * Writes `view`, a decrypted copy of an encrypted PDF that opens without a password, for ExifTool
 * to read in its place, and resolves to what ExifTool would have read from the original's own
 * encryption dictionary (`dict`, see readEncryption); null where qpdf cannot decrypt the file
 * (ExifTool then reads it as it is).
 *
 * ExifTool derives the keys of the empty password and decrypts every string and stream it reads
 * in Perl: for AES-256 (revision 6: 64 or more rounds of AES and SHA-2, three times) that took
 * 4.3-5.1 s of CPU for each read of a 5.6 kB file, for an extraction and again for a removal's
 * read before cleaning. qpdf does the same in milliseconds. The view keeps the objects as they are
 * (object streams and stream data as stored, minus encryption), so ExifTool finds the same tags,
 * except in earlier revisions of the file, which qpdf does not write.
 */
export async function writeDecryptedView(file: string, head: Buffer, size: number, dict: PdfDict, view: string): Promise<DecryptedPdf | null> {
  try {
    await qpdf(["--decrypt", "--object-streams=preserve", "--stream-data=preserve", file, view], "read");
    return { ...exiftoolEncryption(dict), linearized: linearizedAsExifToolReads(head, size), size };
  } catch (err) {
    if (err instanceof BadFileError || err instanceof ToolFailure) return null;
    throw err;
  }
}

/**
 * The `Encryption` and `UserAccess` ExifTool reads from an encryption dictionary (PDF.pm's
 * DecryptInit): "Standard V5.6 (256-bit)", a missing `/V` or `/R` as 0, a missing `/Length` as 40.
 */
function exiftoolEncryption(dict: PdfDict): Pick<DecryptedPdf, "encryption" | "permissions"> {
  const filter = nameOf(dict["/Filter"]) ?? "";
  const standard = filter === "Standard";
  const subFilter = nameOf(dict["/SubFilter"]);
  let encryption = `${filter} V${intOf(dict["/V"]) || 0}`;
  if (standard) encryption += `.${intOf(dict["/R"]) || 0}`;
  if (subFilter != null) encryption += ` (${subFilter})`;
  if (standard) encryption += ` (${intOf(dict["/Length"]) || 40}-bit)`;
  return { encryption, permissions: intOf(dict["/P"]) };
}

/**
 * ExifTool's `Linearized` (PDF.pm's ReadPDF): the first dictionary in the file's first kilobyte has
 * a `/Linearized` entry and an `/L` equal to the file's length from its header on.
 */
function linearizedAsExifToolReads(head: Buffer, size: number): boolean {
  const text = head.toString("latin1", 0, LINEARIZATION_WITHIN);
  const open = text.indexOf("<<");
  if (open < 0) return false;
  const close = text.indexOf(">>", open);
  const dict = text.slice(open, close < 0 ? undefined : close);
  const flag = /\/Linearized[\0\t\n\f\r ]*([^\0\t\n\f\r /<>[\]()]+)/.exec(dict)?.[1];
  const length = /\/L[\0\t\n\f\r ]+(\d+)/.exec(dict)?.[1];
  // Offsets count from the header: ExifTool's after white space, a view's after what it turned to spaces.
  const base = text.indexOf("%PDF-");
  return flag != null && flag !== "0" && length != null && Number(length) === size - base;
}

function nameOf(v: PdfJson | undefined): string | null {
  return typeof v === "string" && v.startsWith("/") ? v.slice(1) : null;
}

function intOf(v: PdfJson | undefined): number | null {
  return typeof v === "number" && Number.isInteger(v) ? v : null;
}
