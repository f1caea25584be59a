import type { Document, Element } from "@xmldom/xmldom";
import type { ReviewCounts, ReviewPolicy } from "./review.js";
import { elements, removeNode } from "./xml.js";

const OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0";
/** Impress writes its slide comments as `officeooo:annotation`. */
const OOO = "http://openoffice.org/2009/office";
const TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0";
const TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0";

/** Where a change is anchored in the text (the change itself is in `text:tracked-changes`). */
const CHANGE_MARKS: ReadonlySet<string> = new Set(["change", "change-start", "change-end"]);

/**
 * Removes an OpenDocument part's review content as the policy says: annotations (comments) with
 * their range ends, and tracked changes. The body of an OpenDocument file already shows the final
 * text (ODF 1.3 Part 3, 5.5): inserted text is in place between its marks, and deleted text lives
 * only in the change regions, so dropping the regions and the marks accepts every change. The
 * `tracked-changes` container stays, empty, with its "record changes" flag.
 */
export function removeOdfReview(doc: Document, policy: ReviewPolicy, counts: ReviewCounts): void {
  for (const el of elements(doc.documentElement!)) {
    const ns = el.namespaceURI;
    const n = el.localName ?? "";
    if (policy.dropComments && (ns === OFFICE || ns === OOO) && (n === "annotation" || n === "annotation-end")) {
      removeNode(el);
      if (n === "annotation") counts.comments++;
    } else if (policy.dropChanges && (ns === TEXT || ns === TABLE) && n === "tracked-changes") {
      counts.trackedChanges += emptyOut(el);
    } else if (policy.dropChanges && ns === TEXT && CHANGE_MARKS.has(n)) {
      removeNode(el);
    }
  }
}

/** Removes an element's children; resolves to how many were elements. */
function emptyOut(el: Element): number {
  let n = 0;
  while (el.firstChild != null) {
    if (el.firstChild.nodeType === 1) n++;
    el.removeChild(el.firstChild);
  }
  return n;
}
