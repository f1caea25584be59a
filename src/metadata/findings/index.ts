import type { RawTags } from "../read-task.js";
import { aiFindings, provenanceFindings } from "./ai-provenance.js";
import type { ExifToolAccess } from "../../cleaners/types.js";
import { drawingFindings } from "./drawing.js";
import { ENCRYPTED_FINDING } from "./encrypted.js";
import { identifierFindings } from "./identifiers.js";
import { innerFindings, listedAttachmentFindings } from "./inner.js";
import { type PdfAttachedFile, pdfSourceOf } from "./inner-pdf.js";
import { legacyOfficeFindings } from "./legacy-office.js";
import { locationFindings } from "./location.js";
import { officeFindings } from "./office.js";
import { pdfFindings, pdfObjectsOnce } from "./pdf.js";
import { deviceFindings, peopleFindings } from "./people-device.js";
import { type PictureAhead, previewFindings } from "./previews.js";
import { psdFindings } from "./psd.js";
import { commentFindings, pictureFindings, privateDataFindings } from "./tag-hidden.js";
import { timeFindings, softwareFindings } from "./time-software.js";
import { trailerFindings } from "./trailer.js";
import { ranked } from "./ranked.js";
import { type Finding, tagEntries } from "./types.js";

export type { Finding, FindingKind, Severity } from "./types.js";
export type { PdfAttachedFile } from "./inner-pdf.js";
export { FINDING_KINDS, SEVERITIES } from "./types.js";
export { withFindings } from "./ranked.js";

/**
 * What a file gives away (the contract's `findings`), most serious first, then in the contract's
 * order of kinds. `tags` is the ExifTool read the response shows (`-G0`, with or without `-n`);
 * `file` is the same file, looked into where ExifTool does not (previews compared with the
 * picture, bytes after its end, PDF objects and revisions, office review content, Photoshop smart
 * objects' files, what a drawing carries that no viewer draws). Previews are
 * copied out into `scratchDir` for their decoder, and djpeg writes the pictures' grey pixels there:
 * a folder made only then (a file without previews decodes nothing), which the caller removes once this settled,
 * since a worker stopped mid-look never runs its own clean-up. `pdfObjects: false` leaves a PDF's objects out: in a
 * removal the PDF cleaner dumps them anyway and gives their findings, and lists its attached files
 * for their look (`attachedFindingsOf`). In the service this runs in
 * a task process, whose helper programs stop with the request. `picture`: the main picture
 * decoded ahead of the read (previews.ts, decodePictureAhead), for the previews' comparison; while
 * its decode still runs, the other looks go on without it.
 * `exiftool`: for reading the files inside the file (inner.ts); without it they are not read.
 * `locked`: a PDF the screen found needs a password to open, whose content no look can read.
 */
export async function findingsOf(
  tags: RawTags,
  file: string,
  scratchDir: string,
  opts: { pdfObjects?: boolean; picture?: PictureAhead | null | Promise<PictureAhead | null>; exiftool?: ExifToolAccess; locked?: boolean } = {},
): Promise<Finding[]> {
  const entries = tagEntries(tags);
  const objects = (opts.pdfObjects ?? true) ? pdfObjectsOnce(file) : null;
  const looked = await Promise.all([
    previewFindings(entries, file, scratchDir, opts.picture),
    trailerFindings(entries, file, tags["ExifTool:Warning"] != null || tags["ExifTool:Error"] != null),
    pdfFindings(entries, file, objects),
    officeFindings(entries, file),
    legacyOfficeFindings(entries, file),
    psdFindings(entries, file),
    drawingFindings(entries, file),
    opts.exiftool != null ? innerFindings(entries, file, scratchDir, opts.exiftool, objects != null ? pdfSourceOf(objects) : null) : [],
  ]);
  const all = [
    ...locationFindings(entries),
    ...peopleFindings(entries),
    ...deviceFindings(entries),
    ...timeFindings(entries),
    ...softwareFindings(entries),
    ...identifierFindings(entries),
    ...aiFindings(entries),
    ...provenanceFindings(entries),
    ...commentFindings(entries),
    ...privateDataFindings(entries),
    ...pictureFindings(entries),
    ...looked.flat(),
    ...(opts.locked === true ? [ENCRYPTED_FINDING] : []),
  ];
  return ranked(all);
}

/**
 * What a PDF's attached files give away, as `files` lists them (the PDF cleaner's read of its
 * objects): the part of `findingsOf`'s look that `pdfObjects: false` leaves out, in its place when
 * given to `withFindings` after that look's findings.
 */
export function attachedFindingsOf(tags: RawTags, file: string, scratchDir: string, files: readonly PdfAttachedFile[], exiftool: ExifToolAccess): Promise<Finding[]> {
  return listedAttachmentFindings(tagEntries(tags), file, scratchDir, exiftool, files);
}
