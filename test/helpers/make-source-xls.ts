import { chars as xlString, record, withRecords } from "./make-query-xls.js";

/**
 * The records Excel 97-2003 writes for where a workbook's external data comes from, each naming a
 * file in the user's folder (`m`): a text import ([MS-XLS] 2.4.330 TxtQry: its file's path, in
 * two-byte characters, after two column formats; then the ExtString holding its `TEXT;` connection
 * string), a query's data file and connection file (2.4.273.66, 2.4.273.65: SXAddl records of
 * the SxcQuery class) and an Excel 2007 data connection (2.4.84 DConn: its data file, connection
 * file, name and description, an ODBC connection string with a database path, a folder, a user and
 * a password, and its SQL, in two-byte characters, naming the database's folder). They are placed
 * before the last sheet's end (make-query-xls.ts), where no offset moves.
 */
const TXT_QRY = 0x0805;
const EXT_STRING = 0x0804;
const SX_ADDL = 0x0864;
const DCONN = 0x0876;

export interface SourceStrings {
  textFile: string;
  dataFile: string;
  connectionFile: string;
  odbc: string;
  sql: string;
}

export const sourceStrings = (m: string): SourceStrings => ({
  textFile: `C:\\Users\\${m}\\Documents\\orders.csv`,
  dataFile: `C:\\Users\\${m}\\Documents\\sales.accdb`,
  connectionFile: `\\\\fileserver\\home\\${m}\\My Data Sources\\sales.odc`,
  odbc: `DSN=MS Access Database;DBQ=C:\\Users\\${m}\\Documents\\sales.accdb;DefaultDir=C:\\Users\\${m}\\Documents;DriverId=25;UID=${m}u;PWD=${m}p;`,
  sql: `SELECT * FROM \`C:\\Users\\${m}\\Documents\\sales\`.Orders`,
});

const u16 = (n: number): Buffer => Buffer.from([n & 0xff, n >> 8]);
const u32 = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return b;
};

/** An XLUnicodeStringSegmented of one segment (a total count first). */
const segmented = (s: string, wide = false): Buffer => (s === "" ? u32(0) : Buffer.concat([u32(s.length), xlString(s, wide)]));

/** Where TxtQry's file name starts: after its fixed fields and its column formats (8 bytes each). */
export const txtQryFileAt = (formats: number): number => 22 + 8 * formats;

function txtQry(file: string): Buffer {
  const head = Buffer.alloc(txtQryFileAt(0));
  head.writeUInt16LE(TXT_QRY, 0);
  head.writeUInt16LE(0x0003, 4); // fFile, fDelimited
  head.writeUInt32LE(1, 8); // rowStartAt
  head[12] = 0x04; // fComma
  head.writeUInt32LE(2, 16); // itwf
  head.write(".,", 20, "latin1");
  const formats = Buffer.concat([u32(0), u32(0), u32(1), u32(6)]);
  return Buffer.concat([head, formats, xlString(file, true)]);
}

/** An SXAddl record of the SxcQuery class (`sxd`: 0x05 its data file, 0x06 its connection file) holding one string. */
function sxAddlQuery(sxd: number, s: string, wide: boolean): Buffer {
  return Buffer.concat([u16(SX_ADDL), u16(0), Buffer.from([0x06, sxd]), u32(s.length), u16(0), xlString(s, wide)]);
}

function dConn(s: SourceStrings): Buffer {
  const fixed = Buffer.alloc(29);
  fixed.writeUInt16LE(DCONN, 0);
  fixed.writeUInt16LE(0x0001, 4); // dbt: ODBC
  fixed.writeUInt16LE(0x0011, 6); // fSavePwd, fStandAlone
  fixed.fill(3, 16, 19); // bVerDbqueryEdit, bVerDbqueryRefreshed, bVerDbqueryRefreshableMin
  return Buffer.concat([fixed, segmented(s.dataFile), segmented(s.connectionFile, true), segmented("sales"), segmented(""), segmented(""), segmented(s.odbc), segmented(s.sql, true)]);
}

export function sourceRecords(m: string): Buffer {
  const s = sourceStrings(m);
  return Buffer.concat([
    record(TXT_QRY, txtQry(s.textFile)),
    record(EXT_STRING, Buffer.concat([Buffer.from([0x04, 0x08, 0, 0]), xlString(`TEXT;${s.textFile}`)])),
    record(SX_ADDL, sxAddlQuery(0x05, s.dataFile, true)),
    record(SX_ADDL, sxAddlQuery(0x06, s.connectionFile, false)),
    record(DCONN, dConn(s)),
  ]);
}

export function makeSourceXls(dir: string, m: string): Promise<{ file: string; at: number }> {
  return withRecords(dir, sourceRecords(m));
}
