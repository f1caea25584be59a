import { scrubConnectionString } from "../connection-strings.js";
import { eachTextRun, isTextUnit } from "./text-units.js";
import { SX_STRING } from "./workbook-queries.js";

/** [MS-XLS] 2.4.330 TxtQry (a text import), 2.4.273 SXAddl, 2.4.84 DConn (a data connection, Excel 2007's). */
export const TXT_QRY = 0x0805;
export const SX_ADDL = 0x0864;
export const DCONN = 0x0876;
/** SXAddl's header: its FrtHeaderOld, then its class (sxc) and type (sxd). SxcQuery: an external connection's. */
const SXC_AT = 4;
const SXC_QUERY = 0x06;

/** Runs shorter than this hold no key, value and separator, nor a drive and a folder. */
const MIN_RUN = 4;

/**
 * Whether a workbook stream's record carries the paths or accounts of an external data source
 * that `scrubRecordText` is for: a text import's file (TxtQry), the data file and connection file
 * of a query (SXAddl's SxcQuery class, and the continuations of its strings, of the same class), a
 * data connection's data file, connection file and connection string (DConn); in an Excel 5.0/95
 * workbook, whose query records this cleaner does not follow one by one, the strings of its
 * external queries (SXString: in the workbook stream, a pivot table's items are in a cache stream
 * of their own).
 */
export function carriesSourceText(type: number, body: Buffer, biff8: boolean): boolean {
  if (!biff8) return type === SX_STRING;
  if (type === SX_ADDL) return body[SXC_AT] === SXC_QUERY;
  return type === TXT_QRY || type === DCONN;
}

/**
 * The record's text, wherever it lies, loses the user names and passwords of a connection string
 * and the folders of a Windows path (connection-strings.ts), in place: each run of characters,
 * read a byte at a time and two bytes at a time (both alignments), is scrubbed as a connection
 * string of the same length, what goes becoming spaces. The record is searched rather than read
 * field by field because where DConn's strings start depends on its connection's type, and what
 * a misread field would cost is a leak, where a search costs nothing: a run with neither a
 * credential's `key=` nor a drive or share is left as it was. (Characters read at the wrong
 * alignment are no ASCII, so none of these match there.)
 */
export function scrubRecordText(body: Buffer): void {
  scrubRuns(body, 1, 0);
  scrubRuns(body, 2, 0);
  scrubRuns(body, 2, 1);
}

function scrubRuns(b: Buffer, width: 1 | 2, from: number): void {
  eachTextRun(b, width, from, isTextUnit, (start, end) => scrubRun(b.subarray(start, end), width === 1 ? "latin1" : "utf16le"));
}

function scrubRun(chars: Buffer, encoding: "latin1" | "utf16le"): void {
  const text = chars.toString(encoding);
  if (text.length < MIN_RUN) return;
  const scrubbed = scrubConnectionString(text, true);
  if (scrubbed !== text) chars.write(scrubbed, 0, encoding);
}
