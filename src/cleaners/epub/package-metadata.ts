import crypto from "node:crypto";
import type { Document, Element, Node } from "@xmldom/xmldom";
import { BadFileError } from "../errors.js";
import { elements, removeComments, removeNode, setText } from "../office/xml.js";
import { OPF } from "./manifest.js";

const DC = "http://purl.org/dc/elements/1.1/";
const NCX = "http://www.daisy.org/z3986/2005/ncx/";
const ELEMENT_NODE = 1;
const PROCESSING_INSTRUCTION_NODE = 7;

/** The last-modified date EPUB 3 requires, fixed: the real one says when the book was edited. */
export const NEUTRAL_MODIFIED = "2000-01-01T00:00:00Z";

/**
 * Rewrites an OPF package document's `<metadata>` down to what a reading system needs
 * (EPUB 3.3, 5.5; OPF 2.0.1, 2.2): the unique identifier with a new random value (a book must
 * have one, and the old one could be an ISBN or a store's id tying the copy to its buyer),
 * `dc:title` and `dc:language` (required; they name the book and its language, as its own
 * title page does), the `dcterms:modified` date (EPUB 3, fixed), and the `cover` meta that
 * points at the cover image. Everything else goes: creators, contributors, publisher, dates,
 * rights, description, subjects, sources, every other `meta` and `link` (calibre's, Apple's,
 * refinements of the dropped elements), and XML comments.
 *
 * Returns the new identifier, for the NCX (whose `dtb:uid` must equal it).
 */
export function cleanPackage(doc: Document): string {
  removeComments(doc);
  const pkg = doc.documentElement;
  if (pkg == null || pkg.namespaceURI !== OPF || pkg.localName !== "package") throw bad("its package document is not an OPF package");
  const metadata = Array.from(pkg.getElementsByTagNameNS(OPF, "metadata"))[0];
  if (metadata == null) throw bad("its package document has no metadata");
  const uidName = pkg.getAttribute("unique-identifier") ?? "";
  const identifier = `urn:uuid:${crypto.randomUUID()}`;
  const epub3 = (pkg.getAttribute("version") ?? "").startsWith("3");
  let haveId = false;

  for (const el of children(metadata)) {
    const kept = isKept(el, uidName);
    if (!kept) {
      removeNode(el);
      continue;
    }
    if (el.namespaceURI === DC && el.localName === "identifier") {
      haveId = true;
      setText(el, identifier);
      stripAttributes(el, ["id"]);
    } else if (el.namespaceURI === DC) {
      stripAttributes(el, []);
    } else if (isModified(el)) {
      setText(el, NEUTRAL_MODIFIED);
      stripAttributes(el, ["property"]);
    }
  }
  if (!haveId) throw bad("its package document names no unique identifier");
  // The legacy OPF 2 wrapper (`dc-metadata`, `x-metadata`) holds the same fields one level down.
  for (const el of Array.from(metadata.getElementsByTagNameNS(OPF, "dc-metadata"))) removeNode(el);
  for (const el of Array.from(metadata.getElementsByTagNameNS(OPF, "x-metadata"))) removeNode(el);
  if (epub3 && !children(metadata).some(isModified)) {
    const modified = doc.createElementNS(OPF, "meta");
    modified.setAttribute("property", "dcterms:modified");
    setText(modified, NEUTRAL_MODIFIED);
    metadata.appendChild(modified);
  }
  return identifier;
}

function isKept(el: Element, uidName: string): boolean {
  if (el.namespaceURI === DC) {
    if (el.localName === "identifier") return el.getAttribute("id") === uidName;
    return el.localName === "title" || el.localName === "language";
  }
  if (el.namespaceURI === OPF && el.localName === "meta") return isModified(el) || el.getAttribute("name") === "cover";
  return false;
}

function isModified(el: Element): boolean {
  return el.namespaceURI === OPF && el.localName === "meta" && el.getAttribute("property") === "dcterms:modified";
}

/** Removes every attribute but the listed ones (opf:role, opf:file-as, opf:scheme, xml:lang of dropped refinements...). */
function stripAttributes(el: Element, keep: readonly string[]): void {
  const names = Array.from({ length: el.attributes.length }, (_, i) => el.attributes.item(i)!.name);
  for (const n of names) if (!keep.includes(n) && n !== "xml:lang" && n !== "dir") el.removeAttribute(n);
}

function children(el: Element): Element[] {
  const out: Element[] = [];
  for (let c = el.firstChild; c != null; c = c.nextSibling) if (c.nodeType === 1) out.push(c as Element);
  return out;
}

/**
 * The elements of an EPUB 2 navigation control file (NCX 2005-1, ANSI/NISO Z39.86-2005, 8.4)
 * but `docAuthor`, which goes. Anything else in it, or in another namespace, no reader of the
 * table of contents reads, and a name with a damaged letter (a flipped bit: `docAuthor` as
 * `docAuthxr`) would still hold its value.
 */
const NCX_ELEMENTS: ReadonlySet<string> = new Set([
  ...["ncx", "head", "meta", "smilCustomTest", "docTitle", "text", "audio", "img"],
  ...["navMap", "navInfo", "navLabel", "navPoint", "content", "pageList", "pageTarget", "navList", "navTarget"],
]);

/** What the head holds: its metas and the tests a reader uses to skip parts of a spoken book. */
const NCX_HEAD_ELEMENTS: ReadonlySet<string> = new Set(["meta", "smilCustomTest"]);

/** The head metas a reader uses: the book's id (the new one), and the table's depth and page counts (whole numbers). */
const NCX_KEPT_METAS: ReadonlySet<string> = new Set(["dtb:uid", "dtb:depth", "dtb:totalPageCount", "dtb:maxPageNumber"]);

/**
 * An EPUB 2 navigation control file, cleaned from an allow-list: the book's id in `dtb:uid`
 * becomes the new identifier, the head keeps only the metas a reader uses (generator, a tool's
 * own, go) with nothing but their name and value, and every element the NCX does not define goes,
 * `docAuthor` (the author's name again) with them. A root that is not the NCX's `ncx` is refused:
 * nothing in it would be what the names above are (fuzz seed 1657653122, #5324: a bit flipped in
 * the namespace made every element a stranger, and a cleaning that went by it left them all).
 */
export function cleanNcx(doc: Document, identifier: string): void {
  removeComments(doc);
  removeInstructions(doc);
  const root = doc.documentElement;
  if (root == null || root.namespaceURI !== NCX || root.localName !== "ncx") throw bad("its table of contents (NCX) is not an NCX document");
  for (const el of elements(root)) {
    if (!isNcxKept(el)) removeNode(el);
    else if (el.localName === "head") removeText(el);
    else if (NCX_HEAD_ELEMENTS.has(el.localName ?? "")) cleanHeadElement(el, identifier);
  }
}

function isNcxKept(el: Element): boolean {
  if (el.namespaceURI !== NCX || !NCX_ELEMENTS.has(el.localName ?? "")) return false;
  const parent = el.parentNode as Element | null;
  // Head elements live in the head only, and it holds nothing else.
  if ((parent?.localName === "head") !== NCX_HEAD_ELEMENTS.has(el.localName ?? "")) return false;
  return el.localName !== "meta" || isKeptNcxMeta(el);
}

function isKeptNcxMeta(el: Element): boolean {
  const name = el.getAttribute("name") ?? "";
  return NCX_KEPT_METAS.has(name) && (name === "dtb:uid" || /^-?\d+$/.test(el.getAttribute("content") ?? ""));
}

/** Head elements are empty (the NCX's DTD): what they say is in their attributes. */
function cleanHeadElement(el: Element, identifier: string): void {
  while (el.firstChild != null) el.removeChild(el.firstChild);
  if (el.localName !== "meta") return;
  stripAttributes(el, ["name", "content"]);
  if (el.getAttribute("name") === "dtb:uid") el.setAttribute("content", identifier);
}

/** Processing instructions (but the XML declaration): instructions to a tool, which may name it or its user. */
function removeInstructions(doc: Document): void {
  const found: Node[] = [];
  const stack: Node[] = [doc];
  while (stack.length > 0) {
    const n = stack.pop()!;
    for (let c = n.firstChild; c != null; c = c.nextSibling) {
      if (c.nodeType === PROCESSING_INSTRUCTION_NODE && c.nodeName !== "xml") found.push(c);
      else if (c.nodeType === ELEMENT_NODE) stack.push(c);
    }
  }
  found.forEach(removeNode);
}

/** The head is elements only: text there is no reader's. */
function removeText(el: Element): void {
  for (let c = el.firstChild; c != null; ) {
    const next = c.nextSibling;
    if (c.nodeType !== ELEMENT_NODE) removeNode(c);
    c = next;
  }
}

function bad(why: string): BadFileError {
  return new BadFileError(`The EPUB book could not be read: ${why}.`);
}
