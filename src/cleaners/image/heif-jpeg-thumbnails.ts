import fsp from "node:fs/promises";
import { BigEndianFields } from "../big-endian-fields.js";
import { boxAt } from "./box-at.js";
import { readHeifTop } from "./heif-in-place.js";
import { type HeifItems, primaryItem, readHeifItems } from "./heif-items.js";

/**
 * A HEIF's JPEG thumbnails dropped from its `meta` box, after ExifTool's rewrite. Sony's HIF (a7
 * IV, a1, FX3...) carries, beside its HEVC thumbnails, a small JPEG as an item of type `jpeg`
 * that is the primary picture's thumbnail (`thmb`); ExifTool's rewrite keeps it as it is, with
 * whatever EXIF, comments or maker data the JPEG holds, and reads it back as a ThumbnailImage or
 * PreviewImage, so every such file was refused. Such an item goes whole, as a JPEG's own EXIF
 * thumbnail does: its `iinf` entry, its `iloc` entry, its `ipma` entry, the references from it
 * and the mentions of it in the `cdsc` references of metadata; its bytes are then unreferenced,
 * and blankHeifLeftovers zeroes them. Kept cleaned it could not be proved: the readers here
 * (libheif 1.15) decode no `jpeg` item, and HEIF readers show the HEVC thumbnails or the picture.
 *
 * Taken only for a `jpeg` item that is the source of a `thmb` reference, not the primary picture,
 * and mentioned by no other reference (not a grid's tile, say), in a `meta` that
 * readHeifItems reads; the boxes rebuilt have 32-bit sizes. The `meta` box keeps its size (a
 * `free` box at its end takes the bytes it loses), so no item location moves. Resolves to the
 * items dropped.
 */
export async function dropJpegThumbnails(file: string): Promise<number> {
  const top = await readHeifTop(file);
  const meta = top?.meta;
  if (meta == null || meta.box.readUInt32BE(meta.payload - 4) !== 0) return 0;
  const items = readHeifItems(meta.box, meta.payload, "leftovers");
  if (items == null) return 0;
  const children = childBoxes(meta.box, meta.payload, meta.box.length);
  const pitm = children?.find((c) => c.type === "pitm");
  const primary = pitm == null ? null : primaryItem(meta.box, { from: pitm.at + 8, to: pitm.at + pitm.size });
  if (children == null || primary == null) return 0;
  const drop = new Set(
    [...items.items.values()]
      .filter((i) => i.type === "jpeg" && i.id !== primary)
      .filter((i) => items.references.some((r) => r.type === "thmb" && r.from === i.id))
      .filter((i) => items.references.every((r) => (r.from === i.id ? r.type === "thmb" : !r.to.includes(i.id) || r.type === "cdsc")))
      .map((i) => i.id),
  );
  if (drop.size === 0) return 0;
  const parts: Buffer[] = [];
  for (const c of children) {
    const box = meta.box.subarray(c.at, c.at + c.size);
    const rebuilt = c.type === "iinf" ? withoutInfe(box, drop) : c.type === "iloc" ? withoutLocations(box, drop) : c.type === "iref" ? withoutReferences(box, items.references, drop) : c.type === "iprp" ? withoutAssociations(box, drop) : box;
    if (rebuilt == null) return 0;
    parts.push(rebuilt);
  }
  const body = Buffer.concat(parts);
  const lost = meta.box.length - meta.payload - body.length;
  if (lost < 8) return 0;
  const free = Buffer.alloc(lost);
  free.writeUInt32BE(lost, 0);
  free.write("free", 4, "latin1");
  const fh = await fsp.open(file, "r+");
  try {
    await fh.write(Buffer.concat([body, free]), 0, meta.box.length - meta.payload, meta.at + meta.payload);
  } finally {
    await fh.close();
  }
  return drop.size;
}

interface Child {
  type: string;
  at: number;
  size: number;
}

/** The boxes in `buf[from, to)`, null unless all have 32-bit sizes and tile the range. */
function childBoxes(buf: Buffer, from: number, to: number): Child[] | null {
  const out: Child[] = [];
  for (let at = from; at < to; ) {
    const box = boxAt(buf, at, to - at);
    if (box == null || box.headerSize !== 8) return null;
    out.push({ type: box.type, at, size: box.size });
    at += box.size;
  }
  return out;
}

/** A box of `type` whose payload is `parts`. */
function boxOf(type: string, parts: Buffer[]): Buffer {
  const head = Buffer.alloc(8);
  const payload = Buffer.concat(parts);
  head.writeUInt32BE(8 + payload.length, 0);
  head.write(type, 4, "latin1");
  return Buffer.concat([head, payload]);
}

/** `iinf` without the entries of `drop`. */
function withoutInfe(box: Buffer, drop: ReadonlySet<number>): Buffer | null {
  const countSize = box[8] === 0 ? 2 : 4;
  const entries = childBoxes(box, 12 + countSize, box.length);
  if (entries == null) return null;
  const kept = entries.filter((e) => {
    const version = box[e.at + 8]!;
    return !(e.type === "infe" && version >= 2 && e.size >= 12 + (version === 3 ? 4 : 2) && drop.has(box.readUIntBE(e.at + 12, version === 3 ? 4 : 2)));
  });
  return boxOf("iinf", [box.subarray(8, 12), countOf(countSize, kept.length), ...kept.map((e) => box.subarray(e.at, e.at + e.size))]);
}

/** `iloc` (ISO/IEC 14496-12 8.11.3) without the entries of `drop`. */
function withoutLocations(box: Buffer, drop: ReadonlySet<number>): Buffer | null {
  const version = box[8]!;
  if (version > 2 || box.length < 14) return null;
  const sizes = box.readUInt16BE(12);
  const [offsetSize, lengthSize, baseSize, indexSize] = [sizes >> 12, (sizes >> 8) & 15, (sizes >> 4) & 15, version === 0 ? 0 : sizes & 15];
  const idSize = version < 2 ? 2 : 4;
  const f = new BigEndianFields(box, 14, box.length);
  const count = f.uint(idSize);
  if (count == null) return null;
  const kept: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    const from = f.at;
    const id = f.uint(idSize);
    if (id == null || f.uint(version === 0 ? 2 : 4) == null || f.uint(baseSize) == null) return null;
    const extents = f.uint(2);
    if (extents == null) return null;
    for (let e = 0; e < extents; e++) if (f.uint(indexSize) == null || f.uint(offsetSize) == null || f.uint(lengthSize) == null) return null;
    if (!drop.has(id)) kept.push(box.subarray(from, f.at));
  }
  if (!f.done) return null;
  // Version and flags, then the field sizes.
  return boxOf("iloc", [box.subarray(8, 14), countOf(idSize, kept.length), ...kept]);
}

/** `count` as a big-endian number of `size` bytes. */
function countOf(size: number, count: number): Buffer {
  const b = Buffer.alloc(size);
  b.writeUIntBE(count, 0, size);
  return b;
}

/**
 * `iref` without the references from `drop`, and without `drop` among the targets of the others (a
 * reference left with none goes), rebuilt from the references readHeifItems read from it.
 */
function withoutReferences(box: Buffer, references: HeifItems["references"], drop: ReadonlySet<number>): Buffer {
  const idSize = box[8] === 0 ? 2 : 4;
  const kept = references
    .map((r) => ({ ...r, to: r.to.filter((id) => !drop.has(id)) }))
    .filter((r) => !drop.has(r.from) && r.to.length > 0)
    .map((r) => boxOf(r.type, [countOf(idSize, r.from), countOf(2, r.to.length), ...r.to.map((t) => countOf(idSize, t))]));
  return boxOf("iref", [box.subarray(8, 12), ...kept]);
}

/**
 * `iprp` whose `ipma` boxes (ISO/IEC 23008-12 9.3) have no entries for `drop`, and whose
 * properties only those entries named are `free` boxes of zeros, in their places (the others'
 * indices stay): an orphan `ispe` of the thumbnail's size read by ExifTool as the picture's.
 */
function withoutAssociations(box: Buffer, drop: ReadonlySet<number>): Buffer | null {
  const children = childBoxes(box, 8, box.length);
  if (children == null) return null;
  const used = { kept: new Set<number>(), dropped: new Set<number>() };
  const parts = new Map<Child, Buffer>();
  for (const c of children.filter((c) => c.type === "ipma")) {
    const version = box[c.at + 8]!;
    const wide = (box[c.at + 11]! & 1) === 1;
    const f = new BigEndianFields(box, c.at + 12, c.at + c.size);
    const count = f.uint(4);
    if (count == null) return null;
    const kept: Buffer[] = [];
    for (let i = 0; i < count; i++) {
      const from = f.at;
      const id = f.uint(version < 1 ? 2 : 4);
      const n = f.uint(1);
      if (id == null || n == null) return null;
      for (let a = 0; a < n; a++) {
        const association = f.uint(wide ? 2 : 1);
        if (association == null) return null;
        // The index, past the essential flag.
        (drop.has(id) ? used.dropped : used.kept).add(association & (wide ? 0x7fff : 0x7f));
      }
      if (!drop.has(id)) kept.push(box.subarray(from, f.at));
    }
    if (!f.done) return null;
    parts.set(c, boxOf("ipma", [box.subarray(c.at + 8, c.at + 12), countOf(4, kept.length), ...kept]));
  }
  const ipco = children.find((c) => c.type === "ipco");
  if (ipco != null) {
    const properties = childBoxes(box, ipco.at + 8, ipco.at + ipco.size);
    if (properties == null) return null;
    const rebuilt = Buffer.from(box.subarray(ipco.at, ipco.at + ipco.size));
    properties.forEach((p, n) => {
      if (!used.dropped.has(n + 1) || used.kept.has(n + 1)) return;
      const at = p.at - ipco.at;
      rebuilt.write("free", at + 4, "latin1");
      rebuilt.fill(0, at + 8, at + p.size);
    });
    parts.set(ipco, rebuilt);
  }
  return boxOf("iprp", children.map((c) => parts.get(c) ?? box.subarray(c.at, c.at + c.size)));
}
