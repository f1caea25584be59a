import fsp from "node:fs/promises";
import CFB from "cfb";
import { readCompound } from "../../cleaners/legacy-office/compound-read.js";
import { isEncryptedWorkbook, scrubWorkbook } from "../../cleaners/legacy-office/excel.js";
import { commentAuthorsOf, staleTableStreamOf, tableStreamOf } from "../../cleaners/legacy-office/word.js";
import { isEncryptedWord, readFib } from "../../cleaners/legacy-office/word-fib.js";
import { metadataFields } from "../../cleaners/legacy-office/word-fields.js";
import { zeroLeftovers } from "../../cleaners/legacy-office/word-leftovers.js";
import { zeroSupersededRecords } from "../../cleaners/legacy-office/powerpoint-edits.js";
import { isEncryptedPresentation } from "../../cleaners/legacy-office/powerpoint.js";
import { surveyReview } from "../../cleaners/legacy-office/word-review.js";
import { parsePackage } from "../../cleaners/legacy-office/ole-package.js";
import { PRESENTATION_CACHE, presentationCachePrinter } from "../../cleaners/legacy-office/presentation-cache.js";
import { sameName } from "../../cleaners/legacy-office/stream-names.js";
import { surveyPresentationComments } from "../../cleaners/legacy-office/powerpoint-comments.js";
import { ENCRYPTED_OFFICE, OLE_OBJECT } from "../compound-types.js";
import { ENCRYPTED_FINDING } from "./encrypted.js";
import { metadataFieldsFinding } from "./metadata-fields.js";
import { MAX_SCANNED, pathsFirst, textRuns } from "./text-runs.js";
import { type Finding, type TagEntry, shortValue } from "./types.js";

const WORD_TYPES = new Set(["DOC", "DOT"]);
const POWERPOINT_TYPES = new Set(["PPT", "PPS", "POT"]);
const EXCEL_TYPES = new Set(["XLS", "XLT"]);
const LEGACY_TYPES = new Set([...WORD_TYPES, ...POWERPOINT_TYPES, ...EXCEL_TYPES, OLE_OBJECT]);

/**
 * What Office 97-2003 documents keep that ExifTool does not read: the folders the files packaged
 * in their objects came from (Object Packager keeps the original and temporary paths), and
 * `hidden` review content of Word documents: comments
 * that still hold text and tracked deletions whose deleted text is still there (as the cleaner
 * sees them, word-review.ts), with the names of the comments' authors; and PowerPoint's comments
 * that still hold text, with their authors' names (powerpoint-comments.ts), and a workbook's cell
 * comments likewise (workbook-notes.ts) and the printers its sheets' settings name
 * (printer-settings.ts). A cleaned copy, whose comments, deletions and printers are blanked, has
 * none. An encrypted document (one of these, or an Office 2007+ document in its encrypted
 * package) has its content out of sight: a finding says so.
 */
export async function legacyOfficeFindings(entries: readonly TagEntry[], file: string): Promise<Finding[]> {
  const type = entries.find((t) => t.group === "File" && t.tag === "FileType")?.value;
  if (type === ENCRYPTED_OFFICE) return [ENCRYPTED_FINDING];
  if (typeof type !== "string" || !LEGACY_TYPES.has(type)) return [];
  let doc: CFB.CFB$Container;
  try {
    doc = readCompound(await fsp.readFile(file));
  } catch {
    // A document that cannot be opened has nothing of this to show; its damage is reported elsewhere.
    return [];
  }
  if (encrypted(doc, type)) return [ENCRYPTED_FINDING];
  const paths = packagedPaths(doc);
  const packaged: Finding[] =
    paths.length === 0
      ? []
      : [{ kind: "hidden", severity: "medium", title: "Files embedded in the document keep the folders they were packaged from, which often name their owner.", tags: [], value: shortValue(paths.join("; ")) }];
  const objects = [...packaged, ...cachePrinterFindings(doc)];
  if (WORD_TYPES.has(type)) return [...objects, ...reviewFindings(doc), ...wordLeftoverFindings(doc), ...fieldFindings(doc)];
  if (EXCEL_TYPES.has(type)) return [...objects, ...workbookFindings(doc)];
  return POWERPOINT_TYPES.has(type) ? [...objects, ...presentationFindings(doc)] : objects;
}

/** Whether the document's main stream says it is encrypted, as the cleaner finds it. */
function encrypted(doc: CFB.CFB$Container, type: string): boolean {
  if (WORD_TYPES.has(type)) return isEncryptedWord(rootStream(doc, "WordDocument") ?? Buffer.alloc(0));
  if (EXCEL_TYPES.has(type)) return isEncryptedWorkbook(rootStream(doc, "Workbook") ?? rootStream(doc, "Book") ?? Buffer.alloc(0));
  return POWERPOINT_TYPES.has(type) && isEncryptedPresentation(rootStream(doc, "Current User") ?? Buffer.alloc(0));
}

/** The streams of the root storage, as the cleaner takes them (an embedded document has its own). */
function rootStream(doc: CFB.CFB$Container, name: string): Buffer | null {
  const e = doc.FileIndex[doc.FullPaths.findIndex((p) => sameName(p.replace(/^[^/]*\//, ""), name))];
  return e == null || e.type !== 2 || e.content == null ? null : Buffer.from(e.content);
}

function presentationFindings(doc: CFB.CFB$Container): Finding[] {
  const stream = rootStream(doc, "PowerPoint Document");
  const { comments, authors } = stream == null ? { comments: 0, authors: [] } : surveyPresentationComments(stream);
  const findings = comments === 0 ? [] : [commentsFinding("presentation", comments, authors)];
  const currentUser = rootStream(doc, "Current User");
  if (stream == null || currentUser == null) return findings;
  // Found as the cleaner finds them, on copies of the streams.
  const earlier = zeroSupersededRecords(stream, currentUser, rootStream(doc, "Pictures"));
  if (earlier.records > 0) {
    const texts = [...new Set(earlier.text.split(/[\n\r\v]/).map((t) => t.trim()).filter((t) => t !== "" && !t.startsWith("___PPT")))];
    const f: Finding = { kind: "hidden", severity: "high", title: `The presentation keeps ${earlier.records} record(s) that earlier saves wrote and no reader shows any more (earlier wording, deleted slides).`, tags: [] };
    if (texts.length > 0) f.value = shortValue(texts.join("; "));
    findings.push(f);
  }
  if (earlier.pictures > 0) {
    findings.push({ kind: "hidden", severity: "high", title: `The presentation keeps ${earlier.pictures} picture(s) deleted from it.`, tags: [], value: String(earlier.pictures) });
  }
  return findings;
}

/**
 * The cell comments of the workbook stream Excel reads, and the printers its sheets' settings
 * name (a network printer's names its print server), found as the cleaner finds them (on a copy
 * of the stream).
 */
function workbookFindings(doc: CFB.CFB$Container): Finding[] {
  const stream = rootStream(doc, "Workbook") ?? rootStream(doc, "Book");
  let found;
  try {
    found = stream == null ? { comments: 0, authors: [], printers: [] } : scrubWorkbook(stream, { comments: true });
  } catch {
    // A workbook that cannot be read this far has nothing of this to show; its damage is reported elsewhere.
    return [];
  }
  const findings = found.comments === 0 ? [] : [commentsFinding("workbook", found.comments, found.authors)];
  if (found.printers.length > 0) {
    findings.push({ kind: "device", severity: "medium", title: "The workbook names the printer it was set up to print on.", tags: [], value: shortValue(found.printers.join("; ")) });
  }
  return findings;
}

function commentsFinding(what: string, comments: number, authors: readonly string[]): Finding {
  const f: Finding = { kind: "hidden", severity: "high", title: `The ${what} holds ${comments} review comment(s).`, tags: [] };
  if (authors.length > 0) f.value = shortValue(authors.join("; "));
  return f;
}

/** The printers the presentation caches of the document's objects were drawn for (presentation-cache.ts), each once. */
function cachePrinterFindings(doc: CFB.CFB$Container): Finding[] {
  const printers = new Set<string>();
  for (const e of doc.FileIndex) {
    if (e.type !== 2 || e.content == null || !PRESENTATION_CACHE.test(e.name)) continue;
    const printer = presentationCachePrinter(Buffer.from(e.content));
    if (printer != null) printers.add(printer);
  }
  if (printers.size === 0) return [];
  return [{ kind: "device", severity: "medium", title: "The pictures of the document's embedded objects name the printer they were drawn for.", tags: [], value: shortValue([...printers].join("; ")) }];
}

/** The paths of the files packaged by Object Packager in the document's objects (inner-ole.ts), each once. */
function packagedPaths(doc: CFB.CFB$Container): string[] {
  const paths = new Set<string>();
  for (const e of doc.FileIndex) {
    if (e.type !== 2 || !sameName(e.name, "\x01Ole10Native") || e.content == null || e.content.length < 4) continue;
    const native = Buffer.from(e.content);
    // A bare name (as a cleaned copy keeps) names no folder.
    for (const p of parsePackage(native.subarray(4, 4 + Math.min(native.readUInt32LE(0), native.length - 4)))?.paths ?? []) if (/[\\/]/.test(p)) paths.add(p);
  }
  return [...paths];
}

function reviewFindings(doc: CFB.CFB$Container): Finding[] {
  let review;
  let authors: string[];
  try {
    const stream = (name: string): Buffer | null => rootStream(doc, name);
    const word = stream("WordDocument");
    if (word == null) return [];
    const table = tableStreamOf(word, stream);
    review = surveyReview(word, table);
    authors = [...new Set(commentAuthorsOf(word, table).map((a) => a.trim()).filter((a) => a !== ""))];
  } catch {
    // A document that cannot be read this far has nothing of this to show; its damage is reported elsewhere.
    return [];
  }
  const findings: Finding[] = [];
  if (review.comments > 0) findings.push(commentsFinding("document", review.comments, authors));
  if (review.deletions > 0) {
    findings.push({ kind: "hidden", severity: "high", title: `The document keeps ${review.deletions} tracked change(s), deleted text included.`, tags: [], value: String(review.deletions) });
  }
  return findings;
}

/**
 * The fields of a Word document's text that show its metadata (AUTHOR, USERNAME, FILENAME \p...):
 * what they show is text of the document, which a clean copy keeps, so the finding says so.
 */
function fieldFindings(doc: CFB.CFB$Container): Finding[] {
  let fields;
  try {
    const stream = (name: string): Buffer | null => rootStream(doc, name);
    const word = stream("WordDocument");
    if (word == null) return [];
    fields = metadataFields(word, tableStreamOf(word, stream));
  } catch {
    // A document that cannot be read this far has nothing of this to show; its damage is reported elsewhere.
    return [];
  }
  return metadataFieldsFinding(fields);
}

/**
 * What a fast-saved Word document keeps of its earlier saves where no reader shows it: the table
 * stream it no longer uses and what nothing refers to in the streams it uses (word-leftovers.ts),
 * found as the cleaner finds them, on copies of the streams; the text in them, as far as it reads
 * as text.
 */
function wordLeftoverFindings(doc: CFB.CFB$Container): Finding[] {
  const left: Buffer[] = [];
  try {
    const stream = (name: string): Buffer | null => rootStream(doc, name);
    const word = stream("WordDocument");
    if (word == null) return [];
    const table = tableStreamOf(word, stream);
    const stale = staleTableStreamOf(word, stream);
    if (stale != null) left.push(stale);
    left.push(...zeroLeftovers(word, table, readFib(word)));
  } catch {
    // A document that cannot be read this far has nothing of this to show; its damage is reported elsewhere.
    return [];
  }
  if (!left.some((b) => b.some((x) => x !== 0))) return [];
  const runs: string[] = [];
  let scanned = 0;
  for (const b of left) {
    if (scanned >= MAX_SCANNED) break;
    runs.push(...textRuns(b.subarray(0, MAX_SCANNED - scanned)));
    scanned += b.length;
  }
  const texts = pathsFirst([...new Set(runs)]);
  const f: Finding = { kind: "hidden", severity: "high", title: "The document keeps what earlier saves wrote where no reader shows it (Word's fast saves): earlier wording, earlier users' names and folders.", tags: [] };
  if (texts.length > 0) f.value = shortValue(texts.join("; "));
  return [f];
}
