import { proveDib, tableEnd } from "./metafile-proof-dib.js";
import { emfBitmaps, emfSpans, outsideZero, zero } from "./metafile-proof-emf.js";
import { emfPlusRecordSpans, proveEmfPlusObjects } from "./metafile-proof-emf-plus.js";
import { wmfBitmap16, wmfDib, wmfSpans } from "./metafile-proof-wmf.js";
import { ProofReader } from "./reader.js";
import type { ProofFailure } from "./shared.js";

/** Drawings larger than the cleaner takes are not walked. */
const MAX_BYTES = 64 * 1024 * 1024;
const EMR_HEADER = 1;
const EMR_EOF = 14;
const EMR_COMMENT = 70;
const EMF_SIGNATURE = 0x464d4520;
const EMF_PLUS = 0x2b464d45;
const GDI_COMMENT = 0x43494447;
const BEGIN_GROUP = 2;
const END_GROUP = 3;
const EMF_PLUS_COMMENT = 0x4003;
const NEUTRAL_ID = 0x6f52657a;
const PLACEABLE_KEY = 0x9ac6cdd7;
const META_ESCAPE = 0x0626;
const MFCOMMENT = 0x000f;


/**
 * Proves a cleaned EMF or WMF holds nothing but drawing, by walking its records with code of its
 * own ([MS-EMF], [MS-EMFPLUS], [MS-WMF]): every record of a type readers draw from (its own list,
 * metafile-proof-emf.ts and metafile-proof-wmf.ts), every byte past a record's fields zero, the
 * EMF header's description empty, every private comment, EMF+ comment and public comment other
 * than a group's bounds zeros, every EMF+ record of a known type with nothing past its fields (its
 * objects' too: metafile-proof-emf-plus.ts), every WMF escape a comment of
 * zeros, the header's counts those of the records there, and nothing after the end-of-file
 * record. ExifTool reads neither format, so without this walk nothing would look. Null when the
 * proof holds, else what broke it.
 */
export function proveMetafile(file: string): Promise<ProofFailure | null> {
  return ProofReader.use(file, async (r) => {
    if (r.size > MAX_BYTES) return "too large to walk";
    const b = await r.bytes(0, r.size);
    if (b == null) return "unreadable";
    return b.length >= 88 && b.readUInt32LE(0) === EMR_HEADER && b.readUInt32LE(40) === EMF_SIGNATURE ? emf(b) : wmf(b);
  });
}

function emf(b: Buffer): ProofFailure | null {
  let count = 0;
  for (let at = 0; at + 8 <= b.length; ) {
    const type = b.readUInt32LE(at);
    const size = b.readUInt32LE(at + 4);
    if (size < 8 || at + size > b.length) return `an EMF record runs past the end at ${at}`;
    const record = b.subarray(at, at + size);
    const failure = at === 0 ? header(record) : type === EMR_COMMENT ? comment(record) : type === EMR_EOF ? eof(record) : known(type, record);
    if (failure != null) return `${failure} (record at ${at})`;
    count++;
    at += size;
    if (type === EMR_EOF) {
      if (at !== b.length) return "bytes after the EMF's end";
      if (b.readUInt32LE(48) !== b.length || b.readUInt32LE(52) !== count) return "the EMF header's byte or record count";
      return proveEmfPlusObjects(b);
    }
  }
  return "no EMF end-of-file record";
}

function known(type: number, record: Buffer): ProofFailure | null {
  const spans = emfSpans(type, record);
  if (spans == null) return `an EMF record of type ${type}, which no reader draws`;
  const failure = outsideZero(record, spans, `an EMF record of type ${type}`);
  if (failure != null) return failure;
  for (const [at, usageAt] of emfBitmaps(type)) {
    const [info, infoSize, bits, bitsSize] = [0, 4, 8, 12].map((i) => record.readUInt32LE(at + i)) as [number, number, number, number];
    const bitmap = proveDib(record.subarray(info, info + infoSize), record.subarray(bits, bits + bitsSize), usageAt == null ? 0 : record.readUInt32LE(usageAt));
    if (bitmap != null) return `${bitmap} (an EMF record of type ${type})`;
  }
  return null;
}

function header(r: Buffer): ProofFailure | null {
  if (r.length < 88) return "a short EMF header";
  const chars = r.readUInt32LE(60);
  const offset = r.readUInt32LE(64);
  if (chars > 0 && !zero(r.subarray(offset, offset + 2 * chars))) return "the EMF header's description";
  const end = Math.min(r.length, chars > 0 ? offset : r.length);
  const spans: Array<readonly [number, number]> = [[0, 88], [offset, offset + 2 * chars]];
  if (end >= 100) {
    const pixelFormat: readonly [number, number] = [r.readUInt32LE(92), r.readUInt32LE(92) + r.readUInt32LE(88)];
    spans.push(pixelFormat, [0, Math.min(end, r.readUInt32LE(88) > 0 ? pixelFormat[0] : end) >= 108 ? 108 : 100]);
  }
  return outsideZero(r, spans, "the EMF header");
}

function eof(r: Buffer): ProofFailure | null {
  if (r.length < 20) return "a short EMF end-of-file record";
  const palette = r.readUInt32LE(12);
  return outsideZero(r, [[0, 16], [palette, palette + 4 * r.readUInt32LE(8)], [r.length - 4, r.length]], "the EMF end-of-file record");
}

/** An EMF comment: EMF+ records of known types with empty comments, a group's head, or zeros. */
function comment(r: Buffer): ProofFailure | null {
  if (r.length < 12) return "a short EMF comment";
  const size = r.readUInt32LE(8);
  if (12 + size > r.length || !zero(r.subarray(12 + size))) return "bytes past an EMF comment's data";
  const data = r.subarray(12, 12 + size);
  const id = data.length >= 4 ? data.readUInt32LE(0) : 0;
  if (id === EMF_PLUS) return emfPlus(data.subarray(4));
  if (id === GDI_COMMENT && data.length >= 8) {
    const kind = data.readUInt32LE(4);
    if (kind === BEGIN_GROUP) return data.length >= 28 && zero(data.subarray(28)) ? null : "a comment group's description";
    if (kind === END_GROUP) return zero(data.subarray(8)) ? null : "bytes in a comment group's end";
    return zero(data.subarray(8)) ? null : "a public EMF comment";
  }
  // A private comment keeps only the id the cleaner gives it ("zeRo").
  return zero(data) || (id === NEUTRAL_ID && zero(data.subarray(4))) ? null : "a private EMF comment";
}

function emfPlus(records: Buffer): ProofFailure | null {
  let at = 0;
  for (; at + 12 <= records.length; ) {
    const type = records.readUInt16LE(at);
    const size = records.readUInt32LE(at + 4);
    const data = records.readUInt32LE(at + 8);
    if (size < 12 || at + size > records.length || 12 + data > size) return "an EMF+ record runs past its comment";
    if (type < 0x4001 || type > 0x403a || (type >= 0x4005 && type <= 0x4007)) return `an EMF+ record of type 0x${type.toString(16)}, which no reader draws`;
    if (!zero(records.subarray(at + 12 + Math.min(data, emfPlusReads(type, records.readUInt16LE(at + 2)) ?? data), at + size))) return "bytes past an EMF+ record's data";
    if (type === EMF_PLUS_COMMENT && !zero(records.subarray(at + 12, at + size))) return "an EMF+ comment";
    const spans = emfPlusRecordSpans(type, records.readUInt16LE(at + 2), records.subarray(at + 12, at + 12 + data));
    const failure = spans == null ? null : outsideZero(records.subarray(at + 12, at + 12 + data), spans, `an EMF+ record of type 0x${type.toString(16)}`);
    if (failure != null) return failure;
    at += size;
  }
  return at === records.length ? null : "bytes after an EMF comment's EMF+ records";
}

/** What an EMF+ record of a fixed-length type reads of its data ([MS-EMFPLUS] 2.3), written apart from the cleaner's; undefined when its data runs on. */
function emfPlusReads(type: number, flags: number): number | undefined {
  const rect = flags & 0x4000 ? 8 : 16;
  if ([0x4002, 0x4004, 0x401e, 0x401f, 0x4020, 0x4021, 0x4022, 0x4023, 0x4024, 0x402b, 0x4031, 0x4033, 0x4034].includes(type)) return 0;
  if ([0x4009, 0x4013, 0x4014, 0x4015, 0x4025, 0x4026, 0x4028, 0x4029, 0x402f, 0x4030].includes(type)) return 4;
  if ([0x401d, 0x402d, 0x402e, 0x4035].includes(type)) return 8;
  const sizes: Record<number, number> = { 0x4001: 16, 0x4032: 16, 0x402a: 24, 0x402c: 24, 0x4027: 36, 0x400e: 4 + rect, 0x400f: rect, 0x4010: 12 + rect, 0x4011: 8 + rect, 0x4012: 8 + rect, 0x401a: 24 + rect };
  return sizes[type];
}

function wmf(b: Buffer): ProofFailure | null {
  const start = b.length >= 22 && b.readUInt32LE(0) === PLACEABLE_KEY ? 22 : 0;
  if (start > 0 && (b.readUInt16LE(4) !== 0 || b.readUInt32LE(16) !== 0)) return "the placeable header's reserved words";
  if (start + 18 > b.length || b.readUInt16LE(start + 2) !== 9) return "no WMF header";
  if (b.readUInt16LE(start + 16) !== 0) return "the WMF header's unused count";
  for (let at = start + 18; at + 6 <= b.length; ) {
    const size = b.readUInt32LE(at) * 2;
    const fn = b.readUInt16LE(at + 4);
    if (fn === 0) {
      if (at + 6 !== b.length) return "bytes after the WMF's end";
      return b.readUInt32LE(start + 6) * 2 === b.length - start ? null : "the WMF header's size";
    }
    if (size < 6 || at + size > b.length) return `a WMF record runs past the end at ${at}`;
    const record = b.subarray(at, at + size);
    if (fn === META_ESCAPE) {
      if (size < 10 || record.readUInt16LE(6) !== MFCOMMENT) return "a WMF escape other than a comment";
      if (!zero(record.subarray(10))) return "a WMF comment";
    } else {
      const spans = wmfSpans(fn, record);
      if (spans == null) return `a WMF record of function 0x${fn.toString(16)}, which no reader draws`;
      const failure = outsideZero(record, spans, `a WMF record of function 0x${fn.toString(16)}`);
      if (failure != null) return failure;
      const dib = wmfDib(fn, record);
      const bitmap = dib == null ? null : packedDib(record.subarray(dib.at), dib.usage);
      const bitmap16 = wmfBitmap16(fn, record);
      if (bitmap16 != null) return `${bitmap16} (a WMF record of function 0x${fn.toString(16)})`;
      if (bitmap != null) return `${bitmap} (a WMF record of function 0x${fn.toString(16)})`;
    }
    at += size;
  }
  return "no WMF end-of-file record";
}

/** A packed DIB: its header and colour table, then its bits, split where the header says the table ends. */
function packedDib(dib: Buffer, usage: number): ProofFailure | null {
  const size = dib.length >= 4 ? dib.readUInt32LE(0) : 0;
  if (![12, 40, 52, 56, 108, 124].includes(size) || dib.length < size) return proveDib(dib, Buffer.alloc(0), usage);
  const table = Math.min(dib.length, tableEnd(dib, usage));
  return proveDib(dib.subarray(0, table), dib.subarray(table), usage, true);
}
