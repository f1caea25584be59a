import { BadFileError } from "../errors.js";

/** [MS-XLS] 2.4.276 SXDB, 2.4.277 SXDBEx: the first two records of a pivot cache's stream. */
const SXDB = 0x00c6;
const SXDB_EX = 0x0122;
/** Where SXDB's cchWho lies: the length of the name of the user who last refreshed the cache, 0xFFFF for none. */
const WHO = 18;
const NO_NAME = 0xffff;
const MAX_NAME = 0xff;
/** SXDBEx's first bytes, numDate: when the cache was created or last refreshed (a date as a number of days). */
const REFRESH_DATE_BYTES = 8;

/**
 * A workbook's pivot cache stream (Excel 97-2003's `_SX_DB_CUR/NNNN`, BIFF8; Excel 5.0/95's
 * `_SX_DB/NNNN`, BIFF5), which the cleaner otherwise copies as it is: the name of the user who
 * last refreshed the cache becomes spaces, its record keeping its length (as the workbook's own
 * user names do, excel.ts), and the refresh date becomes zero. A stream that does not start with
 * the cache's header is refused, as is a name longer than a cache's name can be.
 */
export function scrubPivotCache(stream: Buffer, biff8: boolean): void {
  if (stream.length === 0) return;
  const header = recordAt(stream, 0);
  if (header?.type !== SXDB || header.body.length < WHO + 2) throw unreadable("it does not start with its header (SXDB)");
  blankWho(header.body.subarray(WHO), biff8);
  const more = recordAt(stream, 4 + header.body.length);
  if (more?.type === SXDB_EX && more.body.length >= REFRESH_DATE_BYTES) more.body.fill(0, 0, REFRESH_DATE_BYTES);
}

/**
 * The name's count and characters: BIFF8's XLUnicodeString (a flags byte saying whether each
 * character takes two bytes), BIFF5's bytes. Whatever the record holds past the count is taken
 * for the name, so no byte of it stays.
 */
function blankWho(who: Buffer, biff8: boolean): void {
  if (who.readUInt16LE(0) === NO_NAME) {
    who.fill(0, 2);
    return;
  }
  const head = biff8 ? 3 : 2;
  if (who.length < head) throw unreadable("its user name is cut short");
  const wide = biff8 && (who[2]! & 1) === 1;
  const chars = Math.floor((who.length - head) / (wide ? 2 : 1));
  if (chars > MAX_NAME) throw unreadable(`its user name runs to ${chars} characters`);
  who.writeUInt16LE(chars, 0);
  const name = who.subarray(head);
  if (!wide) name.fill(0x20);
  else {
    name.fill(0);
    for (let i = 0; i < chars; i++) name[i * 2] = 0x20;
  }
}

function recordAt(stream: Buffer, at: number): { type: number; body: Buffer } | null {
  if (at + 4 > stream.length) return null;
  const end = at + 4 + stream.readUInt16LE(at + 2);
  return end > stream.length ? null : { type: stream.readUInt16LE(at), body: stream.subarray(at + 4, end) };
}

function unreadable(why: string): BadFileError {
  return new BadFileError("The workbook holds a pivot table cache that this service cannot read.", new Error(`legacy-office: a pivot cache stream: ${why}`));
}
