import crypto from "node:crypto";
import { BadFileError } from "../errors.js";
import { type RecordEdit, type RecordRewrite, wideString } from "./biff12.js";
import { cleanConnectionRecord, CONNECTION_RECORDS } from "./xlsb-connections.js";
import { classicRecordsOf } from "./xlsb-grammars.js";
import { NEUTRAL_AUTHOR } from "./ooxml-rules.js";

// Record types of [MS-XLSB] that carry who saved, shared, refreshed or commented, where, or
// ids that follow a workbook from copy to copy: what the OOXML rules take out of the XML parts.
const FILE_VERSION = 0x0080;
const PIVOT_CACHE_DEF = 0x00b3;
const USER_BOOK_VIEW = 0x018d;
const FILE_SHARING = 0x0224;
const PAGE_SETUP = 0x01de;
const LEGACY_DRAWING = 0x0227;
const CHART_PAGE_SETUP = 0x028c;
const LEGACY_DRAWING_HF = 0x0228;
const COMMENT_AUTHOR = 0x0278;
const BEGIN_COMMENT = 0x027b;
const COMMENT_TEXT = 0x027d;
const FILE_SHARING_ISO = 0x02a4;
const ABS_PATH = 0x0817;
const UID = 0x0c00;
const REVISION_PTR = 0x0c01;

/** Every record type the cleaner may change or drop; the rest of a part must come out byte for byte. */
export const WATCHED_RECORDS: ReadonlySet<number> = new Set([
  FILE_VERSION, PIVOT_CACHE_DEF, USER_BOOK_VIEW, FILE_SHARING, PAGE_SETUP, CHART_PAGE_SETUP, LEGACY_DRAWING, LEGACY_DRAWING_HF, COMMENT_AUTHOR, COMMENT_TEXT, FILE_SHARING_ISO, ABS_PATH, UID, REVISION_PTR,
  ...CONNECTION_RECORDS,
]);

export const COMMENT_RECORD = BEGIN_COMMENT;
const BUNDLE_SHEET = 0x009c;

/** What the binary parts of an XLSB tell that the extraction's findings report (findings/office.ts). */
export interface WorkbookRecords {
  comments: number;
  commenters: string[];
  hiddenSheets: number;
  savedIn?: string | undefined;
  reservedBy?: string | undefined;
  /** Who last refreshed a pivot cache. */
  refreshedBy: string[];
  /** The names of personal views (named after their users). */
  personalViews: string[];
}

/**
 * Reads one part's records into `into`: notes and their authors, hidden sheets (BrtBundleSh's
 * hsState: hidden or very hidden), the saved folder, the reserving user and who last refreshed a
 * pivot cache, and personal views' names.
 */
export function readWorkbookRecords(records: Iterable<{ type: number; payload: Buffer }>, into: WorkbookRecords): void {
  for (const { type, payload } of records) {
    if (type === BEGIN_COMMENT) into.comments++;
    else if (type === COMMENT_AUTHOR) into.commenters.push(readWide(payload, 0)?.text ?? "");
    else if (type === BUNDLE_SHEET && payload.length >= 4 && payload.readUInt32LE(0) !== 0) into.hiddenSheets++;
    else if (type === ABS_PATH) into.savedIn = readWide(payload, 0)?.text || undefined;
    else if (type === FILE_SHARING) into.reservedBy = readWide(payload, 4)?.text || undefined;
    else if (type === USER_BOOK_VIEW && isPersonalView(payload)) into.personalViews.push(readWide(payload, USER_BOOK_VIEW_FIELDS)?.text ?? "");
    else if (type === PIVOT_CACHE_DEF && payload.length >= 21 && (payload[16]! & 1) !== 0) into.refreshedBy.push(readWide(payload, 21)?.text ?? "");
  }
}

const DAMAGED = "The workbook's binary records are damaged.";
/** An XLNullableWideString of no value ([MS-XLSB] 2.5.167). */
const NULL_STRING = Buffer.from([0xff, 0xff, 0xff, 0xff]);
const EMPTY_STRING = Buffer.alloc(4);

interface WideString {
  text: string;
  /** Offset just past it. */
  end: number;
}

/** An XLWideString or XLNullableWideString at `at` (null text for the null one). */
function readWide(payload: Buffer, at: number): WideString | null {
  if (at + 4 > payload.length) throw new BadFileError(DAMAGED, new Error(`string past its record at ${at}`));
  const cch = payload.readUInt32LE(at);
  if (cch === 0xffffffff) return null;
  const end = at + 4 + 2 * cch;
  if (end > payload.length) throw new BadFileError(DAMAGED, new Error(`string of ${cch} characters past its record`));
  return { text: payload.toString("utf16le", at + 4, end), end };
}

/** The record with the string at `at` replaced (a null one when `text` is null). */
function withString(payload: Buffer, at: number, text: string | null): Buffer {
  const old = readWide(payload, at);
  const end = old == null ? at + 4 : old.end;
  return Buffer.concat([payload.subarray(0, at), text == null ? NULL_STRING : wideString(text), payload.subarray(end)]);
}

export interface PartRewritePlan {
  /** The part's name in the package. */
  name: string;
  /** Comments stay (the client asked to keep them): their authors are neutralised instead. */
  keepComments: boolean;
  /** Ids of this part's relationships that were removed: records pointing at them go. */
  removedIds: ReadonlySet<string>;
}

/**
 * The rewrite of one binary part: Excel's build and code-name GUID (BrtFileVersion) and the
 * document's revision id (BrtRevisionPtr) go, as `fileVersion` and `xr:revisionPtr` do from an
 * XLSX, and each object's revision id (BrtUid, `xr:uid`) is a new random one; the folder the
 * workbook was saved in (BrtAbsPath15) and the user who reserved it (BrtFileSharing,
 * BrtFileSharingIso) are emptied; a pivot cache loses who refreshed it and when; a sheet's
 * references to the note drawing that went with its comments and to its printer settings go;
 * kept comments get the neutral author, in their author list and at the start of their text; data
 * connections lose their credentials and folders (xlsb-connections.ts); personal views lose their
 * user's name (USER_BOOK_VIEW_FIELDS).
 */
export function partRewrite(plan: PartRewritePlan): RecordRewrite {
  const authors: string[] = [];
  let author: string | undefined;
  let personalViews = 0;
  const edit = (type: number, payload: Buffer): RecordEdit => {
    switch (type) {
      case FILE_VERSION:
      case REVISION_PTR:
        return "drop";
      case UID:
        return freshUid(payload);
      case ABS_PATH:
        return EMPTY_STRING;
      case FILE_SHARING:
        return withString(payload, 4, null);
      case FILE_SHARING_ISO:
        return withString(payload, 6, null);
      case PIVOT_CACHE_DEF:
        return withoutRefresh(payload);
      case USER_BOOK_VIEW:
        if (!isPersonalView(payload)) return "keep";
        personalViews++;
        return withString(payload, USER_BOOK_VIEW_FIELDS, personalViews === 1 ? "Personal View" : `Personal View ${personalViews}`);
      case PAGE_SETUP:
        return withoutRemovedRelId(payload, PAGE_SETUP_FIELDS, plan.removedIds);
      case CHART_PAGE_SETUP:
        return withoutRemovedRelId(payload, CHART_PAGE_SETUP_FIELDS, plan.removedIds);
      case LEGACY_DRAWING:
      case LEGACY_DRAWING_HF: {
        const id = readWide(payload, 0)?.text;
        return id != null && plan.removedIds.has(id) ? "drop" : "keep";
      }
      case COMMENT_AUTHOR: {
        authors.push(readWide(payload, 0)?.text ?? "");
        return wideString(NEUTRAL_AUTHOR);
      }
      case BEGIN_COMMENT:
        if (payload.length < 4) throw new BadFileError(DAMAGED, new Error("comment record too short"));
        author = authors[payload.readUInt32LE(0)];
        return "keep";
      case COMMENT_TEXT:
        return withoutAuthorName(payload, author);
      default:
        return CONNECTION_RECORDS.has(type) ? cleanConnectionRecord(type, payload) : "keep";
    }
  };
  // BrtBeginComment is read for its author, never changed: it is watched only where comments stay.
  const watched = plan.keepComments ? new Set([...WATCHED_RECORDS, BEGIN_COMMENT]) : WATCHED_RECORDS;
  return { watched, edit, classic: classicRecordsOf(plan.name) };
}

/**
 * Bytes before the relationship id that ends a sheet's and a chart sheet's page setup (BrtPageSetup:
 * paper size, scale, resolutions, copies, first page number, fit width and height, flags;
 * BrtCsPageSetup: the same without scale and fit), which names the printer settings part.
 */
const PAGE_SETUP_FIELDS = 34;
const CHART_PAGE_SETUP_FIELDS = 22;

/**
 * A page setup whose printer settings part went with the other metadata parts: its relationship
 * id becomes null, as Excel writes it for a sheet never printed. One laid out otherwise keeps its
 * bytes (a reference to a missing part gives nothing away).
 */
function withoutRemovedRelId(payload: Buffer, fields: number, removedIds: ReadonlySet<string>): RecordEdit {
  if (payload.length < fields + 4) return "keep";
  const cch = payload.readUInt32LE(fields);
  if (cch === 0xffffffff || fields + 4 + 2 * cch !== payload.length) return "keep";
  return removedIds.has(payload.toString("utf16le", fields + 4)) ? withString(payload, fields, null) : "keep";
}

/**
 * Bytes of a BrtUserBookView ([MS-XLSB] 2.4.843) before its name: the window's four sides, the
 * active sheet, the tab ratio, the view's GUID, the merge interval and 32 bits of flags, of which
 * bit 16 (fPersonalView) marks a shared workbook's personal view, which Excel names after its user
 * ("Jane Doe - Personal View"). Each becomes "Personal View", numbered from the second, as an
 * XLSX's (ooxml-paths.ts, PersonalViews); a custom view someone named keeps its name.
 */
const USER_BOOK_VIEW_FIELDS = 48;

function isPersonalView(payload: Buffer): boolean {
  if (payload.length < USER_BOOK_VIEW_FIELDS + 4) throw new BadFileError(DAMAGED, new Error("custom view too short"));
  return (payload.readUInt32LE(USER_BOOK_VIEW_FIELDS - 4) & 0x10000) !== 0;
}

/**
 * A BrtUid with a new random GUID (its last 16 bytes). It is replaced rather than dropped, and in
 * place, because a sheet's records are found by their offsets (its binary index part,
 * `binaryIndexN.bin`, points into the sheet) and one starts the sheet. Every change the rewrite
 * makes to a sheet keeps the records before its data where they were.
 */
function freshUid(payload: Buffer): Buffer {
  if (payload.length < 16) throw new BadFileError(DAMAGED, new Error("revision id too short"));
  const out = Buffer.from(payload);
  crypto.randomFillSync(out, out.length - 16, 16);
  return out;
}

/**
 * BrtBeginPivotCacheDef ([MS-XLSB] 2.4.168) without its last refresh's user and date: the date
 * zeroed, fLoadRefreshedWho cleared, the name taken out and the four unused bytes that stand
 * in for it when it is absent put at the end.
 */
function withoutRefresh(payload: Buffer): Buffer {
  if (payload.length < 21) throw new BadFileError(DAMAGED, new Error("pivot cache definition too short"));
  const out = Buffer.from(payload);
  out.fill(0, 8, 16);
  const flags = out[16]!;
  if ((flags & 1) === 0) return out;
  out[16] = flags & ~1;
  const who = readWide(out, 21);
  const after = who == null ? 25 : who.end;
  return Buffer.concat([out.subarray(0, 21), out.subarray(after), Buffer.alloc(4)]);
}

/**
 * A kept comment's text (BrtCommentText, a RichStr: [MS-XLSB] 2.5.121) without its author's name
 * where Excel starts the note with it ("Jane Doe:"): the neutral author in its place, the
 * formatting runs after it moved by the difference. Phonetic data, whose offsets would need the
 * same, goes with the name (notes hold none that Excel writes).
 */
function withoutAuthorName(payload: Buffer, author: string | undefined): RecordEdit {
  if (payload.length < 5) throw new BadFileError(DAMAGED, new Error("comment text too short"));
  const flags = payload[0]!;
  const text = readWide(payload, 1);
  if (author == null || author === "" || text == null || !text.text.startsWith(author)) return "keep";
  const shift = NEUTRAL_AUTHOR.length - author.length;
  const parts = [Buffer.from([flags & ~2]), wideString(NEUTRAL_AUTHOR + text.text.slice(author.length))];
  if (flags & 1) {
    if (text.end + 4 > payload.length) throw new BadFileError(DAMAGED, new Error("comment runs past their record"));
    const count = payload.readUInt32LE(text.end);
    if (text.end + 4 + 4 * count > payload.length) throw new BadFileError(DAMAGED, new Error("comment runs past their record"));
    const runs = Buffer.from(payload.subarray(text.end, text.end + 4 + 4 * count));
    for (let i = 0; i < count; i++) {
      const ich = runs.readUInt16LE(4 + 4 * i);
      runs.writeUInt16LE(ich >= author.length ? ich + shift : Math.min(ich, NEUTRAL_AUTHOR.length), 4 + 4 * i);
    }
    parts.push(runs);
  }
  return Buffer.concat(parts);
}

/** The first cell of a comment's range (BrtBeginComment's rfx), as A1, to count a cell once. */
export function commentCell(payload: Buffer): string {
  if (payload.length < 20) throw new BadFileError(DAMAGED, new Error("comment record too short"));
  const row = payload.readUInt32LE(4);
  let col = payload.readUInt32LE(12);
  let letters = "";
  do {
    letters = String.fromCharCode(65 + (col % 26)) + letters;
    col = Math.floor(col / 26) - 1;
  } while (col >= 0);
  return `${letters}${row + 1}`;
}
