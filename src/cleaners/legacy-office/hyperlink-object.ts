import { bareLinkTarget } from "../connection-strings.js";
import { guid } from "../guid-bytes.js";
import { scrubRecordText } from "./record-text.js";

/**
 * Office 97-2003's hyperlinks ([MS-OSHARED] 2.3.7.1 Hyperlink Object): an Excel cell's (the
 * HLINK record, [MS-XLS] 2.4.140) and a Word HYPERLINK field's (its HFD in the Data stream,
 * [MS-DOC] 2.9.114), each after the StdHlink CLSID. ExifTool reads neither.
 */
export const STD_HLINK = guid("79EAC9D0-BAF9-11CE-8C82-00AA004BA90B");
const URL_MONIKER = guid("79EAC9E0-BAF9-11CE-8C82-00AA004BA90B");
const FILE_MONIKER = guid("00000303-0000-0000-C000-000000000046");
const COMPOSITE_MONIKER = guid("00000309-0000-0000-C000-000000000046");

/** The Hyperlink Object's flags: which of its parts follow. */
const HAS_MONIKER = 0x01;
const IS_ABSOLUTE = 0x02;
const HAS_LOCATION = 0x08;
const HAS_DISPLAY_NAME = 0x10;
const HAS_GUID = 0x20;
const HAS_CREATION_TIME = 0x40;
const HAS_FRAME_NAME = 0x80;
const MONIKER_SAVED_AS_STRING = 0x100;
/** A composite moniker holds a file moniker and an item moniker, for instance; more is no link Office writes. */
const MAX_MONIKERS = 8;

/**
 * The hyperlink object at `at` (just after its StdHlink CLSID), read within `b`, with the local
 * paths of its target (a file moniker, a `file:` URL, a URL or moniker string, a location or a
 * display name that is a path) cut to their bare names (connection-strings.ts, bareLinkTarget), in
 * place: each string keeps its length and its terminating NUL, the name followed by NULs (where
 * a reader's string ends: LibreOffice reads the bare name; spaces it kept, as `%20`s in the
 * link), so no count or offset moves. A file moniker that climbed out of the document's folder (its `..\` count) no
 * longer does, and a link cut to a bare name is no longer marked absolute. Returns false, changing
 * nothing, when the object is not one this reads to its end within `b` (a moniker of another kind).
 */
export function bareHyperlink(b: Buffer, at: number): boolean {
  const edits: Array<() => void> = [];
  const r = new Reader(b, at);
  if (r.u32() !== 2) return false;
  const flagsAt = r.pos;
  const flags = r.u32();
  let cut = false;
  const onCut = (): void => void (cut = true);
  const str = (target = false): void => {
    const s = r.hyperlinkString();
    edits.push(() => bareInPlace(b, s.at, s.chars - 1, "utf16le") && target && onCut());
  };
  if ((flags & HAS_DISPLAY_NAME) !== 0) str();
  if ((flags & HAS_FRAME_NAME) !== 0) str();
  if ((flags & HAS_MONIKER) !== 0 && (flags & MONIKER_SAVED_AS_STRING) !== 0) str(true);
  else if ((flags & HAS_MONIKER) !== 0 && !moniker(r, edits, onCut)) return false;
  if ((flags & HAS_LOCATION) !== 0) str();
  if ((flags & HAS_GUID) !== 0) r.skip(16);
  if ((flags & HAS_CREATION_TIME) !== 0) r.skip(8);
  if (r.pos > b.length) return false;
  for (const edit of edits) edit();
  if (cut) b.writeUInt32LE(flags & ~IS_ABSOLUTE, flagsAt);
  return true;
}

/** [MS-XLS] 2.4.140 HLink: a cell range (8 bytes), the StdHlink CLSID, the hyperlink object. */
export const HLINK = 0x01b8;
const HLINK_OBJECT_AT = 24;
/** [MS-XLS] 2.4.141 HLinkTooltip: a record header of 10 bytes, then the tip, UTF-16 and NUL-terminated. */
export const HLINK_TOOLTIP = 0x0800;
const TOOLTIP_AT = 10;

/**
 * An Excel 97-2003 cell's hyperlink record or its tooltip's with their local paths cut, in place
 * (`bareHyperlink`); a hyperlink this cannot read to its end has the folders of any Windows path
 * in its text blanked instead (record-text.ts).
 */
export function bareCellLink(type: number, body: Buffer): void {
  if (type === HLINK && !(body.subarray(8, HLINK_OBJECT_AT).equals(STD_HLINK) && bareHyperlink(body, HLINK_OBJECT_AT))) scrubRecordText(body);
  if (type === HLINK_TOOLTIP) bareInPlace(body, TOOLTIP_AT, Math.floor((body.length - TOOLTIP_AT) / 2) - 1, "utf16le");
}

/** Every hyperlink object in `b` (a Word document's Data stream), found by its StdHlink CLSID. */
export function bareHyperlinks(b: Buffer): void {
  for (let at = b.indexOf(STD_HLINK); at >= 0; at = b.indexOf(STD_HLINK, at + 1)) bareHyperlink(b, at + STD_HLINK.length);
}

/** Reads a HyperlinkMoniker ([MS-OSHARED] 2.3.7.2), queuing its edits; false when it is of a kind this does not read. */
function moniker(r: Reader, edits: Array<() => void>, onCut: () => void, depth = 0): boolean {
  const clsid = r.bytes(16);
  if (clsid.equals(URL_MONIKER)) {
    const length = r.u32();
    const start = r.pos;
    const nul = r.nulTerminated(start + length);
    if (nul < 0) return false;
    edits.push(() => bareInPlace(r.b, start, (nul - start) / 2, "utf16le") && onCut());
    r.skip(length);
    return true;
  }
  if (clsid.equals(FILE_MONIKER)) {
    // [MS-OSHARED] 2.3.7.8 FileMoniker: cAnti, an ANSI path, 24 fixed bytes, then an optional UTF-16 path.
    const antiAt = r.pos;
    r.skip(2);
    const ansiLength = r.u32();
    const ansiAt = r.pos;
    r.skip(ansiLength + 24);
    const unicodeSize = r.u32();
    const unicodeAt = r.pos + 6;
    const unicodeBytes = unicodeSize === 0 ? 0 : r.u32();
    if (unicodeSize !== 0 && (unicodeSize !== unicodeBytes + 6 || unicodeBytes % 2 !== 0)) return false;
    r.skip(unicodeSize === 0 ? 0 : unicodeBytes + 2);
    if (ansiLength === 0 || r.pos > r.b.length) return false;
    edits.push(() => {
      const climbs = r.b.readUInt16LE(antiAt) > 0;
      const ansi = bareInPlace(r.b, ansiAt, ansiLength - 1, "latin1", climbs);
      const wide = bareInPlace(r.b, unicodeAt, unicodeBytes / 2, "utf16le", climbs);
      if (!ansi && !wide) return;
      r.b.writeUInt16LE(0, antiAt);
      onCut();
    });
    return true;
  }
  if (clsid.equals(COMPOSITE_MONIKER) && depth === 0) {
    const count = r.u32();
    if (count > MAX_MONIKERS) return false;
    for (let i = 0; i < count; i++) if (!moniker(r, edits, onCut, depth + 1)) return false;
    return true;
  }
  return false;
}

/**
 * The string of `length` characters at `at` (a terminating NUL not counted; any characters past
 * a NUL in it are not read) cut to its bare name, padded with NULs; `climbs`: a path the
 * document reaches by climbing out of its folder, whatever it says. Whether it changed.
 */
export function bareInPlace(b: Buffer, at: number, length: number, encoding: "latin1" | "utf16le", climbs = false): boolean {
  const width = encoding === "latin1" ? 1 : 2;
  if (length <= 0 || at + length * width > b.length) return false;
  const text = b.toString(encoding, at, at + length * width).replace(/\0[^]*$/, "");
  const bare = climbs ? text.replace(/^.*[\\/]/, "") : bareLinkTarget(text);
  if (bare === text) return false;
  b.write(bare.padEnd(length, "\0"), at, length * width, encoding);
  return true;
}

class Reader {
  pos: number;

  constructor(
    readonly b: Buffer,
    at: number,
  ) {
    this.pos = at;
  }

  u32(): number {
    const v = this.pos + 4 <= this.b.length ? this.b.readUInt32LE(this.pos) : 0;
    this.pos += 4;
    return v;
  }

  skip(n: number): void {
    this.pos += n;
  }

  bytes(n: number): Buffer {
    const v = this.b.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }

  /** A HyperlinkString ([MS-OSHARED] 2.3.7.9): a count of UTF-16 characters, its terminating NUL among them. */
  hyperlinkString(): { at: number; chars: number } {
    const chars = this.u32();
    const at = this.pos;
    this.pos += chars * 2;
    return { at, chars };
  }

  /** Where the UTF-16 string from the reader's position ends (its NUL), before `end`; -1 if it does not. */
  nulTerminated(end: number): number {
    for (let at = this.pos; at + 2 <= Math.min(end, this.b.length); at += 2) if (this.b.readUInt16LE(at) === 0) return at;
    return -1;
  }
}
