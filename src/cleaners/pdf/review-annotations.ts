import { isDict, isRef, objectKey, type ObjectView } from "./object-view.js";
import type { PdfDict, PdfJson } from "./scrub-objects.js";

/**
 * The annotations a reviewer adds (the contract's "review content"): notes, text markup,
 * drawings, stamps, their pop-up windows and attached files. Links, form fields (widgets) and
 * the rest are part of the document and stay.
 */
const REVIEW_SUBTYPES: ReadonlySet<string> = new Set([
  "/Text",
  "/FreeText",
  "/Highlight",
  "/Underline",
  "/StrikeOut",
  "/Squiggly",
  "/Caret",
  "/Ink",
  "/Stamp",
  "/Popup",
  "/FileAttachment",
]);

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
  return isDict(v) && typeof v["/Subtype"] === "string" && REVIEW_SUBTYPES.has(v["/Subtype"]);
}
