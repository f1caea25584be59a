import { W } from "./ooxml-ns.js";
import type { Captured, Piece, Verdict, XmlElement } from "./xml-stream.js";

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

const KEPT: ReadonlySet<string> = new Set(["ins", "moveTo"]);
const GONE: ReadonlySet<string> = new Set(["del", "moveFrom"]);
const CELL_CHANGES: ReadonlySet<string> = new Set(["cellIns", "cellMerge", "cellDel"]);

/** The WordprocessingML elements that are each one tracked change (what `removed.trackedChanges` counts). */
export const TRACKED_CHANGE_ELEMENTS: readonly string[] = [...KEPT, ...GONE, ...CELL_CHANGES, ...FORMAT_CHANGES];

export interface Resolution {
  verdict: Verdict;
  /** True for a change (a range mark is not one). */
  counted: boolean;
  /**
   * An open ancestor the change acts on: a deleted row or cell is dropped at its end, a paragraph
   * whose mark was deleted is joined to the next one.
   */
  mark?: { target: XmlElement; note: "drop" | "join" };
}

/**
 * How accepting every tracked change, as Word's "Accept all" does (ECMA-376 Part 1, 17.13.5),
 * treats a WordprocessingML element: inserted and moved-here content stays as plain content,
 * deleted and moved-away content goes, former formatting goes, deleted rows and cells go, and a
 * deleted paragraph mark joins its paragraph to the next. Null for an element that is no change.
 */
export function acceptsRevision(el: XmlElement, parents: readonly XmlElement[]): Resolution | null {
  const n = el.local;
  if (RANGE_MARKS.has(n)) return { verdict: "drop", counted: false };
  if (FORMAT_CHANGES.has(n)) return { verdict: "drop", counted: true };
  const up = (i: number): XmlElement | undefined => {
    const p = parents[parents.length - i];
    return p != null && W.has(p.uri) ? p : undefined;
  };
  if (KEPT.has(n) || GONE.has(n)) {
    const parent = up(1)?.local;
    if (parent === "trPr") {
      const row = up(2);
      return GONE.has(n) && row != null ? { verdict: "drop", counted: true, mark: { target: row, note: "drop" } } : { verdict: "drop", counted: true };
    }
    if (parent === "rPr") {
      // On a paragraph mark (`w:p/w:pPr/w:rPr`), not a container of content.
      const para = up(2)?.local === "pPr" ? up(3) : undefined;
      return GONE.has(n) && para?.local === "p" ? { verdict: "drop", counted: true, mark: { target: para, note: "join" } } : { verdict: "drop", counted: true };
    }
    if (GONE.has(n)) return { verdict: "drop", counted: true };
    // Its content stays in place; an element that declares namespaces for it cannot go.
    return el.attrs.some((a) => a.name.startsWith("xmlns")) ? null : { verdict: "unwrap", counted: true };
  }
  if (n === "cellDel") {
    const cell = up(2);
    return cell?.local === "tc" ? { verdict: "drop", counted: true, mark: { target: cell, note: "drop" } } : { verdict: "drop", counted: true };
  }
  if (CELL_CHANGES.has(n)) return { verdict: "drop", counted: true };
  return null;
}

/** A paragraph held back because its mark was deleted. */
export type Held = Captured;

/**
 * Joins a paragraph whose mark was deleted to the next one: its content goes at the start of the
 * next paragraph, which keeps its own properties.
 */
export function joinParagraphs(before: Held, next: Captured): Captured {
  const carried = before.pieces.filter((p) => !isPPr(p));
  const at = next.pieces.findIndex(isPPr) + 1;
  const pieces = [...next.pieces.slice(0, at), ...carried, ...next.pieces.slice(at)];
  if (next.end !== "") return { start: next.start, pieces, end: next.end };
  // `<w:p/>`: written open and closed again around what it now holds.
  const name = /^<([^\s/>]+)/.exec(next.start)?.[1] ?? "w:p";
  return { start: `${next.start.slice(0, -2)}>`, pieces, end: `</${name}>` };
}

function isPPr(p: Piece): boolean {
  return p.el != null && W.has(p.el.uri) && p.el.local === "pPr";
}
