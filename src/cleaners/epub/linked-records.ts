import type { Document, Element } from "@xmldom/xmldom";
import { removeNode } from "../office/xml.js";
import { entryName, manifestItems, OPF } from "./manifest.js";

/** An href with a scheme (`https:`, `urn:`) or a network path: a record outside the book. */
export const REMOTE_HREF = /^([a-z][a-z0-9+.-]*:|\/\/)/i;

/**
 * The files of the book that its metadata's `<link>` elements point at (EPUB 3.3, 5.5.6): an
 * ONIX, MARC, MODS or XMP record of the book (publisher, contributors, identifiers, prices), a
 * voicing of its title or an author's name, a signature. They are metadata whole, and the links
 * go with the rest of the metadata (cleanPackage), so the files go too, with any manifest item
 * that lists one (epubcheck wants them unlisted, OPF-067, but some books list them), leaving no
 * item that names a missing file. A file the book needs to be read stays whatever links to it:
 * the package document itself, and an item the spine reads or that is its table of contents.
 *
 * Returns their entry names; to be called before cleanPackage, which drops the links.
 */
export function takeLinkedRecords(opf: Document, rootfile: string): ReadonlySet<string> {
  const metadata = Array.from(opf.getElementsByTagNameNS(OPF, "metadata"))[0];
  if (metadata == null) return new Set();
  const targets = new Set(
    Array.from(metadata.getElementsByTagNameNS(OPF, "link"))
      .map((l) => (l.getAttribute("href") ?? "").replace(/#.*$/, ""))
      .filter((href) => href !== "" && !REMOTE_HREF.test(href))
      .map((href) => entryName(rootfile, href)),
  );
  targets.delete(rootfile);
  const read = new Set(Array.from(opf.getElementsByTagNameNS(OPF, "itemref")).map((r) => r.getAttribute("idref")));
  const listed = manifestItems(opf).map((item) => ({ item, name: entryName(rootfile, item.getAttribute("href") ?? "") }));
  for (const { item, name } of listed) if (read.has(item.getAttribute("id")) || isNavigation(item)) targets.delete(name);
  for (const { item, name } of listed) if (targets.has(name)) removeNode(item);
  return targets;
}

function isNavigation(item: Element): boolean {
  return item.getAttribute("media-type") === "application/x-dtbncx+xml" || (item.getAttribute("properties") ?? "").split(/\s+/).includes("nav");
}
