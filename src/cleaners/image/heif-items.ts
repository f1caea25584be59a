import { boxAt } from "./box-at.js";
import { type InfeFields, itemInfoEntries, XMP_MIME } from "./heif-item-info.js";
import { BigEndianFields } from "../big-endian-fields.js";

/**
 * The items of a HEIF `meta` box (ISO/IEC 23008-12 and 14496-12 8.11) as the in-place blanking
 * (heif-in-place.ts) needs them: each item's kind and where its data lies, with the positions of
 * the `iloc` length fields that blanking sets to 0. Anything else gives null.
 *
 * `plain` (the blanking instead of ExifTool's rewrite) reads one shape only:
 * - `meta` holds `hdlr` (of pictures), `pitm`, `iloc`, `iinf`, `iref`, `iprp`, `idat`, a `dinf`
 *   saying the data is in this file (as iPhones write it) and padding, each once (no boxes of
 *   other kinds);
 * - every item is a version 2/3 `infe` without a name or protection, of a picture type
 *   heif-proof.ts accepts, `Exif`, or `mime` of type application/rdf+xml (XMP): the metadata;
 * - every location is in this file (data reference 0), by file offset (construction method 0)
 *   or, for a picture item only (the layout of a grid, as libheif and iPhones write it), by
 *   offset into `idat` (method 1); every extent has a stated length.
 *
 * `sequence` (an image sequence, heif-sequence.ts) reads the same shape, but picture items may
 * have a name (ffmpeg and GPAC name them "Color" and "Alpha"), which the blanking zeroes.
 *
 * `leftovers` (after ExifTool's rewrite) takes other boxes beside them and any item type: what
 * is not picture coding (of any kind HEIF defines) counts as metadata, wherever it lies, since
 * ExifTool's `-all=` carries the data of items it has no name for along unread; so does an item
 * of a version 0 or 1 `infe`, which has no type (ExifTool empties only the EXIF and XMP items that
 * describe the primary picture).
 */
export type ReadMode = "plain" | "sequence" | "leftovers";

export interface HeifItem {
  id: number;
  kind: "picture" | "metadata";
  /** Its item type (`hvc1`, `av01`, `Exif`, `mime`...), empty for an entry of version 0 or 1, which names none. */
  type: string;
  /** Ranges of its data: absolute in the file, or (`inIdat`) from the start of the `idat` payload. */
  extents: Array<{ from: number; to: number; inIdat: boolean }>;
  /** Offsets (in the `meta` buffer) and sizes of its extents' length fields. */
  lengthFields: Array<{ at: number; size: number }>;
}

export interface HeifItems {
  items: Map<number, HeifItem>;
  /** Payload of `idat` in the `meta` buffer, if there is one. */
  idat: { from: number; to: number } | null;
  /** Reference type, from item, to items. */
  references: Array<{ type: string; from: number; to: number[] }>;
  /** Where the items' names are in the `meta` buffer, their terminating zero left out (`sequence` only). */
  names: Array<{ from: number; to: number }>;
  /** Payload of `iprp` (the item properties) in the `meta` buffer, if there is one. */
  properties: { from: number; to: number } | null;
}

/** What `iinf` says of an item. */
type ItemKind = Pick<HeifItem, "kind" | "type">;

/** Item types whose data is picture coding (what heif-proof.ts accepts as such). */
const PICTURE_TYPES = new Set(["hvc1", "av01", "grid", "iovl", "iden"]);
/**
 * All the item types whose data is picture coding or its layout (HEVC and its tiles and layers,
 * AV1, AVC, VVC, JPEG, JPEG 2000, uncompressed, derivations, masks, tone maps), which the
 * leftovers pass keeps.
 */
const CODED_TYPES = new Set([...PICTURE_TYPES, "hvt1", "lhv1", "avc1", "vvc1", "jpeg", "j2k1", "unci", "mski", "tmap"]);
const KNOWN_CHILDREN = new Set(["hdlr", "pitm", "iloc", "iinf", "iref", "iprp", "idat"]);
/** The `dinf` payload of a file whose data is all in itself: a `dref` of one `url ` entry with flag 1 and no location. */
const SELF_CONTAINED = Buffer.from("0000001c6472656600000000000000010000000c75726c2000000001", "hex");

/** `meta` is the whole box, `payload` where its children start (after its version and flags). */
export function readHeifItems(meta: Buffer, payload: number, mode: ReadMode): HeifItems | null {
  const found = new Map<string, { from: number; to: number }>();
  for (let at = payload; at < meta.length; ) {
    const box = boxAt(meta, at, meta.length - at);
    if (box == null) return null;
    const range = { from: at + box.headerSize, to: at + box.size };
    if (KNOWN_CHILDREN.has(box.type) || (box.type === "dinf" && meta.subarray(range.from, range.to).equals(SELF_CONTAINED))) {
      if (found.has(box.type)) return null;
      found.set(box.type, range);
    } else if (box.type !== "free" && box.type !== "skip" && mode !== "leftovers") return null;
    at += box.size;
  }
  const [hdlr, iinf, iloc, pitm] = [found.get("hdlr"), found.get("iinf"), found.get("iloc"), found.get("pitm")];
  if (iinf == null || iloc == null || pitm == null) return null;
  if (mode !== "leftovers" && (hdlr == null || hdlr.to - hdlr.from < 24 || meta.toString("latin1", hdlr.from + 8, hdlr.from + 12) !== "pict")) return null;
  const names: HeifItems["names"] = [];
  const kinds = itemKinds(meta, iinf, mode, names);
  const primary = primaryItem(meta, pitm);
  // What a reader shows first is never blanked, whatever its type.
  if (kinds == null || primary == null || kinds.get(primary)?.kind !== "picture") return null;
  const items = locations(meta, iloc, kinds, mode);
  const iref = found.get("iref");
  const references = iref == null ? [] : readReferences(meta, iref);
  if (items == null || references == null) return null;
  return { items, idat: found.get("idat") ?? null, references, names, properties: found.get("iprp") ?? null };
}

/** The primary item's id, read from the `pitm` payload `meta[from, to)`. */
export function primaryItem(meta: Buffer, { from, to }: { from: number; to: number }): number | null {
  const version = meta[from];
  if (version == null || version > 1) return null;
  return new BigEndianFields(meta, from + 4, to).uint(version === 0 ? 2 : 4);
}

function itemKinds(meta: Buffer, { from, to }: { from: number; to: number }, mode: ReadMode, names: HeifItems["names"]): Map<number, ItemKind> | null {
  const version = meta[from];
  if (version == null || version > 1) return null;
  const count = new BigEndianFields(meta, from + 4, to).uint(version === 0 ? 2 : 4);
  if (count == null) return null;
  const kinds = new Map<number, ItemKind>();
  for (const entry of itemInfoEntries(meta, from, to)) {
    const fields = entry?.boxType === "infe" ? entry.fields : null;
    if (fields == null || kinds.has(fields.id)) return null;
    // Versions 0 and 1 name no item type: no reader takes such an item for a picture.
    const kind = fields.itemType == null ? (mode === "leftovers" ? "metadata" : null) : itemKind(fields, fields.itemType, mode, names);
    if (kind == null) return null;
    kinds.set(fields.id, { kind, type: fields.itemType ?? "" });
  }
  return kinds.size === count ? kinds : null;
}

/** What an item of version 2 or 3 is to the blanking, or null when its entry is not of the shape `mode` reads. */
function itemKind({ protection, name, content }: InfeFields, itemType: string, mode: ReadMode, names: HeifItems["names"]): HeifItem["kind"] | null {
  if (mode === "leftovers") return CODED_TYPES.has(itemType) ? "picture" : "metadata";
  if (protection !== 0 || !name.terminated) return null;
  if (name.value !== "") {
    if (mode !== "sequence" || !PICTURE_TYPES.has(itemType)) return null;
    names.push({ from: name.from, to: name.to });
  }
  if (PICTURE_TYPES.has(itemType)) return "picture";
  if (itemType === "Exif" || (content?.type.terminated && content.type.value === XMP_MIME)) return "metadata";
  return null;
}

function locations(meta: Buffer, { from, to }: { from: number; to: number }, kinds: Map<number, ItemKind>, mode: ReadMode): Map<number, HeifItem> | null {
  const version = meta[from];
  if (version == null || version > 2) return null;
  const f = new BigEndianFields(meta, from + 4, to);
  const sizes = f.uint(2);
  if (sizes == null) return null;
  const [offsetSize, lengthSize, baseSize, indexSize] = [sizes >> 12, (sizes >> 8) & 15, (sizes >> 4) & 15, version === 0 ? 0 : sizes & 15];
  if (![offsetSize, lengthSize, baseSize, indexSize].every((n) => n === 0 || n === 4 || n === 8) || lengthSize === 0) return null;
  const count = f.uint(version < 2 ? 2 : 4);
  if (count == null) return null;
  const items = new Map<number, HeifItem>();
  for (let i = 0; i < count; i++) {
    const id = f.uint(version < 2 ? 2 : 4);
    const known = id == null ? undefined : kinds.get(id);
    if (id == null || known == null || items.has(id)) return null;
    const { kind, type } = known;
    const method = version === 0 ? 0 : f.uint(2);
    const dataReference = f.uint(2);
    const base = f.uint(baseSize);
    const extentCount = f.uint(2);
    const methodHolds = method === 0 || (method === 1 && (kind === "picture" || mode === "leftovers"));
    if (!methodHolds || dataReference !== 0 || base == null || extentCount == null) return null;
    const item: HeifItem = { id, kind, type, extents: [], lengthFields: [] };
    for (let e = 0; e < extentCount; e++) {
      const offset = f.uint(indexSize) == null ? null : f.uint(offsetSize);
      const lengthAt = f.at;
      const length = f.uint(lengthSize);
      if (offset == null || length == null) return null;
      // A length of 0 means "to the end of the data" in the standard, no range this blanking could
      // reason about; ExifTool reads it as "none" and writes it so for the items it empties.
      if (length === 0 && mode === "leftovers" && kind === "metadata") continue;
      if (length === 0) return null;
      item.extents.push({ from: base + offset, to: base + offset + length, inIdat: method === 1 });
      item.lengthFields.push({ at: lengthAt, size: lengthSize });
    }
    items.set(id, item);
  }
  return f.at === to ? items : null;
}

function readReferences(meta: Buffer, { from, to }: { from: number; to: number }): HeifItems["references"] | null {
  const version = meta[from];
  if (version == null || version > 1) return null;
  const idSize = version === 0 ? 2 : 4;
  const out: HeifItems["references"] = [];
  for (let at = from + 4; at < to; ) {
    const box = boxAt(meta, at, to - at);
    if (box == null) return null;
    const f = new BigEndianFields(meta, at + box.headerSize, at + box.size);
    const source = f.uint(idSize);
    const n = f.uint(2);
    if (source == null || n == null) return null;
    const targets: number[] = [];
    for (let i = 0; i < n; i++) {
      const id = f.uint(idSize);
      if (id == null) return null;
      targets.push(id);
    }
    if (f.at !== at + box.size) return null;
    out.push({ type: box.type, from: source, to: targets });
    at += box.size;
  }
  return out;
}
