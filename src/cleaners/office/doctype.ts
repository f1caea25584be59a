import { BadFileError } from "../errors.js";

/**
 * The rule for a DOCTYPE in a document's XML parts. One that only names an external DTD defines
 * no entities and is never fetched: OpenOffice.org 1 to 3 declared one in every manifest
 * (`<!DOCTYPE manifest:manifest PUBLIC "-//OpenOffice.org//DTD Manifest 1.0//EN" "Manifest.dtd">`)
 * and Basic library, EPUB 2 in its NCX and XHTML. It is dropped from the copy (its system
 * identifier could be a path of the author's). One with an internal subset (`[...]`), where
 * entities and so XML bombs are declared, makes the part refused.
 */
export function refuseInternalSubset(doctype: string, part: string): void {
  if (doctype.includes("[")) throw new BadFileError("The document holds an XML part with a DTD.", new Error(part));
}

/** A DOCTYPE naming an external DTD only, after the XML declaration, comments and processing instructions that may precede it. */
const EXTERNAL_DOCTYPE = /^(\uFEFF?(?:\s+|<\?[\s\S]*?\?>|<!--[\s\S]*?-->)*)<!DOCTYPE[^[>]*>/;

/** `text` without a leading DOCTYPE that names an external DTD only (see refuseInternalSubset). */
export function withoutExternalDoctype(text: string): string {
  return text.replace(EXTERNAL_DOCTYPE, "$1");
}
