import { BadFileError } from "../errors.js";
import { isDict, isRef, objectKey, type ObjectView } from "./object-view.js";
import type { ObjectDump } from "./qpdf.js";
import type { PdfJson } from "./scrub-objects.js";

const NO_PAGES = "The PDF is damaged: none of its pages can be read.";

/**
 * A PDF in which qpdf reads no page (the catalog's /Pages names an object that is not in the file,
 * or is no page tree) is refused before any work: its copy would hold no page either, which no
 * reader displays, and every comparison of the copy's pages with the original's would hold
 * trivially. py-pdf's unreadablemetadata.pdf is such a file: zero bytes where its page tree's root
 * was; poppler reports the 4 pages its linearization dictionary declares but loads none of them.
 */
export function refuseWithoutPages(read: ObjectDump): void {
  if (read.pages === 0) throw new BadFileError(NO_PAGES, new Error("pdf: qpdf reads no page in the original"));
}

/**
 * Writes each page tree node's /Count as the number of pages below it, where it says otherwise or
 * says nothing. qpdf finds the pages by walking the /Kids and copies the nodes as they are; poppler
 * takes the number of pages from the root's /Count (none: no page at all; too few: the last pages
 * are never shown) and pdf.js skips whole subtrees by theirs. A tree whose walk here does not find
 * the pages qpdf found (`pageObjects`, in the dump the edit is built on) is left as it is, and the
 * check of the copy (`declaredPages`) decides.
 */
export function countPagesAnew(view: ObjectView, pageObjects: readonly string[]): void {
  const root = rootNodeKey(view);
  if (root == null) return;
  const pages = new Set(pageObjects);
  const counts = new Map<string, number>();
  // Post-order on a stack of its own: a tree thousands of nodes deep does not exhaust the call stack.
  const stack: { key: string; kids: PdfJson[]; next: number; count: number }[] = [{ key: root, kids: kidsOf(view, root), next: 0, count: 0 }];
  const entered = new Set<string>([root]);
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    const kid = top.kids[top.next++];
    if (top.next > top.kids.length) {
      stack.pop();
      counts.set(top.key, top.count);
      if (stack.length > 0) stack[stack.length - 1]!.count += top.count;
      continue;
    }
    if (!isRef(kid)) continue;
    const key = objectKey(kid);
    if (pages.has(key)) top.count++;
    else if (!entered.has(key) && isDict(view.dictOrValue(key))) {
      entered.add(key);
      stack.push({ key, kids: kidsOf(view, key), next: 0, count: 0 });
    }
  }
  if (counts.get(root) !== pages.size) return;
  for (const [key, count] of counts) {
    const node = view.dictOrValue(key);
    if (isDict(node) && node["/Count"] !== count) view.setValue(key, { ...node, "/Count": count });
  }
}

/**
 * The number of pages the catalog's page tree declares as poppler reads it: its root's /Count
 * (poppler reports and shows that many pages), 1 where the root is itself a page, else null.
 */
export function declaredPages(view: ObjectView): number | null {
  const root = rootNodeKey(view);
  const node = root == null ? undefined : view.dictOrValue(root);
  if (!isDict(node)) return null;
  if (typeof node["/Count"] === "number") return node["/Count"];
  return node["/Type"] === "/Page" ? 1 : null;
}

/** The page tree's root: the catalog's /Pages, where it is a reference. */
function rootNodeKey(view: ObjectView): string | null {
  const catalog = view.catalogKey();
  const c = catalog == null ? undefined : view.dictOrValue(catalog);
  const pages = isDict(c) ? c["/Pages"] : undefined;
  return isRef(pages) ? objectKey(pages) : null;
}

function kidsOf(view: ObjectView, key: string): PdfJson[] {
  const node = view.dictOrValue(key);
  const kids = isDict(node) ? view.resolve(node["/Kids"]) : undefined;
  return Array.isArray(kids) ? kids : [];
}
