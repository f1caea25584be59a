import path from "node:path";
import type { Document, Element } from "@xmldom/xmldom";
import { bareName } from "../connection-strings.js";
import { removeNode } from "./xml.js";

const RELS_NS = "http://schemas.openxmlformats.org/package/2006/relationships";
const TYPES_NS = "http://schemas.openxmlformats.org/package/2006/content-types";

/**
 * Relationship types whose target is metadata, by the last segment of the type URI, lower case
 * without hyphens (Transitional writes `core-properties`, Strict `coreProperties`): document
 * properties, thumbnail, printer settings, Word's template path and people list, custom XML
 * (SharePoint properties), digital signatures (the signer's identity), Excel's shared-workbook
 * revision log (user names and times), PowerPoint's revision and change logs (client ids, author
 * names), sensitivity labels (the organisation's tenant and site ids), a sheet's custom
 * properties (what an add-in or a macro stored with it: Hyperion's, Oracle's, a macro's own) and
 * the workbook metadata Google Sheets adds to a workbook it exports (`xl/metadata`, binary).
 */
const DROPPED_TYPES: ReadonlySet<string> = new Set([
  "coreproperties",
  "extendedproperties",
  "customproperties",
  "customproperty",
  "workbookmetadata",
  "thumbnail",
  "printersettings",
  "attachedtemplate",
  "people",
  "customxml",
  "customxmlprops",
  "origin",
  "signature",
  "revisionheaders",
  "revisionlog",
  "usernames",
  "revisioninfo",
  "changesinfo",
  "classificationlabels",
]);

/** Parts dropped by name, wherever they are referenced from. `[trash]` holds deleted parts. */
const DROPPED_PATHS: readonly RegExp[] = [/^docprops\//, /^customxml\//, /(^|\/)printersettings\//, /^_xmlsignatures\//, /^xl\/revisions\//, /^ppt\/changesinfos\//, /^ppt\/revisioninfo\.xml$/, /^docmetadata\//, /^\[trash\]\//];

/**
 * The root elements of metadata parts, by namespace (Transitional and Strict) and local name:
 * core, extended and custom properties, custom XML data-store properties, SharePoint's document
 * management properties, Word's people list.
 */
const METADATA_ROOTS: ReadonlyMap<string, string> = new Map([
  ["http://schemas.openxmlformats.org/package/2006/metadata/core-properties", "coreProperties"],
  ["http://schemas.openxmlformats.org/officeDocument/2006/extended-properties", "Properties"],
  ["http://purl.oclc.org/ooxml/officeDocument/extendedProperties", "Properties"],
  ["http://schemas.openxmlformats.org/officeDocument/2006/custom-properties", "Properties"],
  ["http://purl.oclc.org/ooxml/officeDocument/customProperties", "Properties"],
  ["http://schemas.openxmlformats.org/officeDocument/2006/customXml", "datastoreItem"],
  ["http://purl.oclc.org/ooxml/officeDocument/customXml", "datastoreItem"],
  ["http://schemas.microsoft.com/office/2006/metadata/properties", "properties"],
  ["http://schemas.microsoft.com/office/word/2012/wordml", "people"],
]);

/**
 * True for the root element of a metadata part, whatever the part's name or the relationship
 * that leads to it say: in a damaged package (`docProts/core.xml`, a relationship type with a
 * flipped letter) the name is what breaks, and the part would otherwise be copied as content.
 */
export function isMetadataRoot(uri: string, local: string): boolean {
  return METADATA_ROOTS.get(uri) === local;
}

/** Lower-case part names (OPC names are case-insensitive) to leave out of the clean package. */
export type Dropped = ReadonlySet<string>;

/** What leaves the clean package. */
export interface DropPlan {
  dropped: Dropped;
  /** The parts among `dropped` that no relationship of a kept part leads to (not the relationships parts). */
  unreached: ReadonlySet<string>;
  /**
   * The parts no relationship of any part leads to, whatever else drops them (an orphaned comments
   * part goes by its content type too): no reader of the original opens them.
   */
  unused: ReadonlySet<string>;
}

/**
 * Decides which parts go, from their names and every relationship of the package; `also` adds
 * parts decided elsewhere (review content). A part goes too when no chain of relationships from
 * the package's own leads to it through kept parts: the media only a dropped part used, and
 * parts no reader opens at all, which nothing shows to be still there, and which hold whatever
 * was left in them (a comments part whose relationship was damaged, a sheet deleted by a tool
 * that left its file). The parts named by the package-level relationships are the roots, so a
 * package whose main document no relationship names is damaged.
 */
export function planDrops(names: readonly string[], rels: ReadonlyMap<string, Document>, also: Iterable<string> = []): DropPlan {
  const dropped = new Set<string>(also);
  for (const name of names) if (DROPPED_PATHS.some((re) => re.test(name.toLowerCase()))) dropped.add(name.toLowerCase());
  for (const [relsName, doc] of rels) {
    for (const r of relationships(doc)) {
      if (!DROPPED_TYPES.has(kind(r))) continue;
      const target = internalTarget(relsName, r);
      if (target != null) dropped.add(target);
    }
  }
  const kept = reachedParts(rels, (r, target) => DROPPED_TYPES.has(kind(r)) || dropped.has(target));
  const opened = reachedParts(rels, () => false);
  const unreached = new Set<string>();
  const unused = new Set<string>();
  for (const name of names.map((n) => n.toLowerCase())) {
    if (name.endsWith("/") || name === CONTENT_TYPES_PART) continue;
    const source = relsSource(name);
    // A relationships part goes with its source part: the package's own stays.
    if (source != null) {
      if (source !== "" && !kept.has(source)) dropped.add(name);
      continue;
    }
    if (!opened.has(name)) unused.add(name);
    if (dropped.has(name) || kept.has(name)) continue;
    dropped.add(name);
    unreached.add(name);
  }
  return { dropped, unreached, unused };
}

const CONTENT_TYPES_PART = "[content_types].xml";

/** The lower-case name of the part the package's own relationships name as its main document, if any. */
export function mainPart(rels: ReadonlyMap<string, Document>): string | null {
  for (const [relsName, doc] of rels) {
    if (relsSource(relsName) !== "") continue;
    for (const r of relationships(doc)) if (kind(r) === "officedocument") return internalTarget(relsName, r);
  }
  return null;
}

/** The parts a chain of relationships from the package's own reaches, not following those `skip` says. */
function reachedParts(rels: ReadonlyMap<string, Document>, skip: (r: Element, target: string) => boolean): Set<string> {
  const bySource = new Map<string, [string, Document]>();
  for (const [relsName, doc] of rels) {
    const source = relsSource(relsName);
    if (source != null) bySource.set(source, [relsName, doc]);
  }
  const reached = new Set<string>();
  const pending = [""];
  for (let source = pending.pop(); source != null; source = pending.pop()) {
    const own = bySource.get(source);
    if (own == null) continue;
    for (const r of relationships(own[1])) {
      const target = internalTarget(own[0], r);
      if (target == null || reached.has(target) || skip(r, target)) continue;
      reached.add(target);
      pending.push(target);
    }
  }
  return reached;
}

/** Removes the relationships of dropped types and those pointing at dropped parts. */
export function pruneRels(relsName: string, doc: Document, dropped: Dropped): void {
  for (const r of relationships(doc)) {
    const target = internalTarget(relsName, r);
    if (DROPPED_TYPES.has(kind(r)) || (target != null && dropped.has(target))) removeNode(r);
  }
}

/** Relationships to a file outside the package that Office follows to refresh data: linked workbooks (and where Excel looked for them), mail-merge data sources. */
const LINKED_FILES: ReadonlySet<string> = new Set(["externallinkpath", "xlpathmissing", "xlstartup", "xlalternatestartup", "xllibrary", "mailmergesource", "mailmergeheadersource"]);

/** Parts whose every external relationship points to a linked file: external links (and their alternate addresses), pivot caches over another workbook. */
const LINKING_PARTS = /^xl\/(externallinks|pivotcache)\//;

/**
 * A linked file's path (`file:///C:\Users\jane\...`, `../../jane/...`) or personal OneDrive
 * address becomes its bare name (connection-strings.ts), as Excel writes a file beside the
 * workbook; a shared site's address stays. The values read from the file stay in the document.
 * Any other external target (a linked picture, a linked OLE object, a hyperlink) that is a local
 * path, a share or a personal OneDrive address becomes its bare name too; a web address stays.
 * So does a target without TargetMode="External" that climbs out of the package
 * (`../../../Users/jane/...`): no part of the document, but the author's folders all the same.
 */
export function bareLinkedFiles(relsName: string, doc: Document): void {
  const linking = LINKING_PARTS.test(relsSource(relsName) ?? "");
  for (const r of relationships(doc)) {
    const target = r.getAttribute("Target") ?? "";
    if (r.getAttribute("TargetMode") !== "External") {
      if (climbsOut(relsName, r)) r.setAttribute("Target", target.replace(/^.*[\\/]/, ""));
      continue;
    }
    const linked = linking || LINKED_FILES.has(kind(r));
    // A relative path climbs out of the workbook's folder through the author's own (`../../jane/...`).
    const bare = linked && !/^https?:/i.test(target) ? target.replace(/^.*[\\/]/, "") : bareName(target);
    if (bare !== target) r.setAttribute("Target", bare);
  }
}

/** Lower-case names of the parts whose content-type override `matches`. */
export function partsOfContentType(doc: Document, matches: RegExp): string[] {
  return Array.from(doc.getElementsByTagNameNS(TYPES_NS, "Override"))
    .filter((o) => matches.test(o.getAttribute("ContentType") ?? ""))
    .map((o) => decode(o.getAttribute("PartName") ?? "").replace(/^\/+/, "").toLowerCase());
}

/** Removes the content-type overrides of dropped parts. */
export function pruneContentTypes(doc: Document, dropped: Dropped): void {
  for (const o of Array.from(doc.getElementsByTagNameNS(TYPES_NS, "Override"))) {
    const part = decode(o.getAttribute("PartName") ?? "").replace(/^\/+/, "").toLowerCase();
    if (dropped.has(part)) removeNode(o);
  }
}

/**
 * The ids of the relationships `pruneRels` removes, by lower-case source part: the elements that
 * refer to them must not be left pointing at nothing.
 */
export function removedRelIds(rels: ReadonlyMap<string, Document>, dropped: Dropped): Map<string, Set<string>> {
  const ids = new Map<string, Set<string>>();
  for (const [relsName, doc] of rels) {
    const source = relsSource(relsName);
    if (source == null) continue;
    for (const r of relationships(doc)) {
      const target = internalTarget(relsName, r);
      if (!DROPPED_TYPES.has(kind(r)) && (target == null || !dropped.has(target))) continue;
      const set = ids.get(source) ?? new Set<string>();
      const id = r.getAttribute("Id");
      if (id != null && id !== "") set.add(id);
      ids.set(source, set);
    }
  }
  return ids;
}

export function relationships(doc: Document): Element[] {
  return Array.from(doc.getElementsByTagNameNS(RELS_NS, "Relationship"));
}

/** A relationship's type by the last segment of its URI, lower case without hyphens. */
export function kind(r: Element): string {
  const type = r.getAttribute("Type") ?? "";
  return (type.split("/").pop() ?? "").replace(/-/g, "").toLowerCase();
}

/**
 * The part a relationship points to, resolved against its source part's folder (OPC, ECMA-376
 * Part 2, 9.3), or null for an external target or one outside the package.
 */
export function internalTarget(relsName: string, r: Element): string | null {
  if (r.getAttribute("TargetMode") === "External") return null;
  const source = relsSource(relsName);
  if (source == null) return null;
  const target = decode((r.getAttribute("Target") ?? "").replace(/[#?].*$/, ""));
  if (target === "") return null;
  const joined = target.startsWith("/") ? target.slice(1) : path.posix.join(path.posix.dirname(source), target);
  const resolved = path.posix.normalize(joined);
  return resolved.startsWith("../") || resolved === ".." ? null : resolved.toLowerCase();
}

/** Whether an internal relationship's target resolves outside the package. */
function climbsOut(relsName: string, r: Element): boolean {
  return relsSource(relsName) != null && decode(r.getAttribute("Target") ?? "").replace(/[#?].*$/, "") !== "" && internalTarget(relsName, r) == null;
}

/** Whether an entry is read as a relationships part (by the cleaning and by the findings alike). */
export function isRelsName(name: string): boolean {
  return /\.rels$/i.test(name);
}

/** `word/_rels/document.xml.rels` -> `word/document.xml`; the package's `_rels/.rels` -> "". */
export function relsSource(relsName: string): string | null {
  const m = /^(.*?)_rels\/([^/]*)\.rels$/i.exec(relsName);
  return m == null ? null : `${m[1] ?? ""}${m[2] ?? ""}`.toLowerCase();
}

function decode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    // A stray "%" is a literal character of the name, not an encoding.
    return s;
  }
}
