import { damaged, fcLcb, F_WHICH_TABLE, type FcLcb, readFib } from "./word-fib.js";
import { zeroStyleTraces } from "./word-styles.js";

/** Index of each fc/lcb pair in the FIB's FibRgFcLcb97 ([MS-DOC] 2.5.6). */
const STSH = 1;
const PLCF_AND_REF = 4;
const PR_DRVR = 27;
const PR_ENV_PORT = 28;
const PR_ENV_LAND = 29;
const DOP = 31;
const STTBF_ASSOC = 32;
const AUTOSAVE_SOURCE = 35;
const GRP_XST_ATN_OWNERS = 36;
const STTBF_RMARK = 51;
const STTB_SAVED_BY = 71;
/** In FibRgFcLcb2002: the comments' ATRDPost10 records, each starting with the comment's date. */
const ATRD_EXTRA = 112;
const ATRD_EXTRA_SIZE = 18;
/** In FibRgFcLcb2002: the Plrsid, every revision-save id of the document (its editing sessions), sorted. */
const PLRSID = 113;
/**
 * Dop2002 and later ([MS-DOC] 2.7.6): rsidRoot, the revision-save id of the document's first
 * editing session, which every copy of it shares.
 */
const DOP_RSID_ROOT = 590;
/** The FILETIME of the last save, inside FibRgFcLcb97 (dwLowDateTime, dwHighDateTime). */
const LAST_SAVED_AT = 0x2b8;

/** A comment's ATRDPre10 ([MS-DOC] 2.9.12): the author's initials (a 16-bit count and 9 UTF-16 characters) first. */
const ATRD_SIZE = 30;
const INITIALS_SIZE = 20;

/** The strings an SttbfAssoc holds ([MS-DOC] 2.9.290): template, title, subject, keywords, authors, mail-merge sources... */
const ASSOC_STRINGS = 18;

/**
 * The table stream of a Word 97-2003 document ("0Table" or "1Table", as its FIB says), after the
 * checks every reading of it needs: a valid header of Word 97 or later, no encryption (readFib).
 */
export function tableStreamOf(wordDocument: Buffer, stream: (name: string) => Buffer | null): Buffer {
  const table = stream(tableStreamName(wordDocument, true));
  if (table == null) throw damaged("its table stream is missing");
  return table;
}

/** The name of the table stream the FIB's fWhichTblStm names (`inUse`), or of the other one. */
function tableStreamName(wordDocument: Buffer, inUse: boolean): string {
  return ((readFib(wordDocument).flags & F_WHICH_TABLE) !== 0) === inUse ? "1Table" : "0Table";
}

/**
 * The table stream a Word 97-2003 document does not use, if it has one: Word's fast saves write
 * the tables anew into the other stream and leave the earlier ones behind, whole (the last-saved-by
 * list with every user's name and folders, the comment and revision authors, the old piece
 * table). No part of the document; the cleaner zeros it.
 */
export function staleTableStreamOf(wordDocument: Buffer, stream: (name: string) => Buffer | null): Buffer | null {
  return stream(tableStreamName(wordDocument, false));
}

/**
 * The author fields of a Word 97-2003 document's binary streams ([MS-DOC]): in the table stream,
 * the last-saved-by list (ten user names with the paths they saved to), the associated strings
 * (template path, title, subject, keywords, author, last author, mail-merge data sources), the
 * autosave source path, the printer driver and its settings, the comment authors' names and
 * initials and the tracked-change authors (blanked in place: comments and revision marks refer
 * to them by position), the comments' dates and the list of revision-save ids (Word 2002 and later),
 * the styles' revision-save ids and revision dates (word-styles.ts), and in the document
 * properties (DOP) the creation, revision and printing dates, revision count, editing time and the
 * first session's revision-save id; in the FIB the last-saved FILETIME. Everything is changed in place, so no offset in the file moves.
 */
export function scrubWord(wordDocument: Buffer, table: Buffer): void {
  const fib = readFib(wordDocument);
  const blob = fib.blob;
  const pair = (i: number): FcLcb | null => {
    const p = fcLcb(wordDocument, fib, i);
    // A table the FIB places past the end of the stream cannot be scrubbed where it is said to
    // be, and skipping it would keep its strings where they really are.
    if (p != null && p.fc + p.lcb > table.length) throw damaged("one of its tables lies past the end of the table stream");
    return p;
  };
  // A string table whose strings run past the size the FIB gives it would keep their tail
  // (a user's name, a path) past the bytes zeroed or blanked below.
  for (const i of [STTB_SAVED_BY, STTBF_ASSOC, STTBF_RMARK]) {
    const p = pair(i);
    if (p != null && p.lcb > 0 && sttbSize(table, p.fc) !== p.lcb) throw damaged("a table of strings runs past its size");
  }
  // Optional structures: zeroed and declared absent.
  for (const i of [PR_DRVR, PR_ENV_PORT, PR_ENV_LAND, AUTOSAVE_SOURCE, STTB_SAVED_BY, PLRSID]) {
    const p = pair(i);
    if (p == null) continue;
    table.fill(0, p.fc, p.fc + p.lcb);
    wordDocument.writeUInt32LE(0, p.at + 4);
  }
  const assoc = pair(STTBF_ASSOC);
  if (assoc != null) emptyAssoc(table, assoc, wordDocument);
  const owners = pair(GRP_XST_ATN_OWNERS);
  if (owners != null) blankXsts(table.subarray(owners.fc, owners.fc + owners.lcb));
  const revisionAuthors = pair(STTBF_RMARK);
  if (revisionAuthors != null) blankSttb(table.subarray(revisionAuthors.fc, revisionAuthors.fc + revisionAuthors.lcb));
  const comments = pair(PLCF_AND_REF);
  if (comments != null) blankInitials(table.subarray(comments.fc, comments.fc + comments.lcb));
  const extra = pair(ATRD_EXTRA);
  if (extra != null) for (let at = extra.fc; at + ATRD_EXTRA_SIZE <= extra.fc + extra.lcb; at += ATRD_EXTRA_SIZE) table.fill(0, at, at + 4);
  const dop = pair(DOP);
  // DopBase: dttmCreated (20), dttmRevised (24), dttmLastPrint (28), nRevision (32), tmEdited (34).
  if (dop != null && dop.lcb >= 38) table.fill(0, dop.fc + 20, dop.fc + 38);
  if (dop != null && dop.lcb >= DOP_RSID_ROOT + 4) table.fill(0, dop.fc + DOP_RSID_ROOT, dop.fc + DOP_RSID_ROOT + 4);
  const styles = pair(STSH);
  if (styles != null) zeroStyleTraces(table, styles);
  if (blob.count * 8 >= LAST_SAVED_AT + 8) wordDocument.fill(0, blob.start + LAST_SAVED_AT, blob.start + LAST_SAVED_AT + 8);
}

/** DopBase ([MS-DOC] 2.7.2): the byte holding fRevMarking, Word's "Track Changes" being on. */
const DOP_REV_MARKING_BYTE = 5;
const F_REV_MARKING = 0x80;

/**
 * Turns off in place the document's revision marking (Word's "Track Changes"), as accepting its
 * changes leaves a document that is no longer under review.
 */
export function stopRevisionMarking(wordDocument: Buffer, table: Buffer): void {
  const dop = fcLcb(wordDocument, readFib(wordDocument), DOP);
  if (dop == null || dop.lcb <= DOP_REV_MARKING_BYTE || dop.fc + dop.lcb > table.length) return;
  table[dop.fc + DOP_REV_MARKING_BYTE]! &= ~F_REV_MARKING;
}

/** The comment authors' names (GrpXstAtnOwners), as written: blank ones included. */
export function commentAuthorsOf(wordDocument: Buffer, table: Buffer): string[] {
  const p = fcLcb(wordDocument, readFib(wordDocument), GRP_XST_ATN_OWNERS);
  if (p == null || p.fc + p.lcb > table.length) return [];
  const b = table.subarray(p.fc, p.fc + p.lcb);
  const names: string[] = [];
  for (let pos = 0; pos + 2 <= b.length; ) {
    const end = Math.min(pos + 2 + b.readUInt16LE(pos) * 2, b.length);
    names.push(b.subarray(pos + 2, end - ((end - pos) % 2)).toString("utf16le"));
    pos = end;
  }
  return names;
}

/** An SttbfAssoc of empty strings in place of the old one (shorter, so it fits), the rest zeroed. */
function emptyAssoc(table: Buffer, p: FcLcb, fib: Buffer): void {
  const empty = Buffer.alloc(6 + ASSOC_STRINGS * 2);
  empty.writeUInt16LE(0xffff, 0);
  empty.writeUInt16LE(ASSOC_STRINGS, 2);
  if (p.lcb < empty.length) {
    table.fill(0, p.fc, p.fc + p.lcb);
    fib.writeUInt32LE(0, p.at + 4);
    return;
  }
  table.fill(0, p.fc, p.fc + p.lcb);
  empty.copy(table, p.fc);
  fib.writeUInt32LE(empty.length, p.at + 4);
}

/** Each Xst (a 16-bit count, then UTF-16 characters) keeps its length, its characters become spaces. */
function blankXsts(b: Buffer): void {
  let pos = 0;
  while (pos + 2 <= b.length) {
    const cch = b.readUInt16LE(pos);
    pos += 2;
    const end = Math.min(pos + cch * 2, b.length);
    for (; pos + 1 < end; pos += 2) b.writeUInt16LE(0x20, pos);
    pos = end;
  }
}

/**
 * Each string of an STTB ([MS-DOC] 2.2.4: extended, 16-bit counts and UTF-16, when it starts with
 * 0xFFFF; otherwise 8-bit counts and bytes) keeps its length, its characters become spaces; the
 * extra data after each string stays.
 */
function blankSttb(b: Buffer): void {
  const extended = b.length >= 2 && b.readUInt16LE(0) === 0xffff;
  let pos = extended ? 2 : 0;
  if (pos + 4 > b.length) return;
  const count = b.readUInt16LE(pos);
  const cbExtra = b.readUInt16LE(pos + 2);
  pos += 4;
  for (let i = 0; i < count && pos < b.length; i++) {
    if (extended) {
      if (pos + 2 > b.length) return;
      const end = Math.min(pos + 2 + b.readUInt16LE(pos) * 2, b.length);
      for (pos += 2; pos + 1 < end; pos += 2) b.writeUInt16LE(0x20, pos);
      pos = end + cbExtra;
    } else {
      const end = Math.min(pos + 1 + b[pos]!, b.length);
      b.fill(0x20, pos + 1, end);
      pos = end + cbExtra;
    }
  }
}

/**
 * The size of the STTB ([MS-DOC] 2.2.4) starting at `at` of the table stream, by its own counts:
 * null when its strings run past the stream.
 */
function sttbSize(table: Buffer, at: number): number | null {
  if (at + 2 > table.length) return null;
  const extended = table.readUInt16LE(at) === 0xffff;
  let pos = at + (extended ? 2 : 0);
  if (pos + 4 > table.length) return null;
  const count = table.readUInt16LE(pos);
  const cbExtra = table.readUInt16LE(pos + 2);
  pos += 4;
  for (let i = 0; i < count; i++) {
    if (pos + (extended ? 2 : 1) > table.length) return null;
    pos += extended ? 2 + table.readUInt16LE(pos) * 2 : 1 + table[pos]!;
    pos += cbExtra;
  }
  return pos <= table.length ? pos - at : null;
}

/** PlcfandRef: n+1 character positions, then n ATRDPre10 whose initials are blanked. */
function blankInitials(b: Buffer): void {
  const n = (b.length - 4) / (4 + ATRD_SIZE);
  if (!Number.isInteger(n) || n <= 0) return;
  for (let i = 0; i < n; i++) {
    const at = (n + 1) * 4 + i * ATRD_SIZE;
    blankXsts(b.subarray(at, at + INITIALS_SIZE));
  }
}
