import { blankFolders, scrubConnectionString } from "../connection-strings.js";

/** [MS-XLS] 2.4.97 DbQuery (which ParamQry, 2.4.190, shares), 2.4.281 SXString, 2.4.108 ExtString. */
const DB_QUERY = 0x00dc;
export const SX_STRING = 0x00cd;
export const EXT_STRING = 0x0804;
/** SXString's NoCch string: a count, then a flags byte. ExtString's: its FrtHeaderOld, then an XLUnicodeString. */
const SX_CHARS = 3;
const EXT_CHARS = 7;
const NO_STRING = 0xffff;

/** One record's characters, in place. */
interface Segment {
  chars: Buffer;
  wide: boolean;
}

/** What a run of segments holds: a connection string, or a query's or a web query's text (whose folders go). */
type Kind = "connection" | "text";

/**
 * The external data queries of an Excel 97-2003 (BIFF8) workbook stream, fed its records in order:
 * an ODBC query's connection string (the SXString records after its DbQuery, as many as its
 * cstOdbcConn says) and an OLE DB or text query's (a run of ExtString records) lose their user
 * names, passwords, machine names and folders (connection-strings.ts), and the query's other
 * strings (its SQL, a web query's address, its parameters' prompts) the folders of the paths in
 * them. Each string keeps its length and each character its width, so no record moves: what goes
 * becomes spaces. A string that could not take a character back where it moved to (segments of
 * both widths) is blanked whole.
 */
export class QueryScrubber {
  private sqlLeft = 0;
  private connectionLeft = 0;
  private paramsLeft = 0;
  /** Whether the records since the last DbQuery are still its strings. */
  private inQuery = false;
  private run: { kind: Kind; segments: Segment[] } | null = null;

  record(type: number, data: Buffer): void {
    if (type === DB_QUERY && this.inQuery && this.paramsLeft > 0) {
      this.paramsLeft--;
      return;
    }
    if (type === DB_QUERY) {
      this.flush();
      this.startQuery(data);
    } else if (type === SX_STRING && this.inQuery) {
      this.sxString(data);
    } else if (type === EXT_STRING) {
      this.inQuery = false;
      this.add("connection", segmentAt(data, EXT_CHARS - 3, false));
    } else {
      this.end();
    }
  }

  /** The stream's last record was read. */
  end(): void {
    this.flush();
    this.inQuery = false;
  }

  private startQuery(data: Buffer): void {
    if (data.length < 12) return;
    const flags = data.readUInt16LE(0);
    this.inQuery = true;
    this.paramsLeft = data.readUInt16LE(2);
    this.sqlLeft = (flags & 0x10) !== 0 ? data.readUInt16LE(4) : 0;
    this.connectionLeft = (flags & 0x08) !== 0 ? data.readUInt16LE(10) : 0;
  }

  private sxString(data: Buffer): void {
    let kind: Kind = "text";
    if (this.sqlLeft > 0) this.sqlLeft--;
    else if (this.connectionLeft > 0) {
      this.connectionLeft--;
      kind = "connection";
    }
    this.add(kind, segmentAt(data, SX_CHARS - 3, true));
  }

  private add(kind: Kind, segment: Segment | null): void {
    if (this.run?.kind !== kind) this.flush();
    this.run ??= { kind, segments: [] };
    if (segment != null) this.run.segments.push(segment);
  }

  private flush(): void {
    if (this.run != null) scrubRun(this.run.kind, this.run.segments);
    this.run = null;
  }
}

/**
 * The characters of the string whose count is at `at` (a flags byte after it), or null for none
 * (SXString's count 0xFFFF, when `mayBeNone`). A count past the record's end stops at it: what the
 * record holds is taken for the string, whatever its count says.
 */
function segmentAt(data: Buffer, at: number, mayBeNone: boolean): Segment | null {
  if (data.length < at + 3) return null;
  const cch = data.readUInt16LE(at);
  if (mayBeNone && cch === NO_STRING) return null;
  const wide = (data[at + 2]! & 1) === 1;
  const start = at + 3;
  const end = Math.min(data.length, start + cch * (wide ? 2 : 1));
  return { chars: data.subarray(start, end), wide };
}

function scrubRun(kind: Kind, segments: readonly Segment[]): void {
  const text = segments.map((s) => (s.wide ? s.chars.toString("utf16le", 0, s.chars.length & ~1) : s.chars.toString("latin1"))).join("");
  const scrubbed = kind === "connection" ? scrubConnectionString(text, true) : blankFolders(text);
  if (scrubbed === text) return;
  const fits = write(segments, scrubbed);
  if (!fits) write(segments, " ".repeat(text.length));
}

/** Writes `s` over the segments' characters, one for one; false when a character does not fit a one-byte segment. */
function write(segments: readonly Segment[], s: string): boolean {
  let at = 0;
  for (const seg of segments) {
    const count = seg.wide ? seg.chars.length >> 1 : seg.chars.length;
    const part = s.slice(at, at + count);
    at += count;
    if (seg.wide) seg.chars.write(part, 0, "utf16le");
    else if ([...part].some((c) => c.charCodeAt(0) > 0xff)) return false;
    else seg.chars.write(part, 0, "latin1");
  }
  return true;
}
