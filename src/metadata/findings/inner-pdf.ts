import fs from "node:fs";
import fsp from "node:fs/promises";
import { describeName } from "../../cleaners/archive/member-name.js";
import { BadFileError, TooComplexError } from "../../cleaners/errors.js";
import { embeddedFileStreams, fileName, specsByStream } from "../../cleaners/pdf/file-specs.js";
import { isDict, objectKey, ObjectView } from "../../cleaners/pdf/object-view.js";
import { dumpObjects } from "../../cleaners/pdf/qpdf.js";
import type { QpdfDocument } from "../../cleaners/pdf/scrub-objects.js";
import type { InnerFile, InnerSource } from "./inner-types.js";
import type { PdfObjects } from "./pdf.js";

/**
 * Bytes that must occur in a PDF holding an attached file: its specification's `/EF`, unless its
 * objects are compressed in an object stream or a name is spelt with `#` escapes (`/#45F`).
 * A PDF without any of them is not dumped a second time (pdf.ts reads its objects already).
 */
const MAY_ATTACH = [Buffer.from("/EF"), Buffer.from("/ObjStm")];
/** Bytes a PDF name may not hold unescaped (white space, delimiters), and the longest name walked back over. */
const NOT_IN_NAME = new Set([..."()<>[]{}/%"].map((c) => c.charCodeAt(0)));
const MAX_NAME = 127;

/** A file attached to a PDF, as a read of its objects lists it: plain data, handed from the cleaner's read to the findings' look. */
export interface PdfAttachedFile {
  /** The stream holding its data ("6 0 R"). */
  ref: string;
  /** Its name as its specification gives it, printable. */
  name: string;
  /** Its size as the specification claims it (0 where it does not say). */
  claimedSize: number;
}

/**
 * A PDF's attached files (the document's list, attachment annotations, anywhere a file
 * specification holds one), by the name their specification gives, read as the PDF cleaner
 * reads them: one qpdf run for the objects, one per file for its decoded data, capped. `shared`:
 * the same file's objects as the findings dumped them (pdf.ts); its own run only when they could
 * not (qpdf's output past their smaller cap, say) or were not asked for.
 */
export function pdfSourceOf(shared: PdfObjects | null): InnerSource {
  return async (file, scratch, visit) => {
    if (!(await mayHoldAttachments(file))) return 0;
    const doc = (await shared?.()) ?? (await dumpedObjects(file, scratch));
    return doc == null ? 0 : listedPdfSource(attachedFilesOf(doc))(file, scratch, visit);
  };
}

/**
 * The attached files `files` lists of the PDF the look is handed, one qpdf run per file for its
 * decoded data: their list comes from a read of its objects made already (the PDF cleaner's).
 */
export function listedPdfSource(files: readonly PdfAttachedFile[]): InnerSource {
  return async (file, scratch, visit) => {
    for (const [i, { ref, name, claimedSize }] of files.entries()) await visit(attached(file, ref, `${scratch}-${i}`, name, claimedSize));
    return 0;
  };
}

/** The attached files among the objects reachable in `doc` (a PDF's objects as qpdf dumps them). */
export function attachedFilesOf(doc: QpdfDocument): PdfAttachedFile[] {
  const view = new ObjectView(doc, { qpdf: [doc.qpdf[0], {}] });
  const refs = embeddedFileStreams(view);
  if (refs.length === 0) return [];
  const specs = specsByStream(view);
  return refs.map((ref) => {
    const spec = specs.get(ref)?.[0];
    const stream = view.dictOrValue(objectKey(ref));
    const params = isDict(stream) ? stream["/Params"] : undefined;
    const size = isDict(params) ? params["/Size"] : undefined;
    return { ref, name: spec != null ? describeName(fileName(spec)) : "attachment", claimedSize: typeof size === "number" ? size : 0 };
  });
}

/** The objects of `file` from a qpdf run of the look's own; null when qpdf cannot read them. */
async function dumpedObjects(file: string, scratch: string): Promise<QpdfDocument | null> {
  try {
    return (await dumpObjects(file, `${scratch}.json`)).doc;
  } catch (err) {
    if (err instanceof BadFileError || err instanceof TooComplexError) return null;
    throw err;
  } finally {
    await fsp.rm(`${scratch}.json`, { force: true });
  }
}

function attached(pdf: string, ref: string, prefix: string, name: string, claimedSize: number): InnerFile {
  return {
    name,
    claimedSize,
    async copyTo(dest, maxBytes) {
      try {
        const { doc } = await dumpObjects(pdf, `${prefix}.json`, { streamPrefix: prefix, decode: "specialized", only: [ref], maxFileBytes: maxBytes });
        const obj = doc.qpdf[1][objectKey(ref)];
        // A filter qpdf cannot undo leaves the data encoded: not the file itself.
        if (obj == null || !("stream" in obj) || obj.stream.dict["/Filter"] != null) return { written: 0, complete: false };
        const data = obj.stream.datafile;
        if (data == null) return { written: 0, complete: true };
        await fsp.rename(data, dest);
        return { written: (await fsp.stat(dest)).size, complete: true };
      } catch (err) {
        // qpdf stopped at the cap, or could not read the stream.
        if (err instanceof TooComplexError) return { written: maxBytes, complete: false };
        if (err instanceof BadFileError) return { written: 0, complete: false };
        throw err;
      } finally {
        await fsp.rm(`${prefix}.json`, { force: true });
      }
    },
  };
}

/** Whether any of MAY_ATTACH occurs in the file, read in chunks. */
async function mayHoldAttachments(file: string): Promise<boolean> {
  const keep = MAX_NAME + 3;
  let carry = Buffer.alloc(0);
  for await (const chunk of fs.createReadStream(file, { highWaterMark: 1024 * 1024 })) {
    const buf = Buffer.concat([carry, chunk as Buffer]);
    if (MAY_ATTACH.some((needle) => buf.includes(needle)) || hasEscapedName(buf)) return true;
    carry = buf.subarray(Math.max(0, buf.length - keep));
  }
  return false;
}

/**
 * Whether `buf` holds a name with a `#xx` escape ("/#45F"): a '#' and two hex digits, after a '/'
 * and regular characters. Each walk back stops where the one before began (what lies behind it
 * was walked already), so a file of nothing but "#41" costs one pass, not one walk per '#'.
 */
function hasEscapedName(buf: Buffer): boolean {
  const HASH = 0x23;
  const SLASH = 0x2f;
  let walked = -1;
  for (let i = buf.indexOf(HASH); i >= 0; i = buf.indexOf(HASH, i + 1)) {
    if (!isHex(buf[i + 1]) || !isHex(buf[i + 2])) continue;
    for (let j = i - 1; j > walked && j >= i - MAX_NAME; j--) {
      const b = buf[j]!;
      if (b === SLASH) return true;
      if (b <= 0x20 || b > 0x7e || NOT_IN_NAME.has(b)) break;
    }
    walked = i;
  }
  return false;
}

function isHex(b: number | undefined): boolean {
  return b != null && ((b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x46) || (b >= 0x61 && b <= 0x66));
}
