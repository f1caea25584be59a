import fs from "node:fs/promises";
import CFB from "cfb";
import { pivotWorkbook } from "./make-pivot-xls.js";

/**
 * An Excel 97-2003 workbook (LibreOffice's, with a pivot table: make-pivot-xls.ts) given the
 * records Excel writes for an external data query ([MS-XLS] 2.4.97 DbQuery, 2.4.281 SXString,
 * 2.4.189 OleDbConn, 2.4.108 ExtString), before the sheet's end: an ODBC query whose SQL names a
 * database in the user's folder and whose connection string, in two SXString segments (the second
 * of two-byte characters, splitting the path), holds a database path, a user and a password; and
 * an OLE DB connection string (ExtString) with a user and a path on a share named after the user.
 */
const EOF = 0x000a;

export interface QueryStrings {
  sql: string;
  odbc: readonly [string, string];
  oleDb: string;
}

export const queryStrings = (m: string): QueryStrings => ({
  sql: `SELECT * FROM \`C:\\Users\\${m}\\Documents\\sales\`.Orders`,
  odbc: [`ODBC;DSN=MS Access Database;DBQ=C:\\Users\\${m}\\Docu`, `ments\\sales.accdb;UID=${m}u;PWD=${m}p;`],
  oleDb: `Provider=MSDASQL.1;User ID=${m}ole;Data Source=\\\\fileserver\\home\\${m}\\db.mdb;`,
});

export function record(type: number, body: Buffer): Buffer {
  const head = Buffer.alloc(4);
  head.writeUInt16LE(type, 0);
  head.writeUInt16LE(body.length, 2);
  return Buffer.concat([head, body]);
}

/** A string's count, flags byte and characters (one byte each, or two with `wide`). */
export function chars(s: string, wide = false): Buffer {
  const head = Buffer.from([s.length & 0xff, s.length >> 8, wide ? 1 : 0]);
  return Buffer.concat([head, Buffer.from(s, wide ? "utf16le" : "latin1")]);
}

/** `extCount`: the count the ExtString gives its string (a hostile one says more than it holds). */
export function queryRecords(q: QueryStrings, extCount = q.oleDb.length): Buffer {
  // dbt 1 (ODBC), fOdbcConn, fSql; no parameters; one SQL string, two connection segments.
  const dbQuery = Buffer.alloc(12);
  dbQuery.writeUInt16LE(0x0001 | 0x0008 | 0x0010, 0);
  dbQuery.writeUInt16LE(1, 4);
  dbQuery.writeUInt16LE(2, 10);
  const oleDbConn = Buffer.from([0x0a, 0x08, 0, 0, 0, 0, 1, 0, 0, 0]);
  return Buffer.concat([
    record(0x00dc, dbQuery),
    record(0x00cd, chars(q.sql)),
    record(0x00cd, chars(q.odbc[0])),
    record(0x00cd, chars(q.odbc[1], true)),
    record(0x080a, oleDbConn),
    record(0x0804, Buffer.concat([Buffer.from([0x04, 0x08, 0, 0, extCount & 0xff, extCount >> 8]), chars(q.oleDb).subarray(2)])),
  ]);
}

/** The workbook stream's records from `at` on: [type, body]. */
export function recordsOf(stream: Buffer, at = 0): Array<[number, Buffer]> {
  const out: Array<[number, Buffer]> = [];
  for (let pos = at; pos + 4 <= stream.length; pos += 4 + stream.readUInt16LE(pos + 2)) out.push([stream.readUInt16LE(pos), stream.subarray(pos + 4, pos + 4 + stream.readUInt16LE(pos + 2))]);
  return out;
}

export function workbookOf(file: Buffer): Buffer {
  const e = CFB.find(CFB.read(file, { type: "buffer" }), "/Workbook");
  if (e?.content == null) throw new Error("no Workbook stream");
  return Buffer.from(e.content);
}

export async function makeQueryXls(dir: string, m: string, extCount?: number): Promise<{ file: string; at: number }> {
  return withRecords(dir, queryRecords(queryStrings(m), extCount));
}

/** LibreOffice's workbook with a pivot table, `records` placed before its last sheet's end; `at`: where they start in the workbook stream. */
export async function withRecords(dir: string, records: Buffer): Promise<{ file: string; at: number }> {
  const file = await pivotWorkbook(dir, "xls");
  const doc = CFB.read(await fs.readFile(file), { type: "buffer" });
  const book = CFB.find(doc, "/Workbook")!;
  const stream = Buffer.from(book.content);
  // The last sheet's end is the stream's last record: nothing after it has an offset to move.
  const at = stream.length - 4;
  if (stream.readUInt16LE(at) !== EOF) throw new Error("the workbook stream does not end with its last sheet's EOF");
  const content = Buffer.concat([stream.subarray(0, at), records, stream.subarray(at)]);
  book.content = content;
  book.size = content.length;
  await fs.writeFile(file, CFB.write(doc, { type: "buffer", fileType: "cfb" }) as Buffer);
  return { file, at };
}
