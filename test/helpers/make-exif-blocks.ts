import { box, childBoxes } from "./make-images.js";

/**
 * EXIF blocks built to cost ExifTool much more than their size (maker notes of thousands of
 * entries), and the places files keep them: a JPEG's APP1 segment, a HEIF's EXIF items.
 */

type Entry = (at: number, tag: number, type: number, count: number, value: number) => void;

/**
 * An EXIF block (a TIFF structure) from a Canon camera: Make, then an EXIF directory whose maker
 * note is a bare directory of `n` records (Canon's layout) followed by `data` bytes, which
 * `fill` writes, given where each record and the data start.
 */
function canonExif(n: number, data: number, fill: (entry: Entry, recordAt: (i: number) => number, dataAt: number, tiff: Buffer) => void, dataInNote = true): Buffer {
  const make = Buffer.from("Canon\0", "latin1");
  const ifd0At = 8;
  const makeAt = ifd0At + 2 + 2 * 12 + 4;
  const exifAt = makeAt + make.length;
  const noteAt = exifAt + 2 + 12 + 4;
  const dataAt = noteAt + 2 + n * 12 + 4;
  const tiff = Buffer.alloc(dataAt + data);
  tiff.write("II", 0, "latin1");
  tiff.writeUInt16LE(42, 2);
  tiff.writeUInt32LE(ifd0At, 4);
  const entry: Entry = (at, tag, type, count, v) => {
    tiff.writeUInt16LE(tag, at);
    tiff.writeUInt16LE(type, at + 2);
    tiff.writeUInt32LE(count, at + 4);
    tiff.writeUInt32LE(v, at + 8);
  };
  tiff.writeUInt16LE(2, ifd0At);
  entry(ifd0At + 2, 271, 2, make.length, makeAt);
  entry(ifd0At + 14, 34665, 4, 1, exifAt);
  make.copy(tiff, makeAt);
  tiff.writeUInt16LE(1, exifAt);
  entry(exifAt + 2, 37500, 7, (dataInNote ? tiff.length : dataAt) - noteAt, noteAt);
  tiff.writeUInt16LE(n, noteAt);
  fill(entry, (i) => noteAt + 2 + i * 12, dataAt, tiff);
  return tiff;
}

/**
 * A Canon EXIF block whose maker note holds `n` private fields, each an ASCII value `value` (SHORT 1
 * without).
 */
export function cameraExif(n: number, value?: string): Buffer {
  const text = value == null ? Buffer.alloc(0) : Buffer.from(`${value}\0`, "latin1");
  return canonExif(n, n * text.length, (entry, recordAt, dataAt, tiff) => {
    for (let i = 0; i < n; i++) {
      if (value == null) entry(recordAt(i), 0xc000 + (i % 0x4000), 3, 1, 1);
      else entry(recordAt(i), 0xc000 + i, 2, text.length, dataAt + i * text.length);
      text.copy(tiff, dataAt + i * text.length);
    }
  });
}

/** A JPEG's APP1 segment holding an EXIF block. */
export function exifSegment(block: Buffer): Buffer {
  return jpegSegment(0xe1, Buffer.concat([Buffer.from("Exif\0\0", "latin1"), block]));
}

/** A JPEG segment of `marker` holding `payload`. */
export function jpegSegment(marker: number, payload: Buffer): Buffer {
  const head = Buffer.from([0xff, marker, 0, 0]);
  head.writeUInt16BE(payload.length + 2, 2);
  return Buffer.concat([head, payload]);
}

/** An item's place in the file; `lengthFields` are where its extents' lengths are written (offset and byte count), to damage them. */
type Location = { id: number; method: number; extents: Array<[at: number, length: number]>; lengthFields: Array<[at: number, size: number]> };

/** The item locations of a HEIF's `iloc` box. */
export function heifLocations(file: Buffer): Location[] {
  const meta = childBoxes(file, 0, file.length).find((x) => x.type === "meta");
  const iloc = meta == null ? undefined : childBoxes(file, meta.at + 12, meta.at + meta.size).find((x) => x.type === "iloc");
  if (iloc == null) throw new Error("no iloc box in meta");
  return locations(file, iloc);
}

/** The bytes of a HEIF's item `id` stored in the file (its extents, put together). */
export function heifItemBytes(file: Buffer, id: number): Buffer {
  const item = heifLocations(file).find((l) => l.id === id && l.method === 0);
  if (item == null) throw new Error(`no item ${id} stored in the file`);
  return Buffer.concat(item.extents.map(([at, n]) => file.subarray(at, at + n)));
}

/** A HEIF `iloc` box's items, their extents as absolute offsets (base added). */
function locations(b: Buffer, iloc: { at: number; size: number }): Location[] {
  const version = b[iloc.at + 8]!;
  let q = iloc.at + 12;
  const read = (n: number): number => {
    const v = n === 0 ? 0 : b.readUIntBE(q, n);
    q += n;
    return v;
  };
  const sizes = read(2);
  const [offsetSize, lengthSize, baseSize, indexSize] = [sizes >> 12, (sizes >> 8) & 15, (sizes >> 4) & 15, version === 0 ? 0 : sizes & 15];
  const count = read(version < 2 ? 2 : 4);
  const out: Location[] = [];
  for (let i = 0; i < count; i++) {
    const id = read(version < 2 ? 2 : 4);
    const method = version === 0 ? 0 : read(2) & 15;
    read(2); // data reference
    const base = read(baseSize);
    const extents: Location["extents"] = [];
    const lengthFields: Location["lengthFields"] = [];
    for (let e = read(2); e > 0; e--) {
      read(indexSize);
      const offset = read(offsetSize);
      lengthFields.push([q, lengthSize]);
      extents.push([base + offset, read(lengthSize)]);
    }
    out.push({ id, method, extents, lengthFields });
  }
  return out;
}

/**
 * The HEIF/AVIF `file` with `items` more EXIF items (ids from 1000), stored in an `mdat` at the
 * end: item i is 4 zero bytes of its own (the offset of its TIFF header: none) followed by
 * `extents` times the shared `block`, so that ExifTool reads each item as a block of its own, at
 * its own place.
 */
export function heifWithExifItems(file: Buffer, block: Buffer, items: number, extents = 1): Buffer {
  const exif = Array.from({ length: items }, (_, i): ExtraItem => ({ type: "Exif", extents: [[4 * i, 4], ...Array<[number, number]>(extents).fill([4 * items, block.length])] }));
  return heifWithItems(file, exif, Buffer.concat([Buffer.alloc(4 * items), block]));
}

/** An item to add to a HEIF: its type (a `mime` item's content type and encoding), and its extents in the added `mdat`'s payload. */
export interface ExtraItem {
  type: string;
  contentType?: string;
  encoding?: string;
  extents: Array<[at: number, length: number]>;
  /**
   * The version of its `infe` (2 unless said): versions 0 and 1 have no item type, only the name,
   * content type and encoding (`type` is then left out).
   */
  infeVersion?: 0 | 1 | 2;
  /** Describes the primary picture (a `cdsc` reference to it, as ExifTool and cameras write for EXIF and XMP). */
  describes?: boolean;
}

/** An item's `infe` box (id 1000 + `i`, protection 0, no name). */
function infeBox(it: ExtraItem, i: number): Buffer {
  const version = it.infeVersion ?? 2;
  const head = Buffer.alloc(version === 2 ? 12 : 8);
  head[0] = version;
  head.writeUInt16BE(1000 + i, 4);
  if (version === 2) head.write(it.type, 8, "latin1");
  const strings = version < 2 || it.type === "mime" ? `\0${it.contentType ?? ""}\0${it.encoding ?? ""}\0` : "\0";
  return box("infe", Buffer.concat([head, Buffer.from(strings, "latin1")]));
}

type FoundBox = { at: number; size: number } | undefined;

/**
 * `iref` (version 0) with a `cdsc` reference from each item that describes the primary picture
 * (`pitm`'s), added to those of `old` (or none); null when no item does.
 */
function irefWith(file: Buffer, old: FoundBox, pitm: FoundBox, items: ExtraItem[]): Buffer | null {
  if (!items.some((it) => it.describes === true)) return null;
  if (pitm == null || file[pitm.at + 8] !== 0 || (old != null && file[old.at + 8] !== 0)) throw new Error("no pitm or iref box of version 0");
  const primary = file.readUInt16BE(pitm.at + 12);
  const added = items.flatMap((it, i) => (it.describes === true ? [box("cdsc", Buffer.from([(1000 + i) >> 8, (1000 + i) & 255, 0, 1, primary >> 8, primary & 255]))] : []));
  return box("iref", Buffer.concat([old == null ? Buffer.alloc(4) : file.subarray(old.at + 8, old.at + old.size), ...added]));
}

/**
 * The HEIF/AVIF `file` with `items` more (ids from 1000), their bytes in `tail`, stored in an
 * `mdat` at the end. The `meta` box is rebuilt (`iloc` version 1, 32-bit offsets and lengths), the
 * picture's locations moved by what it grew.
 */
export function heifWithItems(file: Buffer, items: ExtraItem[], tail: Buffer): Buffer {
  const meta = childBoxes(file, 0, file.length).find((x) => x.type === "meta");
  if (meta == null) throw new Error("no meta box");
  const metaEnd = meta.at + meta.size;
  const children = childBoxes(file, meta.at + 12, metaEnd);
  const iinf = children.find((x) => x.type === "iinf");
  const iloc = children.find((x) => x.type === "iloc");
  const iref = children.find((x) => x.type === "iref");
  if (iinf == null || iloc == null || file[iinf.at + 8] !== 0) throw new Error("no iinf (version 0) or iloc box");
  const entries = childBoxes(file, iinf.at + 14, iinf.at + iinf.size).map((e) => file.subarray(e.at, e.at + e.size));
  entries.push(...items.map(infeBox));
  const newIref = irefWith(file, iref, children.find((x) => x.type === "pitm"), items);
  const count = Buffer.alloc(2);
  count.writeUInt16BE(entries.length);
  const newIinf = box("iinf", Buffer.concat([Buffer.alloc(4), count, ...entries]));
  const own = locations(file, iloc);
  const ilocAt = (tailAt: number, shift: number): Buffer => {
    const all: Array<Omit<Location, "lengthFields">> = own.map((l) => ({ ...l, extents: l.extents.map(([at, n]) => [l.method === 0 && at >= metaEnd ? at + shift : at, n]) }));
    for (const [i, it] of items.entries()) all.push({ id: 1000 + i, method: 0, extents: it.extents.map(([at, n]) => [tailAt + at, n]) });
    const parts = [Buffer.from([1, 0, 0, 0, 0x44, 0x00, all.length >> 8, all.length & 255])];
    for (const l of all) {
      const head = Buffer.alloc(8);
      head.writeUInt16BE(l.id, 0);
      head.writeUInt16BE(l.method, 2);
      head.writeUInt16BE(l.extents.length, 6);
      parts.push(head);
      for (const [at, n] of l.extents) {
        const extent = Buffer.alloc(8);
        extent.writeUInt32BE(at, 0);
        extent.writeUInt32BE(n, 4);
        parts.push(extent);
      }
    }
    return box("iloc", Buffer.concat(parts));
  };
  const kept = (c: NonNullable<FoundBox>): Buffer => (c === iref && newIref != null ? newIref : file.subarray(c.at, c.at + c.size));
  const metaWith = (newIloc: Buffer): Buffer =>
    box("meta", Buffer.concat([file.subarray(meta.at + 8, meta.at + 12), ...children.map((c) => (c === iinf ? newIinf : c === iloc ? newIloc : kept(c))), ...(iref == null && newIref != null ? [newIref] : [])]));
  const shift = metaWith(ilocAt(0, 0)).length - meta.size;
  const newMeta = metaWith(ilocAt(file.length + shift + 8, shift));
  return Buffer.concat([file.subarray(0, meta.at), newMeta, file.subarray(metaEnd), box("mdat", tail)]);
}

/**
 * A raw profile as ImageMagick writes one into a PNG text chunk (keyword "Raw profile type exif"):
 * a line naming it, its length, then the bytes in hex, 72 digits a line.
 */
export function rawProfile(name: string, bytes: Buffer): Buffer {
  const hex = bytes.toString("hex").replace(/(.{72})/g, "$1\n");
  return Buffer.from(`\n${name}\n${String(bytes.length).padStart(8)}\n${hex}\n`, "latin1");
}

/**
 * A Canon EXIF block whose maker note holds `n` records of its CameraSettings tag (1), each
 * pointing at `values` SHORT values of its own (48 by default), 2 bytes after the last's
 * (overlapping): ExifTool decodes each as a table of tags. The values follow the records in the
 * note, or (`dataInNote` false) just past the note's end, where ExifTool reads Canon's values too.
 * With `padded`, each record is followed by one of type 0, which ExifTool skips without a word.
 */
export function cameraSettingsExif(n: number, opts: { dataInNote?: boolean; values?: number; padded?: boolean } = {}): Buffer {
  const values = opts.values ?? 48;
  const slot = opts.padded === true ? 2 : 1;
  return canonExif(
    slot * n,
    2 * n + 2 * values,
    (entry, recordAt, dataAt, tiff) => {
      for (let i = 0; i < n; i++) entry(recordAt(slot * i), 1, 3, values, dataAt + 2 * i);
      // Every value the table's length in bytes: its first value is that, which ExifTool checks.
      for (let at = dataAt; at + 2 <= tiff.length; at += 2) tiff.writeUInt16LE((2 * values) & 0xffff, at);
    },
    opts.dataInNote ?? true,
  );
}

/**
 * A Canon EXIF block whose maker note holds `n` records of its ThumbnailImageValidArea tag (0x13),
 * each pointing at `values` SHORT values, 2 bytes after the last's, past the note's end: ExifTool
 * decodes each record's values as numbers, the shared table again for every record.
 */
export function sharedArrayExif(n: number, values: number): Buffer {
  return canonExif(
    n,
    2 * n + 2 * values,
    (entry, recordAt, dataAt) => {
      for (let i = 0; i < n; i++) entry(recordAt(i), 0x13, 3, values, dataAt + 2 * i);
    },
    false,
  );
}

/**
 * A Canon EXIF block whose maker note holds `tables` x `perTable` records of ThumbnailImageValidArea
 * (0x13), each pointing at `values` SHORT values past the note's end, 2 bytes after the previous
 * record's of its table: tables that do not overlap, each shared by its records. They lie past 1.3
 * MB of zeros so that the high half of their offsets names no TIFF type: the note's bytes read at
 * another alignment then form no records (`values` below 65,536 for the same reason).
 */
export function sharedTablesExif(tables: number, perTable: number, values: number): Buffer {
  const pad = 0x140000;
  const stride = 2 * values + 2 * perTable;
  return canonExif(
    tables * perTable,
    pad + tables * stride,
    (entry, recordAt, dataAt) => {
      for (let t = 0; t < tables; t++) {
        for (let j = 0; j < perTable; j++) entry(recordAt(t * perTable + j), 0x13, 3, values, dataAt + pad + t * stride + 2 * j);
      }
    },
    false,
  );
}

/** A Photoshop image resource block ('8BIM', `id`, no name, `data` padded to an even length). */
export function photoshopResource(id: number, data: Buffer): Buffer {
  const head = Buffer.alloc(12);
  head.write("8BIM", 0, "latin1");
  head.writeUInt16BE(id, 4);
  head.writeUInt32BE(data.length, 8);
  return Buffer.concat([head, data, Buffer.alloc(data.length % 2)]);
}

/** Photoshop's EXIF resource id (EXIFInfo). */
export const EXIF_RESOURCE = 0x0422;
