import { TooComplexError } from "../errors.js";
import type { FileBytes } from "../file-bytes.js";
import { ExifByteBudget } from "./exif-byte-budget.js";
import { boxAt } from "./box-at.js";
import { itemInfoEntries, XMP_MIME } from "./heif-item-info.js";
import { checkTiffBytes, MAX_EXIF_ENTRIES, TiffTally } from "./tiff-screen.js";
import { XmpNamespaceTally } from "../xmp-namespaces.js";

/**
 * Bytes of EXIF items and of deflated items that the screen reads (all of an item's extents,
 * inflated when the item says it is deflated), in all the `meta` boxes of a file, as ExifTool puts
 * them together. An item's extents may point anywhere in the file, the same bytes many times: one
 * item of 5,000 extents of a 197 kB block took ExifTool to its memory cap. A photo's EXIF item is
 * tens of kilobytes.
 */
export const MAX_EXIF_ITEM_BYTES = 16 * 1024 * 1024;
/**
 * Bytes of the items ExifTool puts together (EXIF, XMP, a JPEG preview, a URI's property list),
 * in all, beyond the file's own size: more is bytes read many times over, or inflated.
 */
export const MAX_ITEM_BYTES_PAST_SIZE = 16 * 1024 * 1024;
/** The items ExifTool puts together, by content type or item type (QuickTime.pm's HandleItemInfo). */
const ASSEMBLED_ITEMS = new Set(["Exif", XMP_MIME, "jpeg", "uri "]);
/** An item table (`iinf`, `iloc`) is read whole up to this size: real ones hold tens of items, a grid's tiles a few hundred. */
const MAX_ITEM_TABLE_BYTES = 16 * 1024 * 1024;

/** What ExifTool keeps of an item from `iinf` and `iloc` (QuickTime.pm's ItemInfo), each field as it sets it. */
interface Item {
  type?: string;
  contentType?: string;
  encoding?: string;
  protection?: number;
  method?: number;
  dataReference?: number;
  base?: number;
  extents?: Array<{ offset: number; length: number }>;
}

/**
 * Refuses (TooComplexError) a QuickTime / ISO BMFF file (HEIC, AVIF) whose EXIF items hold more
 * than MAX_EXIF_ENTRIES directory entries in all, maker notes counted, or whose items that
 * ExifTool puts together (EXIF, XMP, previews) add up to more than the file's size and
 * MAX_ITEM_BYTES_PAST_SIZE. ExifTool reads every EXIF item of every `meta` box, each at its own
 * place as a block of its own: twenty items sharing one maker note of 16,000 entries (197 kB) took
 * it 16 s and 390 MB. `metas` are where the children of each `meta` box lie. Items ExifTool does
 * not read (protected, in another file, of an unknown encoding) are not read either; only EXIF
 * and XMP items and deflated ones are read into memory, the XMP items' namespace URIs counted (see
 * xmp-namespaces.ts).
 */
export async function checkHeifItems(src: FileBytes, metas: ReadonlyArray<{ from: number; to: number }>): Promise<void> {
  const tally = new TiffTally(MAX_EXIF_ENTRIES);
  const xmp = new XmpNamespaceTally("heif");
  const budget = { read: new ExifByteBudget(MAX_EXIF_ITEM_BYTES, "heif"), all: new ExifByteBudget(src.size + MAX_ITEM_BYTES_PAST_SIZE, "heif", "items put together") };
  for (const meta of metas) {
    const { items, idat } = await itemsOf(src, meta.from, meta.to);
    for (const item of items.values()) {
      const kind = item.contentType || item.type;
      if (kind == null || !ASSEMBLED_ITEMS.has(kind)) continue;
      const data = await assembled(src, item, idat, budget, kind === "Exif" || kind === XMP_MIME);
      const block = kind === "Exif" && data != null ? exifBlockOf(data) : null;
      if (block != null) await checkTiffBytes(block, tally);
      // Put together and inflated as ExifTool reads it: the stored bytes show neither (a deflated
      // item of 20,000 namespace URIs, 170 kB, held ExifTool a minute).
      if (kind === XMP_MIME && data != null) xmp.scan(data);
    }
  }
}

/** The items a `meta` box's `iinf` and `iloc` boxes describe, and where its `idat` payload starts. */
async function itemsOf(src: FileBytes, from: number, to: number): Promise<{ items: Map<number, Item>; idat: number | null }> {
  const items = new Map<number, Item>();
  let idat: number | null = null;
  for (let at = from; to - at >= 8; ) {
    const box = boxAt(await src.read(at, 16), 0, to - at);
    if (box == null) break; // damage: ExifTool stops there too
    const payload = at + box.headerSize;
    if (box.type === "idat") idat = payload;
    if (box.type === "iinf" || box.type === "iloc") {
      const length = box.size - box.headerSize;
      if (length > MAX_ITEM_TABLE_BYTES) throw new TooComplexError(`heif: an item table of more than ${MAX_ITEM_TABLE_BYTES} bytes`);
      const table = await src.read(payload, length);
      if (box.type === "iinf") readItemInfo(table, items);
      else readItemLocations(table, items);
    }
    at += box.size;
  }
  return { items, idat };
}

const item = (items: Map<number, Item>, id: number): Item => {
  let found = items.get(id);
  if (found == null) items.set(id, (found = {}));
  return found;
};

/** `iinf`'s item info entries (its payload is `table`), as ExifTool's ParseItemInfoEntry keeps them. */
function readItemInfo(table: Buffer, items: Map<number, Item>): void {
  for (const entry of itemInfoEntries(table, 0, table.length)) {
    if (entry == null) return;
    const { fields } = entry;
    if (fields == null) continue;
    const it = item(items, fields.id);
    it.protection = fields.protection;
    if (fields.itemType != null) it.type = fields.itemType;
    if (fields.content == null) continue;
    it.contentType = fields.content.type.value;
    it.encoding = fields.content.encoding.value;
  }
}

/** `iloc`'s locations, read as ExifTool's ParseItemLocation reads them (it stops at the first field past the end). */
function readItemLocations(table: Buffer, items: Map<number, Item>): void {
  if (table.length < 8) return;
  const version = table[0]!;
  const sizes = table.readUInt16BE(4);
  const [offsetSize, lengthSize, baseSize, indexSize] = [sizes >> 12, (sizes >> 8) & 15, (sizes >> 4) & 15, sizes & 15];
  let at = 6;
  const uint = (n: number): number | null => {
    const from = at;
    at += n;
    if (at > table.length) return null;
    return n === 0 ? 0 : n === 2 ? table.readUInt16BE(from) : n === 4 ? table.readUInt32BE(from) : n === 8 ? Number(table.readBigUInt64BE(from)) : null;
  };
  const count = uint(version < 2 ? 2 : 4);
  if (count == null) return;
  for (let i = 0; i < count; i++) {
    const id = uint(version < 2 ? 2 : 4);
    if (id == null) return;
    const it = item(items, id);
    if (version === 1 || version === 2) {
      const method = uint(2);
      if (method == null) return;
      it.method = method & 15;
    }
    const dataReference = uint(2);
    if (dataReference == null) return;
    it.dataReference = dataReference;
    it.base = uint(baseSize) ?? 0;
    const extentCount = uint(2);
    if (extentCount == null) return;
    const extents: Item["extents"] = [];
    for (let e = 0; e < extentCount; e++) {
      if (version === 1 || version === 2) uint(indexSize);
      const offset = uint(offsetSize) ?? 0;
      const length = uint(lengthSize);
      if (length == null) return;
      extents.push({ offset, length });
    }
    it.extents = extents;
  }
}

/**
 * An item's bytes as ExifTool puts them together (HandleItemInfo): its extents up to the first
 * that holds nothing, inflated when deflated, each counted into `budget.all`, and, when read,
 * into `budget.read` too; read only when `keep` is asked for or they are to be inflated. Null for
 * items ExifTool does not read, and when nothing is kept.
 */
async function assembled(src: FileBytes, it: Item, idat: number | null, budget: ItemBudget, keep: boolean): Promise<Buffer | null> {
  const method = it.method ?? 0;
  if (it.encoding && it.encoding !== "deflate") return null;
  if (it.protection || method > 1 || (method === 1 && idat == null) || it.dataReference || !it.extents?.length) return null;
  const read = keep || it.encoding === "deflate";
  const base = (it.base ?? 0) + (method === 1 ? idat! : 0);
  const parts: Buffer[] = [];
  for (const { offset, length } of it.extents) {
    const at = base + offset;
    if (at >= src.size || length === 0) break;
    const n = Math.min(length, src.size - at);
    budget.all.take(n);
    if (!read) continue;
    budget.read.take(n);
    parts.push(await src.read(at, n));
  }
  if (!read) return null;
  const block: Buffer = Buffer.concat(parts);
  if (block.length === 0) return null;
  if (it.encoding !== "deflate") return block;
  const inflated = budget.read.inflate(block, "zlib");
  if (inflated != null) budget.all.take(inflated.length);
  return inflated;
}

/** What a file's items may take: bytes read into memory, and bytes ExifTool puts together. */
interface ItemBudget {
  read: ExifByteBudget;
  all: ExifByteBudget;
}

/**
 * The TIFF structure of an EXIF item's bytes as ExifTool reads it: after the 4-byte offset of its
 * TIFF header (or at a TIFF header, or after a bare "Exif\0\0"). Null when that offset is past
 * its end.
 */
function exifBlockOf(block: Buffer): Buffer | null {
  if (block.length < 4) return block;
  if (block.toString("latin1", 0, 4) === "MM\0*" || block.toString("latin1", 0, 4) === "II*\0") return block;
  if (block.toString("latin1", 0, 6) === "Exif\0\0") return block.subarray(6);
  const start = 4 + block.readUInt32BE(0);
  return start > block.length ? null : block.subarray(start);
}
