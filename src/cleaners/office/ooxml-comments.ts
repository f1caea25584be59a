import fsp from "node:fs/promises";
import type { Document } from "@xmldom/xmldom";
import { inSet, MODERN_COMMENTS, P, S, THREADED, W } from "./ooxml-ns.js";
import { internalTarget, kind, partsOfContentType, relationships, relsSource } from "./ooxml-package.js";
import { readXmlPart } from "./part-io.js";
import { countRecords } from "./biff12.js";
import { COMMENT_RECORD, commentCell } from "./xlsb-records.js";
import { elements } from "./xml.js";
import type { FileEntry } from "./zip-read.js";

/**
 * Relationship types (as `kind` spells them) of the parts that hold review comments or their
 * authors: Word's comments and their extended, ids, extensible and people parts; Excel's notes,
 * threaded comments and persons; PowerPoint's legacy comments and authors, and its modern ones
 * (which reuse the names `comments` and `authors`).
 */
const COMMENT_PARTS: ReadonlySet<string> = new Set(["comments", "commentsextended", "commentsids", "commentsextensible", "threadedcomment", "person", "commentauthors", "authors"]);
/**
 * The content types of those parts (Word's, Excel's, PowerPoint's; `application/vnd.ms-excel.comments`
 * and the like for binary and Microsoft-specific ones).
 */
const COMMENT_CONTENT_TYPE = /[.\-](comments|commentsextended|commentsids|commentsextensible|threadedcomments|person|commentauthors|authors)(\+xml)?$/i;
/** An XLSB's notes are records (xlsb-records.ts), not XML. */
const BINARY_PART = /\.bin$/i;
/** Of those, the parts that hold the comments themselves, read to count them. */
const COUNTED_PARTS: ReadonlySet<string> = new Set(["comments", "threadedcomment"]);

export interface CommentPlan {
  /** Lower-case names of the parts to drop. */
  parts: Set<string>;
  /** Comments they hold. */
  count: number;
}

/**
 * Finds the comment parts of a package through its relationships, and the VML drawings that only
 * draw Excel's note boxes (they go with the notes; a drawing with anything else stays). A part
 * whose content type is one of comments goes too, whatever leads to it: in a damaged package (a
 * relationship whose Target attribute lost a letter) no relationship does, and the notes would
 * be copied as a part of unknown use.
 */
export async function planCommentDrops(files: ReadonlyMap<string, FileEntry>, rels: ReadonlyMap<string, Document>, contentTypes: Document | null): Promise<CommentPlan> {
  const parts = new Set<string>();
  const cells = new Set<string>();
  let count = 0;
  for (const [relsName, doc] of rels) {
    const source = relsSource(relsName) ?? "";
    for (const r of relationships(doc)) {
      const target = internalTarget(relsName, r);
      const entry = target == null ? undefined : files.get(target);
      if (target == null || entry == null || parts.has(target)) continue;
      const k = kind(r);
      if (COMMENT_PARTS.has(k)) {
        parts.add(target);
        if (COUNTED_PARTS.has(k) && entry.size > 0) {
          if (BINARY_PART.test(target)) await countRecords(entry.file, COMMENT_RECORD, (payload) => cells.add(`${source}!${commentCell(payload)}`));
          else count += countComments(await readXmlPart(entry), source, cells);
        }
      } else if (k === "vmldrawing" && (await drawsOnlyNotes(entry))) {
        parts.add(target);
      }
    }
  }
  for (const name of contentTypes == null ? [] : partsOfContentType(contentTypes, COMMENT_CONTENT_TYPE)) if (files.has(name)) parts.add(name);
  return { parts, count: count + cells.size };
}

/**
 * The comments of one part. An Excel thread's first comment and the note Excel writes beside it
 * for older readers are one comment: both are counted by cell, in `cells`.
 */
function countComments(doc: Document, source: string, cells: Set<string>): number {
  let n = 0;
  for (const el of elements(doc.documentElement!)) {
    const name = el.localName;
    if (inSet(S, el) && name === "comment") cells.add(`${source}!${el.getAttribute("ref") ?? ""}`);
    else if (el.namespaceURI === THREADED && name === "threadedComment") {
      if (el.hasAttribute("parentId")) n++;
      else cells.add(`${source}!${el.getAttribute("ref") ?? ""}`);
    } else if ((inSet(W, el) && name === "comment") || (inSet(P, el) && name === "cm") || (el.namespaceURI === MODERN_COMMENTS && (name === "cm" || name === "reply"))) n++;
  }
  return n;
}

/**
 * True for a VML drawing whose every shape is a note box. Excel writes VML that is not always
 * well-formed XML, so it is looked at as text.
 */
async function drawsOnlyNotes(entry: FileEntry): Promise<boolean> {
  if (entry.size === 0) return false;
  const text = (await fsp.readFile(entry.file)).toString("latin1");
  const shapes = text.match(/<(?:[\w.-]+:)?shape[\s/>]/g)?.length ?? 0;
  const notes = text.match(/ObjectType\s*=\s*["']Note["']/g)?.length ?? 0;
  return shapes > 0 && shapes === notes;
}
