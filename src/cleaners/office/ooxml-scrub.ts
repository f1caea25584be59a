import type { Document, Element } from "@xmldom/xmldom";
import { inSet, MODERN_COMMENTS, P, S, THREADED, W } from "./ooxml-ns.js";
import { elements, removeComments, hasNoElementChild, removeNode, setText } from "./xml.js";

/**
 * The name left where the format requires an author (comments, tracked changes). It is the one
 * Word's own "Remove personal information" writes, so every reader accepts it.
 */
export const NEUTRAL_AUTHOR = "Author";
const NEUTRAL_INITIALS = "A";
const NEUTRAL_DATE = "1980-01-01T00:00:00.000";

const ABS_PATH = "http://schemas.microsoft.com/office/spreadsheetml/2010/11/ac";
const MC = "http://schemas.openxmlformats.org/markup-compatibility/2006";
/** xr, xr2, xr3...: Excel's revision ids (`xr:uid`, `xr:revisionPtr`). */
const EXCEL_REVISION = /^http:\/\/schemas\.microsoft\.com\/office\/spreadsheetml\/\d{4}\/revision\d*$/;

/**
 * Removes the metadata an OOXML part carries inline, leaving its content as it was:
 * revision-session ids (`w:rsid*`), who and when of comments and tracked changes, the template
 * path and document variables of Word's settings, Excel's saved path and revision ids.
 */
export function scrubOoxmlPart(doc: Document): void {
  removeComments(doc);
  neutraliseNoteSignatures(doc);
  for (const el of elements(doc.documentElement!)) {
    if (isDropped(el)) {
      removeNode(el);
      continue;
    }
    scrubAttributes(el);
    // Legacy Excel comments list their authors as text.
    if (inSet(S, el) && el.localName === "author" && el.parentNode != null && (el.parentNode as Element).localName === "authors") setText(el, NEUTRAL_AUTHOR);
  }
  pruneEmptyAlternatives(doc);
}

/**
 * Excel starts a note's text with its author's name, in bold ("Jane Doe:"): where it is there, it
 * becomes the neutral name too.
 */
function neutraliseNoteSignatures(doc: Document): void {
  const root = doc.documentElement;
  if (root == null || !inSet(S, root) || root.localName !== "comments") return;
  const names = Array.from(root.getElementsByTagNameNS(root.namespaceURI!, "author")).map((a) => a.textContent ?? "");
  for (const comment of Array.from(root.getElementsByTagNameNS(root.namespaceURI!, "comment"))) {
    const name = names[Number(comment.getAttribute("authorId"))];
    const first = comment.getElementsByTagNameNS(root.namespaceURI!, "t").item(0);
    if (name == null || name === "" || first == null) continue;
    const text = first.textContent ?? "";
    if (text.startsWith(name)) setText(first, NEUTRAL_AUTHOR + text.slice(name.length));
  }
}

function isDropped(el: Element): boolean {
  const n = el.localName;
  if (inSet(W, el)) return n === "rsids" || n === "attachedTemplate" || n === "docVars";
  if (inSet(S, el)) return n === "fileVersion";
  if (el.namespaceURI === ABS_PATH) return n === "absPath";
  return el.namespaceURI != null && EXCEL_REVISION.test(el.namespaceURI) && n === "revisionPtr";
}

function scrubAttributes(el: Element): void {
  const attrs = Array.from({ length: el.attributes.length }, (_, i) => el.attributes.item(i)!);
  for (const a of attrs) {
    const ns = a.namespaceURI;
    const n = a.localName ?? a.name;
    if (ns != null && W.has(ns)) {
      if (n.startsWith("rsid") || n === "date" || n === "initials") el.removeAttributeNode(a);
      else if (n === "author") a.value = NEUTRAL_AUTHOR;
    } else if (n === "dateUtc") {
      // w16cex (comment dates) and w16du (tracked-change dates).
      el.removeAttributeNode(a);
    } else if (ns != null && EXCEL_REVISION.test(ns) && n === "uid") {
      el.removeAttributeNode(a);
    }
  }
  scrubCommentPeople(el);
}

/** Comment authors of Excel's threaded comments and of PowerPoint's two comment formats. */
function scrubCommentPeople(el: Element): void {
  const n = el.localName;
  if (el.namespaceURI === THREADED) {
    if (n === "person") {
      el.setAttribute("displayName", NEUTRAL_AUTHOR);
      el.removeAttribute("userId");
      el.removeAttribute("providerId");
    } else if (n === "threadedComment") {
      el.removeAttribute("dT");
    }
  } else if (inSet(P, el)) {
    if (n === "cmAuthor") {
      el.setAttribute("name", NEUTRAL_AUTHOR);
      el.setAttribute("initials", NEUTRAL_INITIALS);
    } else if (n === "cm") {
      el.removeAttribute("dt");
    }
  } else if (el.namespaceURI === MODERN_COMMENTS) {
    if (n === "author") {
      el.setAttribute("name", NEUTRAL_AUTHOR);
      el.setAttribute("initials", NEUTRAL_INITIALS);
      // Required by the schema, so emptied rather than removed.
      if (el.hasAttribute("userId")) el.setAttribute("userId", "");
      if (el.hasAttribute("providerId")) el.setAttribute("providerId", "None");
    }
    if (el.hasAttribute("created")) el.setAttribute("created", NEUTRAL_DATE);
  }
}

/** An `mc:AlternateContent` whose choices all lost their content (Excel's absPath) goes too. */
function pruneEmptyAlternatives(doc: Document): void {
  const alternatives = Array.from(doc.getElementsByTagNameNS(MC, "AlternateContent"));
  for (const alt of alternatives) {
    const choices = Array.from(alt.getElementsByTagNameNS(MC, "Choice"));
    if (choices.length > 0 && choices.every(hasNoElementChild) && alt.getElementsByTagNameNS(MC, "Fallback").length === 0) removeNode(alt);
  }
}
