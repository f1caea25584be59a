import path from "node:path";
import type { Document, Element } from "@xmldom/xmldom";

export const OPF = "http://www.idpf.org/2007/opf";

export function manifestItems(opf: Document): Element[] {
  return Array.from(opf.getElementsByTagNameNS(OPF, "item"));
}

/** A manifest href as the ZIP entry name it points at (relative to the package document). */
export function entryName(rootfile: string, href: string): string {
  return path.posix.normalize(path.posix.join(path.posix.dirname(rootfile), decodeHref(href)));
}

/** A percent-encoded path as the name it encodes. */
export function decodeHref(href: string): string {
  try {
    return decodeURIComponent(href);
  } catch {
    // A stray "%" is a literal character of the name, not an encoding.
    return href;
  }
}
