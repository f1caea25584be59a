import path from "node:path";
import { BadFileError } from "../errors.js";
import { fileSha256, readAttachedFiles, sha256 } from "./attachments.js";
import { embeddedFileStreams } from "./file-specs.js";
import { isDict, ObjectView } from "./object-view.js";
import { declaredPages } from "./page-tree.js";
import { dumpObjects, type ObjectDump } from "./qpdf.js";
import { isReview } from "./review-annotations.js";
import { isScript } from "./scripts.js";
import type { PdfJson, QpdfDocument } from "./scrub-objects.js";
import { holdsXfaXmp, xfaMetadataLeft, xfaStreams } from "./xfa-packets.js";

const LEFT = "The file's metadata could not be removed completely.";
const CHANGED = "The file could not be cleaned without changing its content; it may be damaged.";

export interface Expected {
  pages: number;
  /** SHA-256 of each attached file's clean data (each verified by its own cleaner). */
  attachments: readonly string[];
  /** True unless the client kept the review annotations. */
  noReviewAnnotations: boolean;
}

/**
 * Looks inside the written PDF, where ExifTool does not: each attached file must be exactly one
 * of the clean files its cleaner produced and verified (none missed, none left as it was), no
 * review annotation may be left unless kept, no JavaScript at all, and the pages must all be there,
 * as many as the page tree declares (what poppler shows: `page-tree.ts`).
 * Resolves to qpdf's read of the copy, stream data as stored in files (for `same-page-content.ts`).
 */
export async function checkCleanedPdf(output: string, expected: Expected, workDir: string): Promise<ObjectDump> {
  const written = await dumpObjects(output, path.join(workDir, "written.json"), { streamPrefix: path.join(workDir, "w") });
  const { doc, pages } = written;
  const view = new ObjectView(doc, { qpdf: [doc.qpdf[0], {}] });

  const files = await readAttachedFiles(output, embeddedFileStreams(view), workDir, "written");
  // One after another, each as a stream: together they can be the request's whole inner-file budget.
  const found: string[] = [];
  for (const f of files) found.push(f.datafile == null ? sha256(Buffer.alloc(0)) : await fileSha256(f.datafile));
  if (found.sort().join() !== [...expected.attachments].sort().join()) {
    throw new BadFileError(LEFT, new Error(`pdf: the written attached files (${found.length}) are not the ${expected.attachments.length} cleaned ones`));
  }
  if (expected.noReviewAnnotations) {
    const left = [...view.reachable()].filter((key) => holdsReview(view.dictOrValue(key)));
    if (left.length > 0) throw new BadFileError(LEFT, new Error(`pdf: review annotations left in ${left.join(", ")}`));
  }
  if (holdsXfaXmp(view)) throw new BadFileError(LEFT, new Error("pdf: the XFA form's XMP packet is left"));
  const xfaLeft = await xfaMetadataLeft(view);
  if (xfaLeft != null) throw new BadFileError(LEFT, new Error(`pdf: the XFA form's ${xfaLeft} packet still holds metadata`));
  const scripts = [...view.reachable()].filter((key) => holdsScript(view.dictOrValue(key)));
  if (scripts.length > 0) throw new BadFileError(LEFT, new Error(`pdf: JavaScript left in ${scripts.join(", ")}`));
  if (pages !== expected.pages) throw new BadFileError(CHANGED, new Error(`pdf: ${expected.pages} pages became ${pages}`));
  const declared = declaredPages(view);
  if (declared !== pages) throw new BadFileError(CHANGED, new Error(`pdf: the copy's page tree declares ${declared ?? "no"} pages for its ${pages}`));
  return written;
}

/**
 * Whether the check above has anything to look for, judged on the original's whole dump (every
 * object qpdf read, reachable or not, the trailer too): a copy qpdf writes from these objects and
 * an edit that only takes keys out and swaps in cleaned pictures cannot hold a script, a review
 * annotation or an attached file the original nowhere had. Where it has none, only the pages are
 * left to check (`pdf.ts` then lets pdftotext's count stand for qpdf's when the two agree).
 */
export function holdsWhatTheCheckLooksFor(doc: QpdfDocument): boolean {
  if (xfaStreams(new ObjectView(doc, { qpdf: [doc.qpdf[0], {}] })).size > 0) return true;
  return Object.values(doc.qpdf[1]).some((obj) => {
    const v = "stream" in obj ? obj.stream.dict : obj.value;
    return ("stream" in obj && obj.stream.dict["/Type"] === "/EmbeddedFile") || holdsScript(v) || holdsReview(v) || holdsFileSpec(v);
  });
}

function holdsFileSpec(v: PdfJson | undefined): boolean {
  if (Array.isArray(v)) return v.some((item: PdfJson) => holdsFileSpec(item));
  if (!isDict(v)) return false;
  const entries: PdfJson[] = Object.values(v);
  return isDict(v["/EF"]) || entries.some((item) => holdsFileSpec(item));
}

function holdsReview(v: PdfJson | undefined): boolean {
  if (Array.isArray(v)) return v.some((item: PdfJson) => holdsReview(item));
  if (!isDict(v)) return false;
  const entries: PdfJson[] = Object.values(v);
  return isReview(v) || entries.some((item) => holdsReview(item));
}

function holdsScript(v: PdfJson | undefined): boolean {
  if (Array.isArray(v)) return v.some((item: PdfJson) => holdsScript(item));
  if (!isDict(v)) return false;
  if (isScript(v) || "/JavaScript" in v || (v["/S"] != null && v["/JS"] != null)) return true;
  const entries: PdfJson[] = Object.values(v);
  return entries.some((item) => holdsScript(item));
}
