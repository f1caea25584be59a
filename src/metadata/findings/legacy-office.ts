import fsp from "node:fs/promises";
import CFB from "cfb";
import { commentAuthorsOf, tableStreamOf } from "../../cleaners/legacy-office/word.js";
import { surveyReview } from "../../cleaners/legacy-office/word-review.js";
import { type Finding, type TagEntry, shortValue } from "./types.js";

const WORD_TYPES = new Set(["DOC", "DOT"]);

/**
 * `hidden` review content of Word 97-2003 documents, which ExifTool does not read: comments
 * that still hold text and tracked deletions whose deleted text is still there (as the cleaner
 * sees them, word-review.ts), with the names of the comments' authors. A cleaned copy, whose
 * comments and deletions are blanked, has none.
 */
export async function legacyOfficeFindings(entries: readonly TagEntry[], file: string): Promise<Finding[]> {
  const type = entries.find((t) => t.group === "File" && t.tag === "FileType")?.value;
  if (typeof type !== "string" || !WORD_TYPES.has(type)) return [];
  let review;
  let authors: string[];
  try {
    const doc = CFB.read(await fsp.readFile(file), { type: "buffer" });
    // Streams of the root storage, as the cleaner takes them (an embedded document has its own).
    const stream = (name: string): Buffer | null => {
      const e = doc.FileIndex[doc.FullPaths.findIndex((p) => p.replace(/^[^/]*\//, "") === name)];
      return e == null || e.type !== 2 || e.content == null ? null : Buffer.from(e.content);
    };
    const word = stream("WordDocument");
    if (word == null) return [];
    const table = tableStreamOf(word, stream);
    review = surveyReview(word, table);
    authors = [...new Set(commentAuthorsOf(word, table).map((a) => a.trim()).filter((a) => a !== ""))];
  } catch {
    // A document that cannot be read this far has nothing of this to show; its damage is reported elsewhere.
    return [];
  }
  const findings: Finding[] = [];
  if (review.comments > 0) {
    const f: Finding = { kind: "hidden", severity: "high", title: `The document holds ${review.comments} review comment(s).`, tags: [] };
    if (authors.length > 0) f.value = shortValue(authors.join("; "));
    findings.push(f);
  }
  if (review.deletions > 0) {
    findings.push({ kind: "hidden", severity: "high", title: `The document keeps ${review.deletions} tracked change(s), deleted text included.`, tags: [], value: String(review.deletions) });
  }
  return findings;
}
