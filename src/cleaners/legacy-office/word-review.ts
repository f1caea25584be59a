import { commentRange, fcLcb, type Fib, readFib } from "./word-fib.js";
import { paragraphAndSectionGrpprls } from "./word-formatting.js";
import { acceptRevisionMarks, type PlacedGrpprl, zeroRevisionTraces } from "./word-sprm.js";
import { DELETED, INSERTED, SPECIAL, WordText } from "./word-text.js";
import { stopRevisionMarking } from "./word.js";

/** PlcfandTxt ([MS-DOC] 2.5.6, FibRgFcLcb97 pair 5): where each comment's text starts in the comments' subdocument. */
const PLCF_AND_TXT = 5;

/** What review content goes. */
export interface ReviewDrop {
  comments: boolean;
  /** Tracked changes resolved as accepting them would: deleted text blanked, insertions and property changes no longer marked. */
  trackedChanges: boolean;
}

/** Review content found (and blanked or resolved, when asked) in a Word 97-2003 document. */
export interface WordReview {
  /** Comments whose text held anything but white space. */
  comments: number;
  /** Tracked deletions (each passage of consecutive deleted characters) that held anything but white space. */
  deletions: number;
  /**
   * Tracked changes resolved: the deletions, the insertions (passages of consecutive inserted
   * characters holding anything but white space) and the property revisions (character,
   * paragraph, section, table, list number: each formatting record that carried one). Zero
   * when nothing was resolved.
   */
  changes: number;
  /** The characters blanked, in the order of the text, white space left out (none when surveying). */
  removedText: string;
  /**
   * Pictures and objects (special characters 0x01 and 0x08) inside what goes: blanking cannot
   * take them out, their data lying elsewhere (the Data stream, the drawings).
   */
  objects: number;
}

/** Special characters that anchor a picture, an OLE object (0x01) or a drawn object (0x08). */
const OBJECT_ANCHORS = new Set([0x01, 0x08]);

/**
 * Blanks in place the text of the comments (the annotation subdocument, [MS-DOC] 2.3.4) and of
 * the tracked deletions (characters formatted with sprmCFRMarkDel, in every subdocument), as
 * `drop` asks: each ordinary character becomes a space of the same size (one byte in an 8-bit
 * piece, one UTF-16 unit in the others), so no character position, offset or count anywhere in
 * the file moves. Characters below U+0020 stay (paragraph, cell and row marks, breaks, the field
 * characters 0x13/0x14/0x15, picture and object anchors 0x01/0x08, the comment references 0x05,
 * footnote marks), and so do special characters (fSpec) whatever their code, and U+FEFF: the
 * structure the rest of the file refers to is untouched, and what is left of a comment or a
 * deletion is white space. The comment and deletion marks themselves stay (their authors are
 * blanked in word.ts), so the final text is the original's final text.
 *
 * With the tracked changes, the other revision marks are resolved as accepting them would leave
 * the text: insertion marks, property revisions and list-number revisions are turned off in the
 * character, paragraph, table and section formatting (the text and the formatting in effect
 * stay), and so is the document's revision marking (the DOP). The dates of every revision mark
 * are zeroed, kept or not.
 */
export function blankReview(wordDocument: Buffer, table: Buffer, data: Buffer | null, drop: ReviewDrop): WordReview {
  return walkReview(wordDocument, table, data, drop, true);
}

/** The review content of a Word 97-2003 document, as `blankReview` would blank it, changing nothing. */
export function surveyReview(wordDocument: Buffer, table: Buffer): WordReview {
  return walkReview(wordDocument, table, null, { comments: true, trackedChanges: true }, false);
}

function walkReview(wordDocument: Buffer, table: Buffer, data: Buffer | null, drop: ReviewDrop, write: boolean): WordReview {
  const fib = readFib(wordDocument);
  const text = new WordText(wordDocument, table, fib);
  let formatChanges = 0;
  if (write) {
    const grpprls = distinct([...text.characterGrpprls, ...paragraphAndSectionGrpprls(wordDocument, table, fib, data)]);
    for (const { bytes } of grpprls) zeroRevisionTraces(bytes);
    if (drop.trackedChanges) {
      for (const grpprl of grpprls) formatChanges += acceptRevisionMarks(grpprl);
      text.acceptPieceMarks();
      stopRevisionMarking(wordDocument, table);
    }
  }
  const notes = commentRange(fib);
  const commentOf = commentIndex(wordDocument, table, fib, notes.length);
  const commented = new Set<number>();
  const hidden = new Uint8Array(text.length);
  const deletions = new Passages();
  const insertions = new Passages();
  let objects = 0;
  text.walk(0, text.length, (cp, code) => {
    const flags = text.flagsAt(cp);
    const deleted = drop.trackedChanges && (flags & DELETED) !== 0;
    const inserted = drop.trackedChanges && (flags & INSERTED) !== 0;
    const rel = cp - notes.start;
    const inComment = drop.comments && rel >= 0 && rel < notes.length;
    const shown = code >= 0x20 && code !== 0xfeff && (flags & SPECIAL) === 0 && !/\s/u.test(String.fromCharCode(code));
    deletions.visit(deleted, shown);
    insertions.visit(inserted, shown);
    if (!(deleted || inComment)) return;
    if ((flags & SPECIAL) !== 0 && OBJECT_ANCHORS.has(code)) objects++;
    if (!shown) return;
    hidden[cp] = 1;
    if (inComment) commented.add(commentOf(rel));
  });
  const changes = write && drop.trackedChanges ? deletions.count + insertions.count + formatChanges : 0;
  const removedText = write ? text.blankHidden(hidden) : "";
  return { comments: commented.size, deletions: deletions.count, changes, removedText, objects };
}

/** Counts passages of consecutive marked characters that show anything (white space and marks do not). */
class Passages {
  count = 0;
  private inside = false;
  private counted = false;

  visit(marked: boolean, shown: boolean): void {
    if (!marked) {
      this.inside = false;
      return;
    }
    if (!this.inside) {
      this.inside = true;
      this.counted = false;
    }
    if (shown && !this.counted) {
      this.counted = true;
      this.count++;
    }
  }
}

/** Each formatting record once, though several runs of text share it. */
function distinct(grpprls: readonly PlacedGrpprl[]): PlacedGrpprl[] {
  const seen = new Map<ArrayBufferLike, Set<number>>();
  return grpprls.filter(({ bytes }) => {
    const offsets = seen.get(bytes.buffer) ?? new Set<number>();
    seen.set(bytes.buffer, offsets);
    if (offsets.has(bytes.byteOffset)) return false;
    offsets.add(bytes.byteOffset);
    return true;
  });
}

/**
 * Which comment a position of the comments' subdocument belongs to, by the PlcfandTxt (n + 2
 * positions for n comments: the last span is the subdocument's closing mark). Without a usable
 * one, the subdocument counts as one comment.
 */
function commentIndex(wordDocument: Buffer, table: Buffer, fib: Fib, length: number): (rel: number) => number {
  const plc = fcLcb(wordDocument, fib, PLCF_AND_TXT);
  if (plc == null || plc.fc + plc.lcb > table.length || plc.lcb % 4 !== 0 || plc.lcb < 12) return () => 0;
  const starts: number[] = [];
  for (let i = 0; i < plc.lcb / 4 - 1; i++) starts.push(table.readUInt32LE(plc.fc + i * 4));
  if (starts.some((s, i) => i > 0 && s < starts[i - 1]!) || starts[0] !== 0 || starts[starts.length - 1]! > length) return () => 0;
  return (rel) => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= rel) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  };
}
