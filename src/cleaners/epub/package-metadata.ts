import crypto from "node:crypto";
import type { Document, Element } from "@xmldom/xmldom";
import { BadFileError } from "../errors.js";
import { elements, removeComments, removeNode, setText } from "../office/xml.js";
import { OPF } from "./manifest.js";

const DC = "http://purl.org/dc/elements/1.1/";
const NCX = "http://www.daisy.org/z3986/2005/ncx/";

/** The last-modified date EPUB 3 requires, fixed: the real one says when the book was edited. */
export const NEUTRAL_MODIFIED = "2000-01-01T00:00:00Z";

/**
 * Rewrites an OPF package document's `<metadata>` down to what a reading system needs
 * (EPUB 3.3, 5.5; OPF 2.0.1, 2.2): the unique identifier with a new value (a book must have one),
 * `dc:title` and `dc:language` (required; they name the book and its language, as its own
 * title page does), the `dcterms:modified` date (EPUB 3, fixed), and the `cover` meta that
 * points at the cover image. Everything else goes: creators, contributors, publisher, dates,
 * rights, description, subjects, sources, every other `meta` and `link` (calibre's, Apple's,
 * refinements of the dropped elements), and XML comments.
 *
 * `identifier` is the new one (`newIdentifier`): every rendition of a book has the same, and its
 * NCX too (whose `dtb:uid` must equal it).
 */
export function cleanPackage(doc: Document, identifier: string): void {
  removeComments(doc);
  const pkg = doc.documentElement;
  if (pkg == null || pkg.namespaceURI !== OPF || pkg.localName !== "package") throw bad("its package document is not an OPF package");
  const metadata = Array.from(pkg.getElementsByTagNameNS(OPF, "metadata"))[0];
  if (metadata == null) throw bad("its package document has no metadata");
  const uidName = pkg.getAttribute("unique-identifier") ?? "";
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
}

/** A new random unique identifier for a book: its old one could be an ISBN or a store's id tying the copy to its buyer. */
export function newIdentifier(): string {
  return `urn:uuid:${crypto.randomUUID()}`;
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
 * An EPUB 2 navigation control file: the book's id in `dtb:uid` becomes the new identifier, the
 * other `head` metas (generator, depth of a tool's own) are kept only when a reader uses them,
 * and `docAuthor` (the author's name again) goes.
 */
export function cleanNcx(doc: Document, identifier: string): void {
  removeComments(doc);
  const root = doc.documentElement;
  if (root == null) return;
  for (const el of elements(root)) {
    if (el.namespaceURI !== NCX) continue;
    if (el.localName === "docAuthor") removeNode(el);
    else if (el.localName === "meta") {
      const name = el.getAttribute("name") ?? "";
      if (name === "dtb:uid") el.setAttribute("content", identifier);
      else if (!["dtb:depth", "dtb:totalPageCount", "dtb:maxPageNumber"].includes(name)) removeNode(el);
    }
  }
}

function bad(why: string): BadFileError {
  return new BadFileError(`The EPUB book could not be read: ${why}.`);
}
