import { cleanEmfPlus, cleanEmfPlusObjects } from "./metafile-emf-plus.js";
import { EMF_RECORDS } from "./metafile-emf-records.js";
import { type Blanked, type Fields, allZero, damaged, zeroSlack } from "./metafile-fields.js";
import { cleanRecordBitmap } from "./metafile-dib.js";
import { blankWmf } from "./metafile-wmf.js";

const EMR_HEADER = 1;
const EMR_EOF = 14;
const EMR_COMMENT = 70;
const EMF_SIGNATURE = 0x464d4520; // " EMF"
const EMF_PLUS = 0x2b464d45; // "EMF+": the drawing itself, in EMF+ records
const GDI_COMMENT = 0x43494447; // "GDIC": public comments
const BEGIN_GROUP = 2;
const END_GROUP = 3;
/** What a blanked private comment is identified as: no reader knows it. */
const NEUTRAL_ID = 0x6f52657a; // "zeRo"
/** EMF+ images holding drawings holding images...: real ones hold one level. */
const MAX_DEPTH = 4;

/** Whether `data` starts with an EMF's header record. */
export function startsLikeEmf(data: Buffer): boolean {
  return data.length >= 44 && data.readUInt32LE(0) === EMR_HEADER && data.readUInt32LE(40) === EMF_SIGNATURE;
}

/**
 * Cleans an EMF ([MS-EMF] 2.3) in place, keeping only what readers draw: records of the types
 * metafile-emf-records.ts lists, each with only its fields (the rest zeros); the header's
 * description (the program, often the picture's file name) and a comment group's description
 * become zeros, a private comment's data too, public comments other than groups (a whole WMF or
 * an EPS or PDF for printers, which readers may draw instead of the records) likewise, and EMF+
 * comments are cleaned record by record (metafile-emf-plus.ts). Records of other types, and
 * everything after the end-of-file record, go; the kept records move up and the header's byte
 * and record counts follow (LibreOffice reads as many records as the header says).
 */
export function blankEmf(emf: Buffer, depth = 0): Blanked {
  if (emf.length < 88 || !startsLikeEmf(emf)) throw damaged("it does not start with an EMF header");
  if (depth > MAX_DEPTH) throw damaged(`drawings nested more than ${MAX_DEPTH} deep`);
  let blanked = 0;
  let write = 0;
  let records = 0;
  let ended = false;
  for (let at = 0; at + 8 <= emf.length && !ended; ) {
    const type = emf.readUInt32LE(at);
    const size = emf.readUInt32LE(at + 4);
    if (size < 8 || size % 4 !== 0 || at + size > emf.length) throw damaged(`an EMF record of ${size} bytes runs past the end`);
    const record = emf.subarray(at, at + size);
    let keep = size;
    if (at === 0) blanked += header(record);
    else if (type === EMR_COMMENT) ({ keep, blanked } = comment(record, blanked));
    else if (type === EMR_EOF) blanked += slack(record, eofFields(record));
    else {
      const known = EMF_RECORDS.get(type);
      if (known == null) {
        keep = 0;
        blanked++;
      } else {
        if (size < known.min) throw damaged(`a record of type ${type} has ${size} bytes, fewer than its ${known.min}`);
        blanked += slack(record, known.fields?.(record) ?? [[0, known.min]]);
        for (const [bitmap, usage] of known.bitmaps ?? []) if (cleanRecordBitmap(record, bitmap, usage)) blanked++;
      }
    }
    if (keep > 0) {
      if (write !== at) emf.copy(emf, write, at, at + keep);
      write += keep;
      records++;
    }
    at += size;
    ended = type === EMR_EOF;
  }
  emf.writeUInt32LE(write, 48);
  emf.writeUInt32LE(records, 52);
  // EMF+ objects can run over several comments: they are put together once every record is in its place.
  blanked += cleanEmfPlusObjects(emf.subarray(0, write), (data, isEmf) => {
    const inner = isEmf ? blankEmf(data, depth + 1) : blankWmf(data);
    data.fill(0, inner.end);
    return inner.blanked;
  });
  return { blanked, end: write, ended };
}

const slack = (record: Buffer, fields: Fields): number => (zeroSlack(record, fields) ? 1 : 0);

/** The header's fields ([MS-EMF] 2.2.9): 88 bytes, 100 or 108 with its extensions, the description (blanked) and the pixel format. */
function header(r: Buffer): number {
  if (r.length < 88) throw damaged(`its header record has ${r.length} bytes`);
  const chars = r.readUInt32LE(60);
  const descriptionAt = r.readUInt32LE(64);
  const fields: Fields = [[0, 88]];
  const limit = Math.min(r.length, chars > 0 ? descriptionAt : r.length);
  if (limit >= 100) {
    const pixelFormat = r.readUInt32LE(88);
    const pixelFormatAt = r.readUInt32LE(92);
    if (pixelFormat > 0) fields.push([pixelFormatAt, pixelFormatAt + pixelFormat]);
    fields.push([0, Math.min(limit, pixelFormat > 0 ? pixelFormatAt : limit) >= 108 ? 108 : 100]);
  }
  let blanked = 0;
  if (chars > 0) {
    if (descriptionAt < 88 || descriptionAt + 2 * chars > r.length) throw damaged("its description lies outside its header");
    blanked += zeroText(r.subarray(descriptionAt, descriptionAt + 2 * chars));
  }
  return blanked + slack(r, fields);
}

/** EOF: the palette entries it carries and the size repeated at its end. */
function eofFields(r: Buffer): Fields {
  if (r.length < 20) throw damaged(`its end-of-file record has ${r.length} bytes`);
  const entries = r.readUInt32LE(8);
  const at = r.readUInt32LE(12);
  return [[0, 16], [r.length - 4, r.length], ...(entries > 0 ? [[at, at + 4 * entries] as const] : [])];
}

/** A comment record ([MS-EMF] 2.3.3): its data cleaned by kind; its size after (an EMF+ comment can shrink). */
function comment(r: Buffer, blanked: number): { keep: number; blanked: number } {
  if (r.length < 12) throw damaged(`a comment record has ${r.length} bytes`);
  const dataSize = r.readUInt32LE(8);
  if (12 + dataSize > r.length) throw damaged(`a comment of ${r.length} bytes claims ${dataSize} bytes of data`);
  const data = r.subarray(12, 12 + dataSize);
  const id = dataSize >= 4 ? data.readUInt32LE(0) : 0;
  if (id === EMF_PLUS) {
    const plus = cleanEmfPlus(data.subarray(4));
    blanked += plus.blanked + slack(r, [[0, 16 + plus.size]]);
    r.writeUInt32LE(4 + plus.size, 8);
    r.writeUInt32LE(16 + plus.size, 4);
    return { keep: 16 + plus.size, blanked };
  }
  blanked += slack(r, [[0, 12 + dataSize]]);
  if (id === GDI_COMMENT && dataSize >= 8) {
    const kind = data.readUInt32LE(4);
    if (kind === BEGIN_GROUP) {
      if (dataSize < 28) throw damaged("a comment group's head is short");
      const chars = data.readUInt32LE(24);
      if (28 + 2 * chars > dataSize) throw damaged("a comment group's description lies outside its comment");
      return { keep: r.length, blanked: blanked + zeroText(data.subarray(28, 28 + 2 * chars)) + slack(r, [[0, 40 + 2 * chars]]) };
    }
    if (kind === END_GROUP) return { keep: r.length, blanked: blanked + slack(r, [[0, 20]]) };
    return { keep: r.length, blanked: blanked + zeroText(data.subarray(8)) };
  }
  // A comment blanked before (a copy cleaned again) is not counted again.
  if (id === NEUTRAL_ID && allZero(data.subarray(4))) return { keep: r.length, blanked };
  if (zeroText(data) === 0) return { keep: r.length, blanked };
  if (dataSize >= 4) data.writeUInt32LE(NEUTRAL_ID, 0);
  return { keep: r.length, blanked: blanked + 1 };
}

function zeroText(text: Buffer): number {
  if (allZero(text)) return 0;
  text.fill(0);
  return 1;
}
