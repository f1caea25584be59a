import { BadFileError } from "../errors.js";
import { ENCRYPTED } from "./encrypted.js";
import { bareCellLink, HLINK, HLINK_TOOLTIP } from "./hyperlink-object.js";
import { carriesSourceText, scrubRecordText } from "./record-text.js";
import { blankPrinterSettings, PLS, printerName } from "./printer-settings.js";
import { NoteScrubber } from "./workbook-notes.js";
import { QueryScrubber } from "./workbook-queries.js";

const BOF = 0x0809;
const EOF = 0x000a;
export const CONTINUE = 0x003c;
export const MSO_DRAWING_GROUP = 0x00eb;
const FILE_PASS = 0x002f;
export const FILE_SHARING = 0x005b;
export const WRITE_ACCESS = 0x005c;
const BOUND_SHEET = 0x0085;

/**
 * The user names of an Excel 97-2003 workbook stream ([MS-XLS]): the WriteAccess record (who
 * saved it last) and the FileSharing record (who reserved it). Each keeps its length and becomes
 * a string of spaces, as Excel pads the name itself, so no record moves. The accounts and folders
 * of its external data queries go too: in BIFF8 workbooks the connection strings and SQL of its
 * queries (workbook-queries.ts), and the paths and accounts of its text imports, queries' data
 * and connection files and data connections (record-text.ts), as in BIFF5 workbooks' queries, and
 * the local paths of its cells' hyperlinks and their tooltips (hyperlink-object.ts); and
 * its cell comments' authors, and their text unless `comments` is false (workbook-notes.ts); the
 * printer's name and its driver's private data in each sheet's printer settings (printer-settings.ts).
 * Resolves to the number of comments whose text was blanked, the names of their authors and
 * the printers the settings named.
 */
/**
 * Whether a workbook stream is encrypted: its globals hold a FilePass record ([MS-XLS] 2.4.117),
 * which Excel writes right after their BOF; the records' headers stay in the clear.
 */
export function isEncryptedWorkbook(stream: Buffer): boolean {
  for (let pos = 0; pos + 4 <= stream.length; pos += 4 + stream.readUInt16LE(pos + 2)) {
    const type = stream.readUInt16LE(pos);
    if (type === FILE_PASS) return true;
    if (type === EOF) return false;
  }
  return false;
}

/**
 * What is wrong with a workbook stream's records (the first that runs past the end of the stream,
 * or is of no type in `types`), and where they end. Excel writes the stream to its last record's
 * end; a walk that overruns it has left the records (a stream whose sectors were mixed up reads as
 * other bytes from there on), and the cleaner would then miss what those bytes hold: a picture's
 * EXIF cut from its header, say. A record of a type not in `types` (EXCEL_RECORD_TYPES, or
 * GRAPH_RECORD_TYPES for a Graph chart) is skipped by every reader, and by the cleaner, whatever
 * it holds: the user name of a WriteAccess record whose type lost a bit (fuzz seed 226070679,
 * #833: 0x005C read as 0x0054).
 *
 * One exception: bytes after the end of the last substream (the EOF closing the globals or a
 * sheet, with no BOF after it and no sheet starting past it) that are no records. Excel reads
 * each sheet from where the globals say it starts and never looks past the last one, and an
 * Excel object embedded in a PowerPoint 2007 file was found with 2 KB of leftover bytes there
 * (Apache POI's aascu.org pptx). `end` is then where they start: the cleaner zeros them, since
 * leftovers of an earlier save may hold anything.
 */
export function checkRecords(stream: Buffer, types: ReadonlySet<number>): { damage: string | null; end: number } {
  let depth = 0;
  let closed = -1;
  let substreams = 0;
  let sheets = 0;
  let sheetsFrom = 0;
  for (let pos = 0; pos + 4 <= stream.length; pos += 4 + stream.readUInt16LE(pos + 2)) {
    const type = stream.readUInt16LE(pos);
    const len = stream.readUInt16LE(pos + 2);
    let damage: string | null = null;
    if (pos + 4 + len > stream.length) damage = `its record at byte ${pos} runs past the end of its stream`;
    else if (!types.has(type)) damage = `its record at byte ${pos} is of a type Excel does not write`;
    if (damage != null) {
      // Leftovers only after the globals and every sheet they name: a sheet whose BOF lost a bit is damage.
      const leftovers = closed >= sheetsFrom && closed >= 0 && substreams === sheets + 1;
      return leftovers ? { damage: null, end: closed } : { damage, end: stream.length };
    }
    if (type === BOF) {
      depth++;
      closed = -1;
    } else if (type === EOF && depth > 0 && --depth === 0) {
      closed = pos + 4;
      substreams++;
    } else if (type === BOUND_SHEET && len >= 4) {
      sheets++;
      sheetsFrom = Math.max(sheetsFrom, stream.readUInt32LE(pos + 4) + 1);
    }
  }
  return { damage: null, end: stream.length };
}

export function scrubWorkbook(stream: Buffer, opts: { comments: boolean }): { comments: number; authors: string[]; printers: string[] } {
  let biff8 = true;
  const queries = new QueryScrubber();
  const notes = new NoteScrubber({ text: opts.comments });
  let pos = 0;
  let previous = -1;
  const printers = new Set<string>();
  while (pos + 4 <= stream.length) {
    const type = stream.readUInt16LE(pos);
    const len = stream.readUInt16LE(pos + 2);
    const data = stream.subarray(pos + 4, Math.min(pos + 4 + len, stream.length));
    if (type !== CONTINUE) previous = type;
    if (type === BOF && data.length >= 2) biff8 = data.readUInt16LE(0) === 0x0600;
    else if (type === PLS) {
      printers.add(printerName(data, biff8));
      blankPrinterSettings(data, biff8);
    }
    // A DEVMODE longer than a record goes on in Continue records: the driver's private data.
    else if (type === CONTINUE && previous === PLS) data.fill(0);
    else if (type === FILE_PASS) throw new BadFileError(ENCRYPTED);
    else if (type === WRITE_ACCESS) blankString(data, biff8);
    else if (type === FILE_SHARING && data.length > 4) blankString(data.subarray(4), biff8);
    else if (carriesSourceText(type, data, biff8)) scrubRecordText(data);
    else if (biff8 && (type === HLINK || type === HLINK_TOOLTIP)) bareCellLink(type, data);
    if (biff8 && type !== CONTINUE) queries.record(type, data);
    notes.record(type, data, biff8);
    pos += 4 + len;
  }
  queries.end();
  notes.end();
  printers.delete("");
  return { comments: notes.blanked, authors: [...notes.authors], printers: [...printers] };
}

/** An XLUnicodeString (BIFF8: 16-bit count, flags byte) or a BIFF5 byte string, filled with spaces. */
function blankString(b: Buffer, biff8: boolean): void {
  const head = biff8 ? 3 : 1;
  if (b.length < head) return;
  b.fill(0x20, head);
  const chars = b.length - head;
  if (biff8) {
    b.writeUInt16LE(Math.min(chars, 0xffff), 0);
    b[2] = 0;
  } else {
    b[0] = Math.min(chars, 0xff);
  }
}

/**
 * Calls `fn` with each drawing group of a workbook stream (an MsoDrawingGroup record and the
 * Continue or MsoDrawingGroup records after it, whose bodies together hold the pictures) joined
 * into one buffer, and copies what `fn` changed back into the records. `fn` must keep the length.
 */
export function withDrawingGroups(stream: Buffer, fn: (joined: Buffer) => void): void {
  let bodies: Buffer[] = [];
  const flush = (): void => {
    if (bodies.length === 0) return;
    const joined = Buffer.concat(bodies);
    fn(joined);
    let at = 0;
    for (const body of bodies) at += joined.copy(body, 0, at, at + body.length);
    bodies = [];
  };
  let pos = 0;
  while (pos + 4 <= stream.length) {
    const type = stream.readUInt16LE(pos);
    const body = stream.subarray(pos + 4, Math.min(pos + 4 + stream.readUInt16LE(pos + 2), stream.length));
    if (type === MSO_DRAWING_GROUP || (type === CONTINUE && bodies.length > 0)) bodies.push(body);
    else flush();
    pos += 4 + body.length;
  }
  flush();
}
