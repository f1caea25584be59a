import type { Element } from "@xmldom/xmldom";

// Transitional and Strict OOXML name each vocabulary differently.
export const W: ReadonlySet<string> = new Set(["http://schemas.openxmlformats.org/wordprocessingml/2006/main", "http://purl.oclc.org/ooxml/wordprocessingml/main"]);
export const S: ReadonlySet<string> = new Set(["http://schemas.openxmlformats.org/spreadsheetml/2006/main", "http://purl.oclc.org/ooxml/spreadsheetml/main"]);
export const P: ReadonlySet<string> = new Set(["http://schemas.openxmlformats.org/presentationml/2006/main", "http://purl.oclc.org/ooxml/presentationml/main"]);
/** `r:id` and its kin: references from a part to one of its relationships. */
export const R: ReadonlySet<string> = new Set(["http://schemas.openxmlformats.org/officeDocument/2006/relationships", "http://purl.oclc.org/ooxml/officeDocument/relationships"]);
export const THREADED = "http://schemas.microsoft.com/office/spreadsheetml/2018/threadedcomments";
export const MODERN_COMMENTS = "http://schemas.microsoft.com/office/powerpoint/2018/8/main";

export function inSet(set: ReadonlySet<string>, el: Element): boolean {
  return el.namespaceURI != null && set.has(el.namespaceURI);
}
