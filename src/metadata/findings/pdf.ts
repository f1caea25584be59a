import fs from "node:fs";
import { isReview } from "../../cleaners/pdf/review-annotations.js";
import { pdfText } from "../../cleaners/pdf/object-view.js";
import type { PdfDict, PdfJson, QpdfDocument } from "../../cleaners/pdf/scrub-objects.js";
import { qpdfRanOutOfMemory } from "../../cleaners/pdf/qpdf.js";
import { parseQpdfJson } from "../../cleaners/pdf/qpdf-json.js";
import { runOrNull, runTool } from "../../cleaners/run-tool.js";
import { type Finding, type TagEntry, shortValue } from "./types.js";

/** qpdf's JSON of the objects (stream data left out), parsed in the service's own memory: past this, only revisions are counted. */
const MAX_JSON_BYTES = 16 * 1024 * 1024;
const QPDF_TIMEOUT_MS = 30_000;

interface PdfContent {
  annotations: number;
  reviewers: Set<string>;
  attachments: number;
  scripts: number;
  id: string | null;
  /** An XFA form's /XFA (its packets, or a reference to them or to its one stream), null for none. */
  xfa: PdfJson | null;
}

/**
 * `hidden` and `identifiers` of a PDF: review annotations and their authors, attached files,
 * JavaScript, the trailer's `/ID`, read from every object (object streams included) through
 * qpdf; and earlier revisions, counted from the file's cross-reference sections (an incremental
 * update leaves the previous text in the file). `objects` reads them (`pdfObjectsOnce`, shared
 * with the look at the attached files); null leaves them to a reader that dumps them anyway (the
 * PDF cleaner, which gives `pdfObjectFindings` of its own dump).
 */
export async function pdfFindings(entries: readonly TagEntry[], file: string, objects: PdfObjects | null): Promise<Finding[]> {
  const type = entries.find((t) => t.group === "File" && t.tag === "FileType")?.value;
  if (type !== "PDF") return [];
  const findings: Finding[] = [];
  const linearized = entries.some((t) => t.group === "PDF" && t.tag === "Linearized" && (t.value === "Yes" || t.value === true || t.value === 1));
  const revisions = (await countOccurrences(file, "startxref")) - (linearized ? 1 : 0);
  if (revisions > 1) {
    findings.push({ kind: "hidden", severity: "high", title: `The PDF keeps ${revisions - 1} earlier revision(s) of itself, readable by anyone.`, tags: [], value: String(revisions - 1) });
  }
  if (objects == null) return findings;
  const dump = await objects();
  return dump == null ? findings : [...findings, ...pdfObjectFindings(dump.qpdf[1])];
}

/** A PDF's objects as qpdf dumps them (stream data left out), or null when qpdf cannot read them within its limits. */
export type PdfObjects = () => Promise<QpdfDocument | null>;

/** `file`'s objects, dumped by qpdf on the first call only: the findings and the look at its attached files share one run. */
export function pdfObjectsOnce(file: string): PdfObjects {
  let dump: Promise<QpdfDocument | null> | undefined;
  return () => (dump ??= readObjects(file));
}

/** The findings of a PDF's objects, as qpdf's JSON v2 gives them (`qpdf[1]`, stream data or not). */
export function pdfObjectFindings(objects: Readonly<Record<string, unknown>>): Finding[] {
  const content = contentOf(objects);
  const findings: Finding[] = [];
  if (content.annotations > 0) {
    const hidden: Finding = { kind: "hidden", severity: "high", title: `The PDF holds ${content.annotations} review annotation(s) (comments, highlights, notes).`, tags: [] };
    if (content.reviewers.size > 0) hidden.value = shortValue([...content.reviewers].join("; "));
    findings.push(hidden);
  }
  if (content.attachments > 0) {
    findings.push({ kind: "hidden", severity: "high", title: `The PDF carries ${content.attachments} attached file(s).`, tags: [], value: String(content.attachments) });
  }
  if (content.scripts > 0) {
    findings.push({ kind: "hidden", severity: "high", title: "The PDF contains JavaScript.", tags: [], value: String(content.scripts) });
  }
  const xfa = content.xfa == null ? null : xfaFinding(packetNames(content.xfa, objects));
  if (xfa != null) findings.push(xfa);
  if (content.id != null) {
    findings.push({ kind: "identifiers", severity: "medium", title: "The PDF's /ID links every copy and version of it.", tags: [], value: content.id });
  }
  return findings;
}

/** qpdf's objects (stream data left out), or null when qpdf cannot read them within its limits. */
async function readObjects(file: string): Promise<QpdfDocument | null> {
  const r = await runOrNull(
    runTool("qpdf", ["--json-output=2", "--json-key=qpdf", "--json-stream-data=none", file, "-"], {
      timeoutMs: QPDF_TIMEOUT_MS,
      maxOutputBytes: MAX_JSON_BYTES,
      // A PDF qpdf cannot read in time or whose description is too large is still answered, without these findings.
    }),
  );
  // Short of memory on an object, qpdf reads it as null and still succeeds: findings would miss it.
  if (r == null || (r.code !== 0 && r.code !== 3) || qpdfRanOutOfMemory(r.stderr)) return null;
  let parsed: unknown;
  try {
    parsed = parseQpdfJson(r.stdout.toString("utf8"));
  } catch {
    return null;
  }
  const [header, objects] = (parsed as { qpdf?: unknown[] }).qpdf ?? [];
  if (objects == null || typeof objects !== "object") return null;
  return { qpdf: [header != null && typeof header === "object" ? (header as Record<string, unknown>) : {}, objects as QpdfDocument["qpdf"][1]] };
}

function contentOf(objects: Readonly<Record<string, unknown>>): PdfContent {
  const content: PdfContent = { annotations: 0, reviewers: new Set(), attachments: 0, scripts: 0, id: null, xfa: null };
  for (const [key, obj] of Object.entries(objects)) {
    const o = obj as { value?: unknown; stream?: { dict?: unknown } };
    const value = o.value ?? o.stream?.dict;
    if (key === "trailer") {
      const id = (value as Record<string, unknown> | undefined)?.["/ID"];
      if (Array.isArray(id) && typeof id[0] === "string") content.id = id[0].replace(/^[bu]:/, "");
      continue;
    }
    visit(value, content);
  }
  return content;
}

/** Counts what one object (and the dictionaries written inline in it) holds. */
function visit(value: unknown, c: PdfContent): void {
  if (Array.isArray(value)) {
    for (const v of value) visit(v, c);
    return;
  }
  if (value == null || typeof value !== "object") return;
  const d = value as Record<string, unknown>;
  // The annotations the cleaner removes as review content (links and form fields are content);
  // a note's pop-up window is part of its note.
  if (d["/Subtype"] !== "/Popup" && isReview(d as PdfDict) && (d["/Type"] === "/Annot" || d["/Rect"] != null)) {
    c.annotations++;
    if (typeof d["/T"] === "string") c.reviewers.add(d["/T"].replace(/^[bu]:/, ""));
  }
  if (d["/EF"] != null) c.attachments++;
  if (d["/JS"] != null || d["/S"] === "/JavaScript") c.scripts++;
  if (d["/XFA"] != null) c.xfa = d["/XFA"] as PdfJson;
  for (const v of Object.values(d)) visit(v, c);
}

/** The packet names of an XFA form's array (written in place or as an object); none for a form held as one stream. */
function packetNames(xfa: PdfJson, objects: Readonly<Record<string, unknown>>): string[] {
  const packets = typeof xfa === "string" ? (objects[`obj:${xfa}`] as { value?: PdfJson } | undefined)?.value : xfa;
  return Array.isArray(packets) ? packets.filter((_, i) => i % 2 === 0).map((v) => pdfText(v) ?? "?") : [];
}

/**
 * An XFA form listing an `xmpmeta` packet: an XMP copy of the document's metadata (author,
 * creator tool, dates, document ids) that ExifTool does not read; the cleaner removes it
 * (cleaners/pdf/xfa-packets.ts). A form held as one stream is not opened here.
 */
function xfaFinding(packets: readonly string[]): Finding | null {
  if (!packets.includes("xmpmeta")) return null;
  return { kind: "hidden", severity: "medium", title: "The PDF's XFA form carries its own XMP copy of the document's metadata.", tags: [], value: shortValue(packets.join("; ")) };
}

/** Occurrences of an ASCII word in a file, read in chunks. */
async function countOccurrences(file: string, word: string): Promise<number> {
  const needle = Buffer.from(word, "latin1");
  let count = 0;
  let carry = Buffer.alloc(0);
  for await (const chunk of fs.createReadStream(file, { highWaterMark: 1024 * 1024 })) {
    const buf = Buffer.concat([carry, chunk as Buffer]);
    for (let i = buf.indexOf(needle); i >= 0; i = buf.indexOf(needle, i + needle.length)) count++;
    carry = buf.subarray(Math.max(0, buf.length - needle.length + 1));
    // The carried tail is shorter than the word, so no occurrence is counted twice.
  }
  return count;
}
