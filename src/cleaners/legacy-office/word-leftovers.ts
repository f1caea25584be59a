import { delayedPictures } from "./office-art.js";
import { mark, zeroUnmarked } from "./unreferenced-bytes.js";
import { fcLcb, type Fib } from "./word-fib.js";
import { WordText } from "./word-text.js";

/** FibBase's fComplex ([MS-DOC] 2.5.2): the document was last written by a fast save. */
const F_COMPLEX = 0x0004;

/** Index of each fc/lcb pair in FibRgFcLcb97 ([MS-DOC] 2.5.6). */
const STSH = 1;
const PLCF_SED = 6;
const PLCF_BTE_CHPX = 12;
const PLCF_BTE_PAPX = 13;
const DGG_INFO = 50;
const PLF_LST = 73;
/**
 * The list-level cache's formatting pages, laid out as the others: [MS-DOC] calls the pair
 * undefined, but Word 97 to 2003 write it and its pages lie in the WordDocument stream.
 */
const PLCF_BTE_LVC = 86;

const FKP_SIZE = 512;
/** A Sed ([MS-DOC] 2.9.250): fn (2 bytes), fcSepx (4), fnMpr (2), fcMpr (4). */
const SED_SIZE = 12;
/** An LSTF ([MS-DOC] 2.9.150): fSimpleList, bit 0 of byte 26, says whether its list has one level or nine. */
const LSTF_SIZE = 28;
const LSTF_FLAGS = 26;
/** An LVLF ([MS-DOC] 2.9.151): its grpprls' sizes at bytes 24 (cbGrpprlChpx) and 25 (cbGrpprlPapx). */
const LVLF_SIZE = 28;
const LVLF_CB_CHPX = 24;
const LVLF_CB_PAPX = 25;
/** The OfficeArtContent starts with the drawing group ([MS-ODRAW] 2.2.12), whose picture store is the document's. */
const DGG_CONTAINER = 0xf000;

/**
 * Zeros in place what a Word 97-2003 document's streams hold that nothing in the document refers
 * to any more. A fast save appends: the new text, formatting pages and tables go after the old
 * ones, which stay whole (earlier wording, deleted text, the last-saved-by lists of earlier saves
 * with users' names and folders). What is kept is found the way Word reads the
 * file, from the FIB (word-fib.ts):
 * - in the table stream in use, every structure an fc/lcb pair of the FIB points to, the list
 *   levels (LVLs) that follow the PlfLst, beyond the size its pair gives, and the style sheet
 *   as far as its styles' own sizes reach;
 * - in the WordDocument stream, the FIB, the text of the pieces, the character and paragraph
 *   formatting pages (the list-level cache's too), each section's SEPX, and the pictures
 *   OfficeArt keeps there (Word's delay stream: the FBSEs' foDelay).
 * A document written by a full save holds nothing else. Its WordDocument stream is left as it
 * is, but its table stream is held to the same rule: a table whose place in the FIB was damaged
 * (zeroed, moved past the stream) is read by no one, and would keep the users' names it lists.
 * Returns copies of the runs zeroed that held something.
 */
export function zeroLeftovers(wordDocument: Buffer, table: Buffer, fib: Fib): Buffer[] {
  const text = (fib.flags & F_COMPLEX) !== 0 ? new WordText(wordDocument, table, fib) : null;
  const left = zeroUnmarked(table, tableReferences(wordDocument, table, fib));
  return text == null ? left : [...left, ...zeroUnmarked(wordDocument, documentReferences(wordDocument, table, fib, text))];
}

function tableReferences(wordDocument: Buffer, table: Buffer, fib: Fib): Uint8Array {
  const used = new Uint8Array(table.length);
  for (let i = 0; i < fib.blob.count; i++) {
    const p = fcLcb(wordDocument, fib, i);
    if (p != null) mark(used, p.fc, p.lcb);
  }
  const lists = fcLcb(wordDocument, fib, PLF_LST);
  if (lists != null) markListLevels(table, lists.fc, used);
  const styles = fcLcb(wordDocument, fib, STSH);
  if (styles != null) markStyles(table, styles.fc, used);
  return used;
}

/**
 * A style sheet ([MS-DOC] 2.9.271 STSH) as far as its styles reach: some writers give it a size
 * that leaves out the end of its last style, which readers find by the styles' own sizes.
 */
function markStyles(table: Buffer, fc: number, used: Uint8Array): void {
  if (fc + 6 > table.length) return;
  const cstd = table.readUInt16LE(fc + 2);
  let at = fc + 2 + table.readUInt16LE(fc);
  for (let i = 0; i < cstd && at + 2 <= table.length; i++) at += 2 + table.readUInt16LE(at);
  mark(used, fc, at - fc);
}

/** The LVLs after a PlfLst ([MS-DOC] 2.9.183): nine per list, one for a simple list, each an LVLF, two grpprls and an Xst. */
function markListLevels(table: Buffer, fc: number, used: Uint8Array): void {
  if (fc + 2 > table.length) return;
  const lists = table.readInt16LE(fc);
  let at = fc + 2 + Math.max(0, lists) * LSTF_SIZE;
  let levels = 0;
  for (let i = 0; i < lists && fc + 2 + (i + 1) * LSTF_SIZE <= table.length; i++) {
    levels += (table[fc + 2 + i * LSTF_SIZE + LSTF_FLAGS]! & 1) === 1 ? 1 : 9;
  }
  for (let i = 0; i < levels && at + LVLF_SIZE <= table.length; i++) {
    const xst = at + LVLF_SIZE + table[at + LVLF_CB_PAPX]! + table[at + LVLF_CB_CHPX]!;
    if (xst + 2 > table.length) break;
    const end = xst + 2 + table.readUInt16LE(xst) * 2;
    mark(used, at, end - at);
    at = end;
  }
}

function documentReferences(wordDocument: Buffer, table: Buffer, fib: Fib, text: WordText): Uint8Array {
  const used = new Uint8Array(wordDocument.length);
  const pairsEnd = fib.blob.start + fib.blob.count * 8;
  // The FIB ends with cswNew and its 16-bit values.
  const fibEnd = pairsEnd + 2 <= wordDocument.length ? pairsEnd + 2 + wordDocument.readUInt16LE(pairsEnd) * 2 : pairsEnd;
  mark(used, 0, fibEnd);
  for (const r of text.byteRanges()) mark(used, r.start, r.end - r.start);
  for (const i of [PLCF_BTE_CHPX, PLCF_BTE_PAPX, PLCF_BTE_LVC]) {
    const bte = fcLcb(wordDocument, fib, i);
    if (bte == null || bte.fc + bte.lcb > table.length || bte.lcb < 4) continue;
    const n = Math.floor((bte.lcb - 4) / 8);
    for (let k = 0; k < n; k++) mark(used, (table.readUInt32LE(bte.fc + (n + 1) * 4 + k * 4) & 0x3fffff) * FKP_SIZE, FKP_SIZE);
  }
  const sed = fcLcb(wordDocument, fib, PLCF_SED);
  if (sed != null && sed.fc + sed.lcb <= table.length && sed.lcb >= 4) {
    const n = Math.floor((sed.lcb - 4) / (4 + SED_SIZE));
    for (let k = 0; k < n; k++) {
      const fcSepx = table.readInt32LE(sed.fc + (n + 1) * 4 + k * SED_SIZE + 2);
      if (fcSepx >= 0 && fcSepx + 2 <= wordDocument.length) mark(used, fcSepx, 2 + wordDocument.readUInt16LE(fcSepx));
    }
  }
  const drawings = fcLcb(wordDocument, fib, DGG_INFO);
  if (drawings != null && drawings.fc + drawings.lcb <= table.length && drawings.lcb >= 8 && table.readUInt16LE(drawings.fc + 2) === DGG_CONTAINER) {
    const dggEnd = Math.min(drawings.fc + drawings.lcb, drawings.fc + 8 + table.readUInt32LE(drawings.fc + 4));
    for (const { start, size } of delayedPictures(table, drawings.fc, dggEnd)) mark(used, start, size);
  }
  return used;
}
