import fs from "node:fs/promises";
import path from "node:path";
import { makePsd } from "./make-formats.js";

/**
 * Photoshop documents with additional layer information planted by hand into ImageMagick's
 * layered PSD (which writes none of its own): blocks appended to each layer record, and global
 * blocks after the global layer mask, with every length on the way rewritten.
 */

/** A tagged block of additional layer information: "8BIM", key, length, data padded to four bytes. */
export function layerBlock(key: string, data: Buffer): Buffer {
  const head = Buffer.alloc(12);
  head.write("8BIM", 0, "latin1");
  head.write(key, 4, "latin1");
  const pad = (4 - (data.length % 4)) % 4;
  head.writeUInt32BE(data.length + pad, 8);
  return Buffer.concat([head, data, Buffer.alloc(pad)]);
}

const u32 = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
};
const u64 = (n: number): Buffer => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(n));
  return b;
};
/** A Unicode string as Photoshop writes it: a count of UTF-16 units, then the units, big-endian. */
export const unicode = (text: string): Buffer => Buffer.concat([u32(text.length), Buffer.from(text, "utf16le").swap16()]);
/** A descriptor's class or key id: a length and the text (0 and four characters for a short one). */
export const id = (text: string): Buffer =>
  text.length === 4 ? Buffer.concat([u32(0), Buffer.from(text, "latin1")]) : Buffer.concat([u32(text.length), Buffer.from(text, "latin1")]);

/** A value of any type, as its four-character type and its bytes. */
export interface Typed {
  type: string;
  data: Buffer;
}
export type DescriptorValue = string | number | { long: number } | Typed;

/** A descriptor's body (no version): name, class id, then keyed items of typed values. */
export function descriptorBody(classId: string, items: Array<[string, DescriptorValue]>): Buffer {
  const parts = [unicode(""), id(classId), u32(items.length)];
  for (const [key, value] of items) {
    const t = typed(value);
    parts.push(id(key), Buffer.from(t.type, "latin1"), t.data);
  }
  return Buffer.concat(parts);
}

/** A descriptor (version 16 first) of TEXT, doub, long and other typed items. */
export function descriptor(classId: string, items: Array<[string, DescriptorValue]>): Buffer {
  return Buffer.concat([u32(16), descriptorBody(classId, items)]);
}

function typed(value: DescriptorValue): Typed {
  if (typeof value === "string") return { type: "TEXT", data: unicode(value) };
  if (typeof value === "number") {
    const d = Buffer.alloc(8);
    d.writeDoubleBE(value);
    return { type: "doub", data: d };
  }
  if ("long" in value) return { type: "long", data: u32(value.long) };
  return value;
}

/** A list (`VlLs`) or reference (`obj `) of typed values. */
export function list(type: "VlLs" | "obj ", values: DescriptorValue[]): Typed {
  return { type, data: Buffer.concat([u32(values.length), ...values.map(typed).map((t) => Buffer.concat([Buffer.from(t.type, "latin1"), t.data]))]) };
}

/**
 * A layer's metadata setting (`shmd`) as Photoshop CS5+ writes it: one `cust` item whose
 * descriptor holds `layerTime` (ExifTool's LayerModifyDates), here with `extra` text beside it.
 */
export function layerTimes(seconds: number, extra: string): Buffer {
  const data = descriptor("metadata", [["layerTime", seconds], ["layerXMP", extra]]);
  const item = Buffer.concat([Buffer.from("8BIMcust", "latin1"), Buffer.alloc(4), u32(data.length), data, Buffer.alloc((4 - (data.length % 4)) % 4)]);
  return layerBlock("shmd", Buffer.concat([u32(1), item]));
}

/**
 * A smart object's file embedded whole (`lnk2`, one `liFD` item of version 7): unique id, the
 * original file name, file type, a descriptor of how to open it (`open`, with its version) when
 * given, the file's bytes, the id of the document it came from, its
 * modification time and locked state.
 */
export function embeddedFile(uniqueId: string, name: string, fileType: string, file: Buffer, documentId: string, open?: Buffer): Buffer {
  const time = Buffer.alloc(8);
  time.writeDoubleBE(1_700_000_000);
  const item = Buffer.concat([
    Buffer.from("liFD", "latin1"), u32(7), Buffer.from([uniqueId.length]), Buffer.from(uniqueId, "latin1"), unicode(name),
    Buffer.from(fileType, "latin1"), Buffer.from("    ", "latin1"), u64(file.length), open == null ? Buffer.from([0]) : Buffer.concat([Buffer.from([1]), open]), file,
    unicode(documentId), time, Buffer.from([0]),
  ]);
  return Buffer.concat([u64(item.length), item, Buffer.alloc((4 - (item.length % 4)) % 4)]);
}

/** A link to a file outside the document (`lnkE` item `liFE`): the file's full path on the author's disk, in a descriptor. */
export function externalFile(uniqueId: string, fullPath: string): Buffer {
  const item = Buffer.concat([
    Buffer.from("liFE", "latin1"), u32(2), Buffer.from([uniqueId.length]), Buffer.from(uniqueId, "latin1"), unicode(path.basename(fullPath)),
    Buffer.from("JPEG    ", "latin1"), u64(0), Buffer.from([0]), descriptor("ExternalFileLink", [["fullPath", fullPath], ["relPath", fullPath]]), u64(0),
  ]);
  return Buffer.concat([u64(item.length), item, Buffer.alloc((4 - (item.length % 4)) % 4)]);
}

/** The byte offsets of an ImageMagick PSD's layer records' extra data and of the layer and mask section (no global mask, no blocks). */
interface Layout {
  sectionAt: number;
  infoAt: number;
  /** Each record's extra-data length field and where that data ends. */
  records: Array<{ lengthAt: number; end: number }>;
  sectionEnd: number;
}

function layout(psd: Buffer): Layout {
  const resourcesAt = 26 + 4 + psd.readUInt32BE(26);
  const sectionAt = resourcesAt + 4 + psd.readUInt32BE(resourcesAt);
  const sectionEnd = sectionAt + 4 + psd.readUInt32BE(sectionAt);
  const infoAt = sectionAt + 4;
  const records: Layout["records"] = [];
  let at = infoAt + 6;
  for (let i = Math.abs(psd.readInt16BE(infoAt + 4)); i > 0; i--) {
    const blend = at + 18 + 6 * psd.readUInt16BE(at + 16);
    const end = blend + 16 + psd.readUInt32BE(blend + 12);
    records.push({ lengthAt: blend + 12, end });
    at = end;
  }
  return { sectionAt, infoAt, records, sectionEnd };
}

/** `psd` with `perLayer(i)` appended to layer i's record and `global` after the global layer mask. */
export function withLayerBlocks(psd: Buffer, perLayer: (i: number) => Buffer, global: Buffer): Buffer {
  const l = layout(psd);
  const parts: Buffer[] = [];
  let at = 0;
  let added = 0;
  const lengths: Array<[number, number]> = [];
  for (const [i, r] of l.records.entries()) {
    const extra = perLayer(i);
    parts.push(psd.subarray(at, r.end), extra);
    lengths.push([r.lengthAt + added, psd.readUInt32BE(r.lengthAt) + extra.length]);
    added += extra.length;
    at = r.end;
  }
  const inRecords = added;
  parts.push(psd.subarray(at, l.sectionEnd), global, psd.subarray(l.sectionEnd));
  added += global.length;
  const out = Buffer.concat(parts);
  for (const [where, n] of lengths) out.writeUInt32BE(n, where);
  // ImageMagick's layer info length counts a byte it does not write (its empty global mask's
  // length ends the section): the length is set to what the layer info holds.
  out.writeUInt32BE(l.sectionEnd - 4 - (l.infoAt + 4) + inRecords, l.infoAt);
  out.writeUInt32BE(psd.readUInt32BE(l.sectionAt) + added, l.sectionAt);
  return out;
}

/** `makePsd`'s layered document with `perLayer` and `global` blocks planted (see withLayerBlocks). */
export async function makeLayeredPsd(dir: string, marker: string, perLayer: (i: number) => Buffer, global: Buffer): Promise<string> {
  const file = await makePsd(dir, marker);
  const out = path.join(dir, "layered.psd");
  await fs.writeFile(out, withLayerBlocks(await fs.readFile(file), perLayer, global));
  return out;
}

/**
 * A layered document as Photoshop CS5+ and a placed photo leave it: each layer's modification
 * time beside `marker`, and `jpeg` embedded whole as a smart object's file, under a name and a
 * source document id holding the marker; the first layer is the placed one, its settings linking
 * to the file by a time-based id (as Photoshop for macOS writes them).
 */
export async function makeSmartObjectPsd(dir: string, marker: string, jpeg: Buffer): Promise<string> {
  const fileId = "c3f4ac09-178b-11e2-96eb-baebb78cce04";
  const placed = layerBlock("lnk2", embeddedFile(fileId, `${marker}.jpg`, "JPEG", jpeg, `xmp.did:${marker}`));
  const layer = (i: number): Buffer => layerTimes(1_337_000_000 + i, `${marker} layer ${i}`);
  return makeLayeredPsd(dir, marker, (i) => (i === 0 ? Buffer.concat([layer(i), placedLayer(fileId, "c3f4ac08-178b-11e2-96eb-baebb78cce04", [])]) : layer(i)), placed);
}

/**
 * A placed (smart object) layer's settings as Photoshop writes them: `SoLd` (type, version 4, a
 * descriptor with the embedded file's id `Idnt`, the placing's id `placed`, pages, the transform,
 * `extra` items) and the older `PlLd` (type, version 3, the same id as a Pascal string, pages,
 * anti-aliasing, layer type, the transform, a warp descriptor).
 */
export function placedLayer(fileId: string, placedId: string, extra: Array<[string, DescriptorValue]>): Buffer {
  const corners = [0, 0, 64, 0, 64, 48, 0, 48];
  const warp = descriptor("warp", [["warpStyle", { type: "enum", data: Buffer.concat([id("warpStyle"), id("warpNone")]) }], ["warpValue", 0]]);
  const settings = descriptor("null", [
    ["Idnt", `${fileId}\0`], ["placed", `${placedId}\0`], ["PgNm", { long: 1 }], ["totalPages", { long: 1 }],
    ["Trnf", list("VlLs", corners)], ["warp", { type: "Objc", data: warp.subarray(4) }], ...extra,
  ]);
  const doubles = Buffer.concat(corners.map((n) => {
    const d = Buffer.alloc(8);
    d.writeDoubleBE(n);
    return d;
  }));
  const older = Buffer.concat([Buffer.from("plcL", "latin1"), u32(3), Buffer.from([fileId.length]), Buffer.from(fileId, "latin1"), u32(1), u32(1), u32(16), u32(2), doubles, u32(0), warp]);
  return Buffer.concat([layerBlock("SoLd", Buffer.concat([Buffer.from("soLD", "latin1"), u32(4), settings])), layerBlock("PlLd", older)]);
}
