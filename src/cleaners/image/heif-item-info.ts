import { boxAt } from "./box-at.js";

/**
 * One string of an item information entry: where it lies (its terminating zero left out) and
 * whether that zero is there before the entry's end. A lenient reader (ExifTool's GetString) takes
 * an unterminated string to the end; a strict one refuses it.
 */
export interface InfeString {
  from: number;
  to: number;
  value: string;
  terminated: boolean;
}

/** The content type of an XMP item. */
export const XMP_MIME = "application/rdf+xml";

/** A box of an `iinf` (ISO/IEC 14496-12 8.11.6), read as ExifTool's ParseItemInfoEntry reads an `infe`. */
export interface ItemInfoEntry {
  boxType: string;
  version: number | null;
  /** Null where the box is no `infe`, of a version past 3, or too short for its fixed fields. */
  fields: InfeFields | null;
}

export interface InfeFields {
  id: number;
  protection: number;
  /** Versions 2 and 3 only: versions 0 and 1 name no item type. */
  itemType: string | null;
  name: InfeString;
  /**
   * The content type and encoding: always in versions 0 and 1, only for items of type `mime`
   * in versions 2 and 3. The encoding's place is what the scrub blanks (heif-boxes.ts).
   */
  content: { type: InfeString; encoding: InfeString } | null;
}

/**
 * The entries of the `iinf` whose payload (version and flags first) is `buf[from, to)`, one for
 * each box in it, then null and nothing more if a box is cut short or fewer than 8 bytes are left:
 * the screen stops there as ExifTool does, the scrub calls the file damaged, the item plan gives up.
 */
export function* itemInfoEntries(buf: Buffer, from: number, to: number): Generator<ItemInfoEntry | null> {
  // Version 0 counts its entries in 2 bytes, later versions in 4; the entries are boxes after.
  for (let at = from + 4 + (buf[from] === 0 ? 2 : 4); at < to; ) {
    const box = to - at >= 8 ? boxAt(buf, at, to - at) : null;
    if (box == null) {
      yield null;
      return;
    }
    yield entryOf(buf, box.type, at + box.headerSize, at + box.size);
    at += box.size;
  }
}

function entryOf(buf: Buffer, boxType: string, from: number, to: number): ItemInfoEntry {
  const version = to > from ? buf[from]! : null;
  return { boxType, version, fields: boxType === "infe" && version != null ? fieldsOf(buf, version, from, to) : null };
}

function fieldsOf(buf: Buffer, version: number, from: number, to: number): InfeFields | null {
  const idSize = version === 3 ? 4 : 2;
  // Versions 2 and 3: the item type must fit too.
  if (version > 3 || to - from < 8 || (version >= 2 && from + 4 + idSize + 6 > to)) return null;
  let at = from + 6 + idSize;
  const itemType = version >= 2 ? buf.toString("latin1", at, at + 4) : null;
  if (itemType != null) at += 4;
  const name = stringAt(buf, at, to);
  let content: InfeFields["content"] = null;
  if (version <= 1 || itemType === "mime") {
    const type = stringAt(buf, name.to + 1, to);
    content = { type, encoding: stringAt(buf, type.to + 1, to) };
  }
  return { id: buf.readUIntBE(from + 4, idSize), protection: buf.readUInt16BE(from + 4 + idSize), itemType, name, content };
}

/**
 * The string at `at`, to its zero or `to` (empty when `at` is past `to`). The zero is looked for
 * in the entry only: a search on into the rest of a 16 MB `meta`, for each of many entries without
 * one, would cost their number times its size.
 */
function stringAt(buf: Buffer, at: number, to: number): InfeString {
  const from = Math.min(at, to);
  const nul = buf.subarray(from, to).indexOf(0);
  const terminated = nul >= 0;
  const end = terminated ? from + nul : to;
  return { from, to: end, value: buf.toString("latin1", from, end), terminated };
}
