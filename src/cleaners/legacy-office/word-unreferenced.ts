import { fcLcb, type Fib } from "./word-fib.js";

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
