import { isDict, isRef, objectKey, type ObjectView } from "./object-view.js";
import type { PdfDict, PdfJson } from "./scrub-objects.js";

/**
 * The annotations a reviewer adds (the contract's "review content"): every markup annotation of
 * the PDF specification (ISO 32000-2, 12.5.6.2: notes, text markup, shapes, lines, drawings,
 * stamps, sounds, redaction marks, attached files...) and the pop-up windows showing their text.
 * Each carries a text (/Contents, /RC), an author (/T), a subject and dates.
 */
const REVIEW_SUBTYPES: ReadonlySet<string> = new Set([
  "/Text",
  "/FreeText",
  "/Line",
  "/Square",
  "/Circle",
  "/Polygon",
  "/PolyLine",
  "/Highlight",
  "/Underline",
  "/StrikeOut",
  "/Squiggly",
  "/Caret",
  "/Ink",
  "/Stamp",
  "/Popup",
  "/FileAttachment",
  "/Sound",
  "/Redact",
  "/Projection",
]);

/**
 * Annotations that are part of the document, never review: links, form fields (widgets), media,
 * print marks, watermarks, 3D and rich media. They stay whatever else they carry.
 */
const DOCUMENT_SUBTYPES: ReadonlySet<string> = new Set([
  "/Link",
  "/Widget",
  "/Movie",
  "/Screen",
  "/PrinterMark",
  "/TrapNet",
  "/Watermark",
  "/3D",
  "/RichMedia",
]);

/**
 * The entries only a markup annotation has (ISO 32000-2, table 172: its author, pop-up window,
 * rich text, creation date, subject, the note it replies to, its intent and external data), and
 * a text (/Contents). An annotation of another subtype (a viewer's own, or one a later PDF
 * version adds) that has one of them is a reviewer's as well. /Contents is what still tells
 * once the metadata step has taken the author and dates away.
 */
const MARKUP_KEYS = ["/Contents", "/T", "/Popup", "/RC", "/CreationDate", "/Subj", "/IRT", "/RT", "/IT", "/ExData"];

export interface RemovedAnnotations {
  /** Review annotations removed, a note and its pop-up window counting as one. */
  count: number;
  /**
   * The file specifications of the attachment annotations removed: their files are content the
   * author attached, so they move to the document's attachments (cleaned there), not away.
   */
  detachedFiles: PdfJson[];
}

/**
 * Takes every review annotation off its page and empties its object (replaced by null), so
 * that nothing still pointing at it (a reply, the structure tree, a damaged /Annots) can bring
 * it back into the written file. `reachable` is the set of objects that would be written.
 */
export function removeReviewAnnotations(view: ObjectView, reachable: ReadonlySet<string>): RemovedAnnotations {
  const removed: PdfDict[] = [];
  const removedKeys = new Set<string>();
  const detachedFiles: PdfJson[] = [];
  const take = (annot: PdfDict, key: string | null): void => {
    removed.push(annot);
    if (key != null) removedKeys.add(key);
    if (annot["/Subtype"] === "/FileAttachment" && annot["/FS"] != null) detachedFiles.push(annot["/FS"]);
  };

  for (const key of reachable) {
    const holder = view.dictOrValue(key);
    if (!isDict(holder) || holder["/Annots"] == null) continue;
    const listRef = holder["/Annots"];
    const list = view.resolve(listRef);
    if (!Array.isArray(list)) continue;
    const kept = list.filter((entry) => {
      const annot = view.resolve(entry);
      if (!isReview(annot)) return true;
      if (!isRef(entry)) take(annot, null);
      return false;
    });
    if (kept.length === list.length) continue;
    if (isRef(listRef)) view.setValue(objectKey(listRef), kept);
    else view.setValue(key, { ...holder, "/Annots": kept });
  }

  // By their own content, wherever they are referenced from (and from a page's list above).
  for (const key of reachable) {
    const obj = view.object(key);
    if (obj == null || !("value" in obj) || !isReview(obj.value)) continue;
    take(obj.value, key);
    view.setValue(key, null);
  }

  const count = removed.filter((a) => a["/Subtype"] !== "/Popup" || !(isRef(a["/Parent"]) && removedKeys.has(objectKey(a["/Parent"])))).length;
  return { count, detachedFiles };
}

export function isReview(v: PdfJson | undefined): v is PdfDict {
  if (!isDict(v)) return false;
  const subtype = v["/Subtype"];
  // An annotation without a subtype is one no viewer shows, but any reader of the file reads its text.
  if (typeof subtype !== "string") return isAnnotation(v) && MARKUP_KEYS.some((k) => v[k] != null);
  if (REVIEW_SUBTYPES.has(subtype)) return true;
  if (DOCUMENT_SUBTYPES.has(subtype) || !isAnnotation(v)) return false;
  return MARKUP_KEYS.some((k) => v[k] != null);
}

/** An annotation by its own entries: typed so, or a subtype placed on a page (its rectangle). */
function isAnnotation(d: PdfDict): boolean {
  return d["/Type"] === "/Annot" || (Array.isArray(d["/Rect"]) && !("/FT" in d));
}
