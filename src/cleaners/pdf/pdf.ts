import fsp from "node:fs/promises";
import path from "node:path";
import { attachedFilesOf } from "../../metadata/findings/inner-pdf.js";
import { pdfObjectFindings } from "../../metadata/findings/pdf.js";
import { BadFileError } from "../errors.js";
import { isJpeg2000Structural } from "../image/jpeg2000.js";
import type { CleanContext, CleanOutcome, Cleaner, FoundTag } from "../types.js";
import { cleanAttachedFiles } from "./attachments.js";
import { checkCleanedPdf, type Expected, holdsWhatTheCheckLooksFor } from "./check-output.js";
import { cleanEmbeddedJpegs } from "./embedded-jpegs.js";
import { cleanJpxComments } from "./jpx-comments.js";
import { rebuildAttachmentList, scrubFileSpecs } from "./file-specs.js";
import { PLAIN_OBJECTS, restoreEmptyNames, withEmptyNamesStoodIn } from "./empty-names.js";
import { updateReadingObjectStreamsFirst } from "./object-streams.js";
import { isDict, ObjectView, objectKey } from "./object-view.js";
import { countPagesAnew, refuseWithoutPages } from "./page-tree.js";
import { dumpObjects, qpdf, type ObjectDump } from "./qpdf.js";
import { byStream, overlongStreams, recoveredLengths, overrunIsOwnData } from "./recovered-streams.js";
import { refuseInlineJpegsLeft, withInlineJpegsAsObjects } from "./inline-jpegs.js";
import { keepInvoiceDeclaration } from "./invoice-declaration.js";
import { removeReviewAnnotations } from "./review-annotations.js";
import { checkSamePages } from "./same-page-content.js";
import { checkSamePdfText, type PageText, pageText } from "./same-text.js";
import { removeScripts } from "./scripts.js";
import { type QpdfDocument, scrubObjects } from "./scrub-objects.js";
import { cleanXfaPackets, dropXfaXmp } from "./xfa-packets.js";

const DAMAGED_STREAMS = "The PDF is damaged and cannot be cleaned safely.";

/**
 * Up to this many objects qpdf reads the written copy back whole, and that read proves its pages
 * without pdftotext (`same-page-content.ts`). Past it, a second dump of every object would be held
 * beside the first (four PDFs of 150,000 objects sent at once: the service's tree at 1,081 MB
 * against ~900 without): pdftotext reads both files, and qpdf the copy only where there is
 * something for it to find. Documents of hundreds of pages hold a few thousand objects.
 */
const MAX_OBJECTS_READ_BACK = 20_000;

/** What ExifTool reads from a PDF's structure rather than from its metadata. */
const STRUCTURAL = new Set([
  "PDFVersion",
  "Linearized",
  "PageCount",
  "TaggedPDF",
  "HasXFA",
  "MediaBox",
  // How a viewer opens the document (with its attachments panel, one page at a time...) and the
  // language its text is in (for screen readers and hyphenation): the document's, not its author's.
  "PageMode",
  "PageLayout",
  "Language",
  // The pictures on the pages (ExifTool describes them with -ee); their own metadata is cleaned.
  "EmbeddedImage",
  "EmbeddedImageWidth",
  "EmbeddedImageHeight",
  "EmbeddedImageFilter",
  "EmbeddedImageColorSpace",
]);

/**
 * The XMP an e-invoice PDF keeps (`invoice-declaration.ts`): the PDF/A part and conformance, the
 * invoice's kind, file name, version and profile, and the PDF/A extension schema describing them.
 */
const INVOICE_DECLARATION = new Set([
  "Part",
  "Conformance",
  "DocumentType",
  "DocumentFileName",
  "Version",
  "ConformanceLevel",
  "SchemasSchema",
  "SchemasNamespaceURI",
  "SchemasPrefix",
  "SchemasPropertyName",
  "SchemasPropertyValueType",
  "SchemasPropertyCategory",
  "SchemasPropertyDescription",
]);

/**
 * PDF: qpdf alone, in three runs. The first dumps every object as JSON (stream data in files); we
 * build an edit on it: the metadata keys go (`scrub-objects.ts`), then the review annotations
 * unless kept (`review-annotations.ts`), JavaScript always (`scripts.ts`), an XFA form's XMP
 * packet, and its ids, form properties and the like (`xfa-packets.ts`); attached files are
 * cleaned by their own cleaners and their specifications keep only the file name
 * (`attachments.ts`, `file-specs.ts`), C2PA manifests go and e-invoices stay as they are
 * (`attached-kinds.ts`), with the XMP fields that declare them (`invoice-declaration.ts`); the
 * pictures' own metadata goes (`embedded-jpegs.ts`; a JPEG a page draws inline is first made an
 * image object by a qpdf run of its own, `inline-jpegs.ts`), and JPEG 2000 pictures' comments
 * (`jpx-comments.ts`); the page tree's counts are written as the pages qpdf found
 * (`page-tree.ts`: poppler shows as many pages as the root's /Count says). A file in which qpdf
 * finds no page is refused before any of this. The second run applies that edit
 * and writes a full rewrite of the file. A third reads the copy back (`check-output.ts`), where
 * ExifTool does not look: attached files, review annotations, scripts, pages; the same read shows
 * whether every page still draws from the original's content streams, fonts and resources, byte
 * for byte (`same-page-content.ts`), and only where one does not is the text proven by pdftotext,
 * reading both files. Past MAX_OBJECTS_READ_BACK objects pdftotext always reads both, and qpdf the
 * copy only where it has something to find. The first dump also gives the page count and the
 * findings about the original's objects and the list of its attached files, so a removal reads the
 * original with qpdf once (the findings look leaves the objects to this cleaner, and looks into the
 * attached files it lists).
 *
 * Why not ExifTool's `-all:all=`: it only knows the Info dictionary and the catalog's XMP (page,
 * image and font XMP stay), and it writes an incremental update that leaves the old revision in
 * the file. qpdf's writer instead emits only the objects reachable from the new trailer, so the
 * old Info, every orphaned XMP stream and every earlier revision are gone, while page content
 * streams are copied as they are.
 *
 * Encryption is removed (`--decrypt`): re-encrypting would keep the original `/ID`, to which the
 * keys are bound. A file that needs a user password cannot be opened at all and is refused.
 */
export const pdfCleaner: Cleaner = {
  name: "pdf",
  fileTypes: ["PDF", "AI"],

  async clean(ctx: CleanContext): Promise<CleanOutcome> {
    const input = path.resolve(ctx.input);
    const updateFile = path.resolve(ctx.workDir, "update.json");

    // Stream data goes to files as it is stored (--decode-level=none): the embedded JPEGs are
    // needed byte for byte, and nothing else is ever decoded here (attached files are read apart).
    const read = await dumpObjects(input, path.resolve(ctx.workDir, "objects.json"), {
      streamPrefix: path.resolve(ctx.workDir, "s"),
    });
    refuseWithoutPages(read);
    await refuseSwallowedObjects(input, read, ctx.workDir);
    const { pages } = read;
    // What the findings look would read with a qpdf run of its own (the original's objects), taken
    // from this same read before the edit below is built on it.
    const findings = pdfObjectFindings(read.doc.qpdf[1]);
    const attachedFiles = attachedFilesOf(read.doc);
    // Where a page draws a JPEG inline, the edit is built on (and written from) a copy holding it
    // as an image object (`inline-jpegs.ts`); the text and pages are still proven against the original.
    const { source, dump, externalized } = await withInlineJpegsAsObjects(input, read, ctx.workDir);
    const { doc } = dump;

    const view = new ObjectView(doc, scrubObjects(doc).update);
    countPagesAnew(view, dump.pageObjects);
    const annotations = ctx.keep.has("comments") ? { count: 0, detachedFiles: [] } : removeReviewAnnotations(view, view.reachable());
    const readBack = Object.keys(read.doc.qpdf[1]).length <= MAX_OBJECTS_READ_BACK;
    // pdftotext reads annotations' appearances with the page (a comment box's text): where review
    // annotations go, the text legitimately differs, and the pages are proven by count alone.
    // Where the copy is not read back whole, the original's text is read now, beside the cleaning.
    const originalText = annotations.count === 0 && !readBack ? pageText(input) : null;
    // Its failure counts where it is awaited below; meanwhile it is not an unhandled rejection.
    originalText?.catch(() => undefined);
    try {
      rebuildAttachmentList(view, annotations.detachedFiles);
      // After the annotations: the scripts of those that went are not counted twice.
      const scripts = removeScripts(view);
      dropXfaXmp(view);
      await cleanXfaPackets(view, ctx.workDir);
      scrubFileSpecs(view);
      const attached = await cleanAttachedFiles(view, source, ctx);
      if (Object.keys(attached.keptAsIs).length > 0) await keepInvoiceDeclaration(doc, view);
      if (externalized) await refuseInlineJpegsLeft(source, doc, view.reachable(), ctx.workDir);
      const attachedKeys = new Set([...attached.written.keys()].map(objectKey));
      await cleanEmbeddedJpegs(view, ctx, attachedKeys, !externalized);
      await cleanJpxComments(view, ctx, attachedKeys);

      const { update, standIn } = withEmptyNamesStoodIn(updateReadingObjectStreamsFirst(view));
      await fsp.writeFile(updateFile, JSON.stringify(update));
      const output = path.resolve(ctx.output);
      await qpdf(["--decrypt", "--deterministic-id", ...(standIn != null ? PLAIN_OBJECTS : []), `--update-from-json=${updateFile}`, source, output], "write");
      if (standIn != null) await restoreEmptyNames(output, standIn);
      // Nothing below writes the copy: ExifTool's re-read of it may run beside the checks.
      ctx.outputFinal();
      const expected = { pages, attachments: [...attached.written.values()], noReviewAnnotations: !ctx.keep.has("comments") };
      if (readBack) {
        const written = await checkCleanedPdf(output, expected, ctx.workDir);
        if (annotations.count === 0) await checkSamePages({ file: input, dump: read }, { file: output, dump: written });
      } else {
        await checkByText(output, expected, { originalText, attachedFiles: attached.written.size > 0, doc }, ctx.workDir);
      }
      const keptAsIs = Object.keys(attached.keptAsIs).length > 0 ? { remaining: { attachments: attached.keptAsIs } } : {};
      // Illustrator's private data (the native document, in `/PieceInfo`) went with the other
      // application data: what is left is a PDF, and ExifTool names it so.
      const type = ctx.fileType === "AI" ? { fileType: "PDF" } : {};
      return { hidden: { attachments: attached.cleaned, annotations: annotations.count, scripts, provenance: attached.provenance }, findings, attachedFiles, ...keptAsIs, ...type };
    } finally {
      // A cleaning refused half-way still waits for the reader it started.
      await originalText?.catch(() => undefined);
    }
  },

  isStructural(t: FoundTag): boolean {
    // An ICC profile in a PDF is an image's colour space (an ICCBased resource): page content.
    // So is an embedded JPEG's Adobe segment (how to read its colour channels), which the JPEG
    // cleaner keeps for that reason, and a JPEG 2000 picture's header (JPXDecode images).
    // ExifTool reads a page's colour space named /Cs1, /CS0, /DefaultRGB or /DefaultCMYK given
    // as an array (an indexed palette: [/Indexed /DeviceRGB 1 <000000ff0000>]) as a dictionary
    // keyed by position, and names its entries PDF_DefaultRGB_0x0001...: the page's colours
    // (pdf.js's IndexedCS_negative_and_high.pdf and smaskdim.pdf were refused, "left").
    return (
      (t.group === "PDF" && (STRUCTURAL.has(t.tag) || /^PDF_DefaultRGB_0x[0-9a-f]{4}$/i.test(t.tag))) ||
      (t.group === "XMP" && INVOICE_DECLARATION.has(t.tag)) ||
      t.group === "ICC_Profile" ||
      t.group === "APP14" ||
      isJpeg2000Structural(t)
    );
  },
};

/**
 * A damaged PDF qpdf repairs is cleaned (a rebuilt cross-reference table is common in real
 * files), except when a stream had to be measured anew, came out longer than it said, and its
 * data past that is not its own data in its own encoding: it may have swallowed other objects
 * (see `recovered-streams.ts`), so the file is refused. Only then is the file read a second time, for the declared lengths. In an
 * encrypted file the data qpdf hands over is decrypted, swallowed plain objects with it, into
 * bytes nothing can be told from: any overlong stream there is refused.
 */
async function refuseSwallowedObjects(input: string, read: ObjectDump, workDir: string): Promise<void> {
  const recovered = recoveredLengths(read.warnings);
  if (recovered.size === 0) return;
  const { doc: declared } = await dumpObjects(input, path.resolve(workDir, "declared.json"));
  const trailer = read.doc.qpdf[1]["trailer"];
  const encrypted = trailer != null && "value" in trailer && isDict(trailer.value) && trailer.value["/Encrypt"] != null;
  const swallowing: string[] = [];
  for (const { ref, declared: length } of overlongStreams(byStream(recovered, declared), declared)) {
    const obj = read.doc.qpdf[1][`obj:${ref}`];
    const stream = obj != null && "stream" in obj ? obj.stream : undefined;
    if (encrypted || stream?.datafile == null || !(await overrunIsOwnData(stream.datafile, stream.dict, length))) swallowing.push(ref);
  }
  if (swallowing.length > 0) {
    throw new BadFileError(DAMAGED_STREAMS, new Error(`qpdf recovered overlong streams: ${swallowing.join(", ")}`));
  }
}

/**
 * The copy of a document past MAX_OBJECTS_READ_BACK: its text is pdftotext's (unless review
 * annotations went: `originalText` null), and qpdf reads it where the original's dump shows
 * something for that look to find (`holdsWhatTheCheckLooksFor`), or where pdftotext's page counts
 * of the original and of the copy do not both agree with qpdf's of the original.
 */
async function checkByText(
  output: string,
  expected: Expected,
  original: { originalText: Promise<PageText> | null; attachedFiles: boolean; doc: QpdfDocument },
  workDir: string,
): Promise<void> {
  const { originalText } = original;
  if (originalText == null || original.attachedFiles || holdsWhatTheCheckLooksFor(original.doc)) {
    // Both only read the written file: its objects and pages (qpdf), its text (pdftotext).
    await allOrFirstError([checkCleanedPdf(output, expected, workDir), originalText == null ? Promise.resolve() : checkSamePdfText(originalText, output)]);
    return;
  }
  const cleanedPages = await checkSamePdfText(originalText, output);
  if (cleanedPages !== expected.pages || (await originalText).pages !== expected.pages) await checkCleanedPdf(output, expected, workDir);
}

/** Waits for every step, then fails with the first one's error (so none runs on unwatched). */
async function allOrFirstError(steps: ReadonlyArray<Promise<unknown>>): Promise<void> {
  const settled = await Promise.allSettled(steps);
  const failed = settled.find((r) => r.status === "rejected");
  if (failed != null) throw failed.reason;
}
