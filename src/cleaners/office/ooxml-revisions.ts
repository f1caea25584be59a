import type { Document, Element, Node } from "@xmldom/xmldom";
import { inSet, W } from "./ooxml-ns.js";
import { elements, removeNode } from "./xml.js";

/** Revisions of formatting: the current formatting stays, the former one (inside) goes. */
const FORMAT_CHANGES: ReadonlySet<string> = new Set([
  "rPrChange",
  "pPrChange",
  "sectPrChange",
  "tblPrChange",
  "tblPrExChange",
  "trPrChange",
  "tcPrChange",
  "tblGridChange",
  "numberingChange",
]);

/** Marks of where a move or a change of custom XML began and ended: nothing to show. */
const RANGE_MARKS: ReadonlySet<string> = new Set([
  "moveFromRangeStart",
  "moveFromRangeEnd",
  "moveToRangeStart",
  "moveToRangeEnd",
  "customXmlInsRangeStart",
  "customXmlInsRangeEnd",
  "customXmlDelRangeStart",
  "customXmlDelRangeEnd",
  "customXmlMoveFromRangeStart",
  "customXmlMoveFromRangeEnd",
  "customXmlMoveToRangeStart",
  "customXmlMoveToRangeEnd",
]);

const KEPT = new Set(["ins", "moveTo"]);
const GONE = new Set(["del", "moveFrom"]);

/**
 * Accepts every tracked change of a WordprocessingML part, as Word's "Accept all" does (ECMA-376
 * Part 1, 17.13.5): inserted and moved-here content stays as plain content, deleted and moved-away
 * content goes, former formatting goes, and a deleted paragraph mark joins its paragraph to the
 * next. Resolves to the number of changes accepted.
 */
export function acceptRevisions(doc: Document): number {
  const found = Array.from(elements(doc.documentElement!)).filter((el) => inSet(W, el));
  let count = 0;
  const deletedMarks: Element[] = [];
  for (const el of found) {
    const n = el.localName ?? "";
    if (!isAttached(el)) continue;
    if (RANGE_MARKS.has(n)) {
      removeNode(el);
    } else if (FORMAT_CHANGES.has(n)) {
      removeNode(el);
      count++;
    } else if (KEPT.has(n) || GONE.has(n)) {
      count++;
      const parent = el.parentNode as Element | null;
      const p = parent?.localName;
      if (p === "rPr" || p === "trPr") {
        // A mark on a paragraph mark or a table row, not a container of content.
        if (GONE.has(n) && p === "trPr") removeNode(parent!.parentNode!);
        else if (GONE.has(n)) deletedMarks.push(el);
        else removeNode(el);
      } else if (GONE.has(n)) {
        removeNode(el);
      } else {
        unwrap(el);
      }
    } else if (n === "cellIns" || n === "cellMerge") {
      removeNode(el);
      count++;
    } else if (n === "cellDel") {
      // tcPr -> tc: the deleted cell.
      removeNode(el.parentNode!.parentNode!);
      count++;
    }
  }
  // After the content is resolved, so that a joined paragraph carries only what stays.
  for (const mark of deletedMarks) if (isAttached(mark)) joinWithNext(mark);
  return count;
}

/** Replaces an element with its children. */
function unwrap(el: Element): void {
  const parent = el.parentNode!;
  while (el.firstChild != null) parent.insertBefore(el.firstChild, el);
  parent.removeChild(el);
}

/**
 * A deleted paragraph mark (`w:p/w:pPr/w:rPr/w:del`): the paragraph's content moves to the start
 * of the next paragraph, which keeps its own properties. A paragraph with nothing after it keeps
 * its mark.
 */
function joinWithNext(mark: Element): void {
  const pPr = mark.parentNode?.parentNode as Element | null;
  const para = pPr?.parentNode as Element | null;
  removeNode(mark);
  if (pPr?.localName !== "pPr" || para == null || !inSet(W, para) || para.localName !== "p") return;
  let next = para.nextSibling;
  while (next != null && next.nodeType !== 1) next = next.nextSibling;
  if (next == null || !inSet(W, next as Element) || (next as Element).localName !== "p") return;
  const first = firstElement(next as Element);
  const at = first?.localName === "pPr" ? first.nextSibling : next.firstChild;
  for (let c = para.firstChild; c != null; ) {
    const following = c.nextSibling;
    if (c !== pPr) next.insertBefore(c, at);
    c = following;
  }
  removeNode(para);
}

function firstElement(el: Element): Element | null {
  for (let c = el.firstChild; c != null; c = c.nextSibling) if (c.nodeType === 1) return c as Element;
  return null;
}

/** False for an element inside one already removed (its own change goes with it, uncounted). */
function isAttached(el: Element): boolean {
  let n: Node | null = el;
  while (n != null && n.nodeType === 1) n = n.parentNode;
  return n != null && n.nodeType === 9;
}
