import fsp from "node:fs/promises";
import { BigEndianFields } from "../big-endian-fields.js";
import { allZero, type Part, parts, topLevelBoxes, zero } from "./iso-parts.js";

/**
 * Whether a cleaned HEIC/HEIF/AVIF is made only of boxes from which ExifTool can read nothing but
 * the file's structure, so that its re-read could report nothing the HEIF cleaner's
 * `isStructural` would not leave out: then verification may skip it. A walk of its own (not
 * heif-boxes.ts): at the top level only `ftyp` (its major brand naming `fileType`), one `meta`,
 * `mdat` and `free`/`skip` boxes of zeros; in `meta` a blank picture handler, the primary item,
 * item locations, information and references, item properties, `idat` and a `dinf` saying the
 * data is all in this file, each parsed to its last byte. Items are pictures (HEVC, AV1, grids, overlays, derived) with no name; the Exif and
 * XMP items ExifTool's `-all=` leaves behind must have no data left. Properties are the codec
 * configuration (parameter sets only), size, pixel depth, an `nclx` colour, rotation, mirroring,
 * an AV1 picture's layers, HDR mastering and light levels, an auxiliary-picture URN, the camera
 * properties of Apple's spatial photos (`uuid` boxes of three known UUIDs, numbers only), and the
 * zeroed `free` boxes an ICC profile becomes. Groups (`grpl`) are of alternatives or a stereo pair,
 * ids only.
 *
 * Anything else (a `moov` image sequence, any other `uuid` box, a named or unknown item, a property not
 * listed, a kept ICC profile, bytes past a box's fields) does not hold, and the file gets the
 * full re-read.
 */
export async function heifShapeHolds(file: string, fileType: string): Promise<boolean> {
  const fh = await fsp.open(file, "r");
  try {
    const boxes = await topLevelBoxes(fh);
    if (boxes == null) return false;
    let meta: Buffer | null = null;
    for (const [count, { type, at, header, length }] of boxes.entries()) {
      if (count === 0) {
        if (type !== "ftyp" || length > 256) return false;
        const ftyp = Buffer.alloc(length);
        await fh.read(ftyp, 0, length, at);
        if (!ftypHolds(ftyp.subarray(header), fileType)) return false;
      } else if (type === "meta") {
        if (meta != null || length > MAX_META) return false;
        meta = Buffer.alloc(length - header);
        await fh.read(meta, 0, meta.length, at + header);
      } else if (type === "free" || type === "skip") {
        if (!(await allZero(fh, at + header, at + length))) return false;
      } else if (type !== "mdat") return false;
    }
    return meta != null && metaHolds(meta);
  } finally {
    await fh.close();
  }
}

const MAX_META = 16 * 1024 * 1024;

/** The major brands ExifTool names each type by (others: re-read). */
const BRANDS: Readonly<Record<string, string>> = { HEIC: "heic", HEIF: "mif1", AVIF: "avif" };

function ftypHolds(p: Buffer, fileType: string): boolean {
  return p.length >= 8 && p.length % 4 === 0 && p.toString("latin1", 0, 4) === BRANDS[fileType];
}

/** Item types whose data is picture coding, which ExifTool does not read. */
const PICTURE_ITEMS = new Set(["hvc1", "av01", "grid", "iovl", "iden"]);
/** What ExifTool's `-all=` leaves of the metadata items: their entries, with no data. */
const EMPTIED_ITEMS: Readonly<Record<string, string | null>> = { Exif: null, mime: "application/rdf+xml" };

/** A `dinf` payload of one `dref` with one `url ` entry of flag 1 (the data is in this file) and no location: what iPhones write. */
const SELF_CONTAINED = Buffer.from("0000001c6472656600000000000000010000000c75726c2000000001", "hex");

function metaHolds(buf: Buffer): boolean {
  if (buf.length < 4 || buf.readUInt32BE(0) !== 0) return false;
  const children = parts(buf, 4, buf.length);
  if (children == null) return false;
  const seen = new Map<string, number>();
  let items: Map<number, string> | null = null;
  let lengths: Map<number, number> | null = null;
  for (const c of children) {
    seen.set(c.type, (seen.get(c.type) ?? 0) + 1);
    if (c.type === "hdlr") {
      if (!pictureHandler(buf, c)) return false;
    } else if (c.type === "pitm") {
      if (!fullBoxOf(buf, c, (f, v) => f.uint(v === 0 ? 2 : 4) != null && f.done)) return false;
    } else if (c.type === "iinf") {
      items = itemTypes(buf, c);
      if (items == null) return false;
    } else if (c.type === "iloc") {
      lengths = itemLengths(buf, c);
      if (lengths == null) return false;
    } else if (c.type === "iref") {
      if (!referencesHold(buf, c)) return false;
    } else if (c.type === "iprp") {
      if (!propertiesHold(buf, c)) return false;
    } else if (c.type === "grpl") {
      if (!groupsHold(buf, c)) return false;
    } else if (c.type === "free" || c.type === "skip") {
      if (!zero(buf, c.from, c.to)) return false;
    } else if (c.type === "dinf") {
      if (!buf.subarray(c.from, c.to).equals(SELF_CONTAINED)) return false;
    } else if (c.type !== "idat") return false;
  }
  if ([...seen].some(([type, n]) => n > 1 && type !== "free" && type !== "skip")) return false;
  if (items == null || lengths == null || seen.get("hdlr") !== 1 || seen.get("pitm") !== 1) return false;
  for (const [id, type] of items) if (!PICTURE_ITEMS.has(type) && (lengths.get(id) ?? 0) !== 0) return false;
  return true;
}

/** A full box of version 0 or 1 whose fields `read` accounts for to its last byte. */
function fullBoxOf(buf: Buffer, p: Part, read: (f: BigEndianFields, version: number) => boolean): boolean {
  if (p.to - p.from < 4 || buf[p.from]! > 1) return false;
  return read(new BigEndianFields(buf, p.from + 4, p.to), buf[p.from]!);
}

/** `hdlr` of type `pict` whose reserved fields and name are blank. */
function pictureHandler(buf: Buffer, p: Part): boolean {
  return p.to - p.from >= 13 && buf.toString("latin1", p.from + 8, p.from + 12) === "pict" && zero(buf, p.from, p.from + 8) && zero(buf, p.from + 12, p.to);
}

/** Item id -> type, when every entry is a version 2/3 `infe` without a name and of a known type. */
function itemTypes(buf: Buffer, p: Part): Map<number, string> | null {
  if (p.to - p.from < 6 || buf[p.from]! > 1) return null;
  const countSize = buf[p.from] === 0 ? 2 : 4;
  const count = buf.readUIntBE(p.from + 4, countSize);
  const entries = parts(buf, p.from + 4 + countSize, p.to);
  if (entries?.length !== count) return null;
  const items = new Map<number, string>();
  for (const e of entries) {
    if (e.type !== "infe" || e.to - e.from < 4) return null;
    const version = buf[e.from]!;
    if (version !== 2 && version !== 3) return null;
    const f = new BigEndianFields(buf, e.from + 4, e.to);
    const id = f.uint(version === 2 ? 2 : 4);
    const protection = f.uint(2);
    if (id == null || protection !== 0 || e.from + 4 + (version === 2 ? 8 : 10) > e.to) return null;
    const type = buf.toString("latin1", f.at, f.at + 4);
    f.at += 4;
    if (f.text() !== "") return null;
    if (type in EMPTIED_ITEMS) {
      const contentType = EMPTIED_ITEMS[type];
      if (contentType != null && (f.text() !== contentType || !(f.done || (f.text() === "" && f.done)))) return null;
    } else if (!PICTURE_ITEMS.has(type)) return null;
    if (!f.done || items.has(id)) return null;
    items.set(id, type);
  }
  return items;
}

/** Item id -> total length of its extents, when `iloc` parses to its last byte. */
function itemLengths(buf: Buffer, p: Part): Map<number, number> | null {
  if (p.to - p.from < 6 || buf[p.from]! > 2) return null;
  const version = buf[p.from]!;
  const f = new BigEndianFields(buf, p.from + 4, p.to);
  const sizes = f.uint(2)!;
  const [offsetSize, lengthSize, baseSize, indexSize] = [sizes >> 12, (sizes >> 8) & 15, (sizes >> 4) & 15, version === 0 ? 0 : sizes & 15];
  if (![offsetSize, lengthSize, baseSize, indexSize].every((n) => n === 0 || n === 4 || n === 8)) return null;
  const count = f.uint(version < 2 ? 2 : 4);
  if (count == null) return null;
  const lengths = new Map<number, number>();
  for (let i = 0; i < count; i++) {
    const id = f.uint(version < 2 ? 2 : 4);
    if (id == null || lengths.has(id)) return null;
    if (version > 0 && f.uint(2) == null) return null; // construction method
    if (f.uint(2) == null || f.uint(baseSize) == null) return null; // data reference, base offset
    const extents = f.uint(2);
    if (extents == null) return null;
    let total = 0;
    for (let e = 0; e < extents; e++) {
      if (f.uint(indexSize) == null || f.uint(offsetSize) == null) return null;
      const length = f.uint(lengthSize);
      if (length == null) return null;
      // The standard reads a length of 0 as "all the data"; ExifTool reads 0 bytes (what it
      // writes for the items its `-all=` empties), and its reading is what this stands in for.
      total += length;
    }
    lengths.set(id, total);
  }
  return f.done ? lengths : null;
}

const REFERENCES = new Set(["thmb", "cdsc", "auxl", "dimg", "prem", "base"]);

function referencesHold(buf: Buffer, p: Part): boolean {
  return fullBoxOf(buf, p, (_f, version) => {
    const refs = parts(buf, p.from + 4, p.to);
    const idSize = version === 0 ? 2 : 4;
    return (
      refs != null &&
      refs.every((r) => {
        if (!REFERENCES.has(r.type)) return false;
        const f = new BigEndianFields(buf, r.from, r.to);
        if (f.uint(idSize) == null) return false;
        const n = f.uint(2);
        return n != null && r.to - f.at === n * idSize;
      })
    );
  });
}

function propertiesHold(buf: Buffer, p: Part): boolean {
  const children = parts(buf, p.from, p.to);
  if (children == null || children.filter((c) => c.type === "ipco").length !== 1) return false;
  return children.every((c) => (c.type === "ipco" ? parts(buf, c.from, c.to)?.every((q) => propertyHolds(buf, q)) === true : c.type === "ipma" && associationsHold(buf, c)));
}

function associationsHold(buf: Buffer, p: Part): boolean {
  if (p.to - p.from < 8 || buf[p.from]! > 1) return false;
  const wide = (buf[p.from + 3]! & 1) === 1;
  const f = new BigEndianFields(buf, p.from + 4, p.to);
  const count = f.uint(4)!;
  for (let i = 0; i < count; i++) {
    if (f.uint(buf[p.from] === 0 ? 2 : 4) == null) return false;
    const n = f.uint(1);
    if (n == null || f.uint(n * (wide ? 2 : 1)) == null) return false;
  }
  return f.done;
}

const AUX_URN = /^urn:[\w:.\-]{1,120}$/;

function propertyHolds(buf: Buffer, q: Part): boolean {
  const n = q.to - q.from;
  switch (q.type) {
    case "hvcC":
      return parameterSetsOnly(buf, q);
    case "av1C":
      return n === 4;
    case "ispe":
      return n === 12 && zero(buf, q.from, q.from + 4);
    case "pixi":
      return n >= 5 && zero(buf, q.from, q.from + 4) && n === 5 + buf[q.from + 4]!;
    case "colr":
      return n === 11 && buf.toString("latin1", q.from, q.from + 4) === "nclx" && (buf[q.from + 10]! & 0x7f) === 0;
    case "irot":
    case "imir":
      return n === 1 && (buf[q.from]! & 0xfc) === 0;
    case "a1op":
      return n === 1;
    case "lsel":
      return n === 2;
    case "a1lx":
      return n === 1 + 3 * ((buf[q.from]! & 1) === 1 ? 4 : 2) && (buf[q.from]! & 0xfe) === 0;
    case "mdcv":
      return n === 24;
    case "clli":
      return n === 4;
    case "auxC": {
      if (n < 5 || !zero(buf, q.from, q.from + 4)) return false;
      const f = new BigEndianFields(buf, q.from + 4, q.to);
      const urn = f.text();
      return urn != null && AUX_URN.test(urn) && zero(buf, f.at, q.to);
    }
    case "free":
    case "skip":
      return zero(buf, q.from, q.to);
    case "uuid":
      return cameraPropertyHolds(buf, q);
    default:
      return false;
  }
}

/**
 * The camera properties of Apple's spatial photos (the later `cmin`, `cmex`), by UUID: the
 * flags each may have, and the length of the fields those flags call for, version and flags
 * included (the disparity adjustment is a bare 32-bit number).
 */
const CAMERA_UUIDS: Readonly<Record<string, { flags: number; length: (flags: number) => number }>> = {
  "22cc04c7d6d94e079d904eb6ecbaf3a3": { flags: 0x1f1f01, length: (flags) => (flags & 1 ? 24 : 16) },
  "4363e9145b7d4aab97aebea69803b434": {
    flags: 0x3f,
    length: (flags) => 4 + (flags & 1 ? 4 : 0) + (flags & 2 ? 4 : 0) + (flags & 4 ? 4 : 0) + (flags & 8 ? (flags & 16 ? 12 : 6) : 0) + (flags & 32 ? 4 : 0),
  },
};
const DISPARITY_UUID = "de22508536cb436587432f8705e7c78a";

function cameraPropertyHolds(buf: Buffer, q: Part): boolean {
  if (q.to - q.from < 20) return false;
  const uuid = buf.toString("hex", q.from, q.from + 16);
  const fields = q.from + 16;
  if (uuid === DISPARITY_UUID) return fieldsThenZeros(buf, fields + 4, q.to);
  const known = CAMERA_UUIDS[uuid];
  if (known == null || buf[fields] !== 0) return false;
  const flags = buf.readUIntBE(fields + 1, 3);
  return (flags & ~known.flags) === 0 && fieldsThenZeros(buf, fields + known.length(flags), q.to);
}

/**
 * The fields end at `end` or before `to`, and zeros follow them: ExifTool's re-read cannot tell
 * these properties from any other `uuid` box, so this walk stands alone for them, and a tail the
 * cleaner zeroed must not send the file to a re-read that would refuse it.
 */
function fieldsThenZeros(buf: Buffer, end: number, to: number): boolean {
  return end <= to && zero(buf, end, to);
}

/** Entity groups made only of ids: alternatives (`altr`) and a stereo pair (`ster`). */
const ENTITY_GROUPS = new Set(["altr", "ster"]);

/** `grpl`: groups of version 0 and no flags, each its id, its count of entities and their ids, to its last byte. */
function groupsHold(buf: Buffer, p: Part): boolean {
  const groups = parts(buf, p.from, p.to);
  return (
    groups != null &&
    groups.every((g) => {
      if (!ENTITY_GROUPS.has(g.type) || g.to - g.from < 12 || !zero(buf, g.from, g.from + 4)) return false;
      return g.to - g.from === 12 + 4 * buf.readUInt32BE(g.from + 8);
    })
  );
}

/** An `hvcC` whose arrays hold only VPS, SPS and PPS units (no SEI, which can carry user data). */
function parameterSetsOnly(buf: Buffer, q: Part): boolean {
  if (q.to - q.from < 23) return false;
  const f = new BigEndianFields(buf, q.from + 22, q.to);
  const arrays = f.uint(1)!;
  for (let i = 0; i < arrays; i++) {
    const kind = f.uint(1);
    if (kind == null || ![32, 33, 34].includes(kind & 0x3f)) return false;
    const units = f.uint(2);
    if (units == null) return false;
    for (let u = 0; u < units; u++) {
      const length = f.uint(2);
      if (length == null || f.at + length > q.to) return false;
      f.at += length;
    }
  }
  return f.done;
}
