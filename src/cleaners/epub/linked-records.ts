import type { Document, Element } from "@xmldom/xmldom";
import { removeNode } from "../office/xml.js";
import { entryName, manifestItems, OPF } from "./manifest.js";

/** An href with a scheme (`https:`, `urn:`) or a network path: a record outside the book. */
export const REMOTE_HREF = /^([a-z][a-z0-9+.-]*:|\/\/)/i;

/**
 * Media types of manifest items the book's pages may use (pictures, sounds, videos, fonts, styles,
 * scripts, pages): such an item stays whatever links to it, cleaned by its own cleaner.
 */
const CONTENT_TYPES = /^((image|audio|video|font)\/|(text|application)\/(css|javascript|ecmascript)$|application\/(xhtml\+xml|x-dtbncx\+xml|smil\+xml|(x-)?font-[\w-]+|vnd\.ms-opentype)$)/i;

/**
 * The files of the book that its metadata's `<link>` elements point at (EPUB 3.3, 5.5.6): an
 * ONIX, MARC, MODS or XMP record of the book (publisher, contributors, identifiers, prices), a
 * signature. They are metadata whole, and the links go with the rest of the metadata
 * (cleanPackage), so the files go too, with any manifest item that lists one as a record (an XML
 * or other type no page uses; epubcheck wants records unlisted, OPF-067, but some books list
 * them), leaving no item that names a missing file. What the book needs stays whatever links to
 * it: the package document and container, an item the spine reads or that is its table of
 * contents, and an item of a type the pages use (a picture, a voicing sound).
 *
 * Returns their entry names; to be called before cleanPackage, which drops the links.
 */
export function takeLinkedRecords(opf: Document, rootfile: string, container: string): ReadonlySet<string> {
  const metadata = Array.from(opf.getElementsByTagNameNS(OPF, "metadata"))[0];
  if (metadata == null) return new Set();
  const targets = new Set(
    Array.from(metadata.getElementsByTagNameNS(OPF, "link"))
      .map((l) => (l.getAttribute("href") ?? "").replace(/#.*$/, ""))
      .filter((href) => href !== "" && !REMOTE_HREF.test(href))
      .map((href) => entryName(rootfile, href)),
  );
  targets.delete(rootfile);
  targets.delete(container);
  const read = new Set(Array.from(opf.getElementsByTagNameNS(OPF, "itemref")).map((r) => r.getAttribute("idref")));
  const listed = manifestItems(opf).map((item) => ({ item, name: entryName(rootfile, item.getAttribute("href") ?? "") }));
  for (const { item, name } of listed) if (read.has(item.getAttribute("id")) || isNavigation(item) || CONTENT_TYPES.test(item.getAttribute("media-type") ?? "")) targets.delete(name);
  for (const { item, name } of listed) if (targets.has(name)) removeNode(item);
  return targets;
}

function isNavigation(item: Element): boolean {
  return item.getAttribute("media-type") === "application/x-dtbncx+xml" || (item.getAttribute("properties") ?? "").split(/\s+/).includes("nav");
}
