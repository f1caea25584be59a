import { fcLcb, type Fib, readFib } from "./word-fib.js";
import { WordText } from "./word-text.js";

/** Index of the fc/lcb pairs of the character and paragraph formatting pages' tables (PlcBteChpx, PlcBtePapx). */
const PLCF_BTE_CHPX = 12;
const PLCF_BTE_PAPX = 13;
const FKP_SIZE = 512;

/**
 * Zeros the bytes of a Word 97-2003 document's table stream that no pair of its FIB points into
 * ([MS-DOC] 2.5.6: every structure of the table stream is found from the FIB). What lies there is
 * no part of the document: Word's fast saves append each structure again and leave the earlier
 * copies behind, the last-saved-by list with every user's name and folders among them.
 */
export function zeroUnreferencedTable(wordDocument: Buffer, table: Buffer, fib: Fib): void {
  const ranges: Array<[number, number]> = [];
  for (let i = 0; i < fib.blob.count; i++) {
    const p = fcLcb(wordDocument, fib, i);
    if (p != null) ranges.push([p.fc, p.fc + p.lcb]);
  }
  zeroOutside(table, ranges);
}

/**
 * Zeros the bytes of a Word 97-2003 document's WordDocument stream that are neither its FIB, nor
 * text a piece of its piece table holds, nor a page of its character or paragraph formatting
 * ([MS-DOC] 2.2: what the stream holds). Word's fast saves append the text anew and leave the
 * earlier text behind: deleted passages, earlier field results (a FILENAME field's path).
 */
export function zeroUnreferencedText(wordDocument: Buffer, table: Buffer): void {
  const fib = readFib(wordDocument);
  const ranges = new WordText(wordDocument, table, fib).textRanges();
  // The FIB: its pairs, then cswNew and the rgCswNew words after them.
  const newAt = fib.blob.start + fib.blob.count * 8;
  const fibEnd = newAt + 2 + (newAt + 2 <= wordDocument.length ? wordDocument.readUInt16LE(newAt) * 2 : 0);
  ranges.push([0, fibEnd]);
  for (const i of [PLCF_BTE_CHPX, PLCF_BTE_PAPX]) {
    const bte = fcLcb(wordDocument, fib, i);
    if (bte == null || bte.lcb < 12 || bte.fc + bte.lcb > table.length) continue;
    const n = Math.floor((bte.lcb - 4) / 8);
    for (let k = 0; k < n; k++) {
      const page = (table.readUInt32LE(bte.fc + (n + 1) * 4 + k * 4) & 0x3fffff) * FKP_SIZE;
      ranges.push([page, page + FKP_SIZE]);
    }
  }
  zeroOutside(wordDocument, ranges);
}

/** Zeros every byte of `b` outside the ranges (`[start, end)`, clamped to `b`). */
function zeroOutside(b: Buffer, ranges: Array<[number, number]>): void {
  ranges.sort((x, y) => x[0] - y[0]);
  let from = 0;
  for (const [start, end] of ranges) {
    if (start > from) b.fill(0, from, Math.min(start, b.length));
    from = Math.max(from, end);
  }
  if (from < b.length) b.fill(0, from);
}
