import type { Document } from "@xmldom/xmldom";
import type yauzl from "yauzl";
import { REMOTE_HREF } from "../../cleaners/epub/linked-records.js";
import { recordsIn } from "../../cleaners/office/biff12.js";
import { TRACKED_CHANGE_ELEMENTS } from "../../cleaners/office/ooxml-revisions.js";
import { readWorkbookRecords, type WorkbookRecords } from "../../cleaners/office/xlsb-records.js";
import { isRelsName, mainPart, planDrops } from "../../cleaners/office/ooxml-package.js";
import { ODF_TYPES } from "../../cleaners/office/opendocument.js";
import { parseXml } from "../../cleaners/office/xml.js";
import { openZip, openZipEntry, zipEntries } from "../../cleaners/zip-file.js";
import type { MetadataField } from "../../cleaners/legacy-office/word-fields.js";
import { ENCRYPTED_FINDING } from "./encrypted.js";
import { unusedParts as unusedOdfParts } from "./odf-unused-parts.js";
import { metadataFieldsFinding, ooxmlMetadataFields } from "./metadata-fields.js";
import { embeddedFinding, type Finding, type TagEntry, shortValue } from "./types.js";

/** Bounds of the look inside: entries listed, bytes of one part read. */
const MAX_ENTRIES = 10_000;
const MAX_PART_BYTES = 16 * 1024 * 1024;
/**
 * The relationships parts are all held at once, parsed (about 14 bytes of heap for each of theirs):
 * past 2 MB of them, which only a workbook of tens of thousands of hyperlinks reaches, the unused
 * parts are not looked for.
 */
const MAX_RELS_BYTES = 2 * 1024 * 1024;

/** ZIP-based documents (ExifTool's FileType) whose parts are looked into. */
export const OFFICE_TYPES: ReadonlySet<string> = new Set(["DOCX", "DOCM", "DOTX", "DOTM", "XLSX", "XLSM", "XLTX", "XLTM", "XLSB", "PPTX", "PPTM", "POTX", "PPSX", "ODT", "ODS", "ODP", "ODG", "OTT", "EPUB"]);

/** Parts whose text tells of review content; each is read (bounded) and its patterns counted. */
const READ_PART = /^(word\/(document|comments|header\d*|footer\d*|settings)\.xml|xl\/workbook\.(xml|bin)|xl\/comments\d*\.(xml|bin)|xl\/pivotCache\/pivotCacheDefinition\d*\.(xml|bin)|xl\/threadedComments\/.*\.xml|xl\/persons\/person\.xml|ppt\/presentation\.xml|ppt\/slides\/slide\d+\.xml|ppt\/commentAuthors\.xml|ppt\/comments\/.*\.xml|content\.xml|META-INF\/manifest\.xml|.*\.opf)$/;

const BINARY_PART = /\.bin$/;
const COMMENT_PART = /^(word\/comments(Extended|Ids|Extensible)?\.xml|xl\/comments\d*\.(xml|bin)|xl\/threadedComments\/|ppt\/comments\/|ppt\/commentAuthors\.xml)/;
const EMBEDDED = /^((word|xl|ppt)\/(media|embeddings)\/|Pictures\/|Object \d+\/|OEBPS\/images\/|images\/)/;
const THUMBNAIL = /^(docProps\/thumbnail\.|Thumbnails\/thumbnail\.)/;
/** Each one tracked change, as the cleaning counts those it accepts. */
const TRACKED_CHANGE = new RegExp(`<w:(${TRACKED_CHANGE_ELEMENTS.join("|")})\\b`, "g");

interface OfficeContent {
  comments: number;
  commenters: Set<string>;
  trackedChanges: number;
  hiddenText: number;
  hiddenSheetsOrSlides: number;
  revisionIds: number;
  embedded: string[];
  /** Every file entry's name (a plain ZIP's members are all embedded files). */
  members: string[];
  thumbnails: string[];
  /** An EPUB's own files that its package metadata links to (an ONIX or MARC record...). */
  records: string[];
  /** The fields of a Word document's text that show its metadata (metadata-fields.ts). */
  fields: MetadataField[];
  /** An OpenDocument file saved with a password: its manifest says how its parts are encrypted. */
  encrypted: boolean;
  /** The folder an Excel workbook was last saved in (`x15ac:absPath`, BrtAbsPath15). */
  savedIn?: string | undefined;
  /** The user who reserved an Excel workbook for writing (`fileSharing`, BrtFileSharing). */
  reservedBy?: string | undefined;
  /** Who last refreshed an Excel workbook's pivot caches (`refreshedBy`, BrtBeginPivotCacheDef). */
  refreshedBy: Set<string>;
  /** The names of a shared workbook's personal views, which Excel gives after their users (`customWorkbookView`, BrtUserBookView). */
  personalViews: Set<string>;
  /** An OOXML package's relationships parts, by name: null for one that does not parse or lies past MAX_RELS_BYTES. */
  rels: Map<string, Document | null>;
  /** The bytes of the relationships parts read so far. */
  relsBytes: number;
  /** Whether every entry was listed (MAX_ENTRIES). */
  listedAll: boolean;
}

/**
 * `hidden`, `embedded`, `previews` and `identifiers` of office documents (OOXML, OpenDocument),
 * which ExifTool reads only the properties of: review comments and their authors, tracked
 * changes, hidden text, sheets and slides, revision ids, pictures and objects inside, the
 * saved thumbnail, the fields of a Word document's text that show its metadata, and the folder an
 * Excel workbook was saved in, who reserved it and who last refreshed its pivot caches (in an
 * XLSB's records as in an XLSX's XML). A ZIP that is not a document counts its members as embedded files.
 */
export async function officeFindings(entries: readonly TagEntry[], file: string): Promise<Finding[]> {
  const type = entries.find((t) => t.group === "File" && t.tag === "FileType")?.value;
  if (typeof type !== "string" || (!OFFICE_TYPES.has(type) && type !== "ZIP")) return [];
  // A file that does not open as a ZIP has nothing of this to show; its damage is reported elsewhere.
  const c = await inspect(file).catch(() => null);
  if (c == null) return [];
  const findings: Finding[] = [];
  if (type === "ZIP") {
    if (c.members.length > 0) findings.push(embeddedFinding(c.members));
    return findings;
  }
  // Its parts are ciphertext: what was counted in them means nothing.
  if (c.encrypted) return [ENCRYPTED_FINDING];
  if (c.comments > 0) {
    const f: Finding = { kind: "hidden", severity: "high", title: `The document holds ${c.comments} review comment(s).`, tags: [] };
    if (c.commenters.size > 0) f.value = shortValue([...c.commenters].join("; "));
    findings.push(f);
  }
  if (c.trackedChanges > 0) {
    findings.push({ kind: "hidden", severity: "high", title: `The document keeps ${c.trackedChanges} tracked change(s), deleted text included.`, tags: [], value: String(c.trackedChanges) });
  }
  if (c.hiddenText > 0) findings.push({ kind: "hidden", severity: "high", title: "The document holds hidden text.", tags: [], value: String(c.hiddenText) });
  if (c.hiddenSheetsOrSlides > 0) {
    findings.push({ kind: "hidden", severity: "high", title: "The document holds hidden sheets or slides.", tags: [], value: String(c.hiddenSheetsOrSlides) });
  }
  if (c.savedIn != null) findings.push({ kind: "hidden", severity: "medium", title: "The workbook names the folder it was last saved in.", tags: [], value: shortValue(c.savedIn) });
  if (c.refreshedBy.size > 0) {
    findings.push({ kind: "hidden", severity: "medium", title: "The workbook names who last refreshed its pivot tables' data.", tags: [], value: shortValue([...c.refreshedBy].join("; ")) });
  }
  if (c.personalViews.size > 0) {
    findings.push({ kind: "people", severity: "medium", title: "The workbook's personal views are named after the people who made them.", tags: [], value: shortValue([...c.personalViews].join("; ")) });
  }
  if (c.reservedBy != null) findings.push({ kind: "hidden", severity: "medium", title: "The workbook names the user who reserved it for writing.", tags: [], value: shortValue(c.reservedBy) });
  if (c.revisionIds > 0) {
    findings.push({ kind: "identifiers", severity: "medium", title: "The document carries revision ids that link it to its other versions.", tags: [], value: String(c.revisionIds) });
  }
  if (c.thumbnails.length > 0) {
    findings.push({ kind: "previews", severity: "medium", title: "The document keeps a thumbnail of its first page.", tags: [], value: c.thumbnails.join("; ") });
  }
  if (c.records.length > 0) {
    findings.push({ kind: "hidden", severity: "medium", title: "The book carries a metadata record of its own (ONIX, MARC...): publisher, contributors, identifiers.", tags: [], value: shortValue(c.records.join("; ")) });
  }
  findings.push(...metadataFieldsFinding(c.fields));
  const unused = ODF_TYPES.has(type) ? (c.listedAll ? await unusedOdfParts(file) : []) : unusedParts(c);
  if (unused.length > 0) {
    findings.push({ kind: "hidden", severity: "medium", title: "The document holds parts that no reader opens (left by a tool that deleted what used them, or cut off by damage); what they hold is still in the file.", tags: [], value: shortValue(unused.join("; ")) });
  }
  if (c.embedded.length > 0) findings.push(embeddedFinding(c.embedded));
  return findings;
}

/**
 * The parts of an OOXML package that no chain of relationships leads to, as the cleaning finds
 * them (ooxml-package.ts, planDrops). None when not every entry was listed, and none when a
 * relationships part could not be read or the package does not lead to its main part: damage the
 * cleaning refuses, not parts left behind.
 */
function unusedParts(c: OfficeContent): string[] {
  if (!c.listedAll) return [];
  const rels = new Map<string, Document>();
  for (const [name, doc] of c.rels) {
    if (doc == null) return [];
    rels.set(name, doc);
  }
  const main = mainPart(rels);
  if (!c.members.some((m) => m.toLowerCase() === main)) return [];
  const { unused } = planDrops(c.members, rels);
  return c.members.filter((m) => unused.has(m.toLowerCase()));
}

function count(text: string, re: RegExp): number {
  return text.match(re)?.length ?? 0;
}

function account(c: OfficeContent, name: string, text: string): void {
  if (name === "word/comments.xml") c.comments += count(text, /<w:comment\b/g);
  if (/^xl\/comments\d*\.xml$/.test(name)) c.comments += count(text, /<comment\b/g);
  if (/^xl\/threadedComments\//.test(name)) c.comments += count(text, /<threadedComment\b/g);
  if (/^ppt\/comments\//.test(name)) c.comments += count(text, /<p(188)?:cm\b/g);
  if (name === "content.xml") c.comments += count(text, /<office:annotation\b/g);
  for (const m of text.matchAll(/\b(?:w:author|displayName)="([^"]{1,200})"|<author>([^<]{1,200})<\/author>|<p:cmAuthor\b[^>]*\bname="([^"]{1,200})"|<dc:creator>([^<]{1,200})<\/dc:creator>/g)) {
    if (COMMENT_PART.test(name) || name === "content.xml") c.commenters.add(m[1] ?? m[2] ?? m[3] ?? m[4] ?? "");
  }
  if (/^word\/(document|header\d*|footer\d*)\.xml$/.test(name)) c.fields.push(...ooxmlMetadataFields(text));
  if (/^word\//.test(name)) {
    c.trackedChanges += count(text, TRACKED_CHANGE);
    c.hiddenText += count(text, /<w:vanish\s*\/>/g);
    c.revisionIds += count(text, /\bw:rsid\w*="/g);
  }
  if (name === "content.xml") {
    c.trackedChanges += count(text, /<text:changed-region\b/g);
    c.hiddenText += count(text, /<text:hidden-(text|paragraph)\b|text:display="none"/g);
  }
  if (name === "META-INF/manifest.xml") c.encrypted ||= /<(\w+:)?encryption-data\b/.test(text);
  if (name.endsWith(".opf")) c.records.push(...linkedRecords(text));
  if (name === "xl/workbook.xml") {
    c.hiddenSheetsOrSlides += count(text, /<sheet\b[^>]*\bstate="(hidden|veryHidden)"/g);
    c.savedIn ??= /<(?:\w+:)?absPath\b[^>]*\burl="([^"]{1,1000})"/.exec(text)?.[1];
    c.reservedBy ??= /<(?:\w+:)?fileSharing\b[^>]*\buserName="([^"]{1,200})"/.exec(text)?.[1];
    for (const [view] of text.matchAll(/<(?:\w+:)?customWorkbookView\b[^>]{0,4000}>/g)) {
      const name = /\sname="([^"]{1,200})"/.exec(view)?.[1];
      if (name != null && /\spersonalView="(1|true)"/.test(view)) c.personalViews.add(name);
    }
  }
  const refresher = /^xl\/pivotCache\//.test(name) ? /<(?:\w+:)?pivotCacheDefinition\b[^>]*\brefreshedBy="([^"]{1,200})"/.exec(text)?.[1] : undefined;
  if (refresher != null && refresher !== "") c.refreshedBy.add(refresher);
  if (/^ppt\/slides\//.test(name)) c.hiddenSheetsOrSlides += count(text, /<p:sld\b[^>]*\bshow="0"/g);
}

/** The hrefs of a package document's `<link>` elements that name a file of the book (no scheme). */
function linkedRecords(opf: string): string[] {
  const hrefs = [...opf.matchAll(/<(?:\w+:)?link\b[^>]*?\bhref\s*=\s*(?:"([^"]*)"|'([^']*)')/g)].map((m) => m[1] ?? m[2] ?? "");
  return hrefs.filter((h) => h !== "" && !REMOTE_HREF.test(h));
}

async function inspect(file: string): Promise<OfficeContent> {
  const c: OfficeContent = { comments: 0, commenters: new Set(), trackedChanges: 0, hiddenText: 0, hiddenSheetsOrSlides: 0, revisionIds: 0, embedded: [], members: [], thumbnails: [], records: [], fields: [], encrypted: false, refreshedBy: new Set(), personalViews: new Set(), rels: new Map(), relsBytes: 0, listedAll: false };
  const zip = await openZip(file, { validateEntrySizes: false });
  try {
    let seen = 0;
    for await (const entry of zipEntries(zip)) {
      if (++seen > MAX_ENTRIES) return c;
      const name = entry.fileName;
      if (!name.endsWith("/")) {
        c.members.push(name);
        if (THUMBNAIL.test(name)) c.thumbnails.push(name);
        else if (EMBEDDED.test(name)) c.embedded.push(name);
      }
      if (entry.isEncrypted()) continue;
      if (isRelsName(name)) {
        await readRels(c, zip, entry);
        continue;
      }
      if (!READ_PART.test(name)) continue;
      const bytes = await readPart(zip, entry);
      if (BINARY_PART.test(name)) accountRecords(c, bytes);
      else account(c, name, bytes.toString("utf8"));
    }
    c.listedAll = true;
    return c;
  } finally {
    zip.close();
  }
}

/** A relationships part, parsed as the cleaning parses it (an empty one leads nowhere), within MAX_RELS_BYTES for them all. */
async function readRels(c: OfficeContent, zip: yauzl.ZipFile, entry: yauzl.Entry): Promise<void> {
  const name = entry.fileName;
  const bytes = c.relsBytes < MAX_RELS_BYTES ? await readPart(zip, entry, MAX_RELS_BYTES) : null;
  if (bytes?.length === 0) return;
  c.relsBytes += bytes?.length ?? 0;
  try {
    c.rels.set(name, bytes != null && c.relsBytes < MAX_RELS_BYTES ? parseXml(bytes, name) : null);
  } catch {
    c.rels.set(name, null);
  }
}

/** An XLSB's notes and workbook, in records (xlsb-records.ts); a damaged one tells nothing. */
function accountRecords(c: OfficeContent, bytes: Buffer): void {
  const read: WorkbookRecords = { comments: 0, commenters: [], hiddenSheets: 0, refreshedBy: [], personalViews: [] };
  try {
    readWorkbookRecords(recordsIn(bytes), read);
  } catch {
    return;
  }
  c.comments += read.comments;
  for (const name of read.commenters) c.commenters.add(name);
  c.hiddenSheetsOrSlides += read.hiddenSheets;
  c.savedIn ??= read.savedIn;
  c.reservedBy ??= read.reservedBy;
  for (const name of read.refreshedBy) if (name !== "") c.refreshedBy.add(name);
  for (const name of read.personalViews) if (name !== "") c.personalViews.add(name);
}

/** The first `limit` bytes of an entry, inflated. */
async function readPart(zip: yauzl.ZipFile, entry: yauzl.Entry, limit = MAX_PART_BYTES): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  const stream = await openZipEntry(zip, entry);
  try {
    for await (const chunk of stream) {
      chunks.push(chunk as Buffer);
      size += (chunk as Buffer).length;
      if (size >= limit) break;
    }
  } finally {
    stream.destroy();
  }
  return Buffer.concat(chunks);
}
