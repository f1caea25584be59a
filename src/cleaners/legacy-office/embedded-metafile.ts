import zlib from "node:zlib";
import { BadFileError, TooComplexError } from "../errors.js";

/**
 * EMF and WMF pictures inside Office 97-2003 files ([MS-ODRAW] 2.2.24 and 2.2.25): after the
 * record's ids, a 34-byte header (uncompressed size, bounds, size, stored size, compression)
 * and the metafile, usually deflated. ExifTool reads neither format, inside a document or out,
 * so nothing else would see what they carry besides the drawing: an EMF's description (the
 * program and often the picture's file name or path), text in its comment records (private
 * data of the program that drew it, a group's description) and a WMF's comment escapes. Those
 * become zeros, the drawing records stay as they are; a deflated metafile is deflated again
 * into the same place (its stored size updated, the rest of the record zeros), so no record
 * around it moves.
 */

const HEADER = 34;
const STORED_SIZE = 28;
const COMPRESSION = 32;
const FILTER = 33;
const NO_FILTER = 0xfe;
const DEFLATE = 0x00;
const STORED = 0xfe;
/** A metafile inflated larger than this is not handled (real pictures are far smaller). */
const MAX_INFLATED = 64 << 20;

const EMR_HEADER = 1;
const EMR_COMMENT = 70;
const EMR_EOF = 14;
const EMF_SIGNATURE = 0x464d4520; // " EMF"
const EMF_PLUS = 0x2b464d45; // "EMF+": the drawing itself, in EMF+ records
const EMF_PLUS_COMMENT = 0x4003;
const GDI_COMMENT = 0x43494447; // "GDIC": public comments
const BEGIN_GROUP = 0x00000002;
/** What a blanked private comment is identified as: no reader knows it. */
const NEUTRAL_ID = 0x6f52657a; // "zeRo"

const META_ESCAPE = 0x0626;
const MFCOMMENT = 0x000f;
const PLACEABLE_KEY = 0x9ac6cdd7;

export type MetafileKind = "emf" | "wmf";

/**
 * Cleans the metafile whose 34-byte header starts at `start` (the data running to `end`) in
 * place, and says how many texts were blanked; null when those bytes are no metafile of this
 * kind. A metafile that cannot be read through, or cannot be stored again in its place, is
 * refused.
 */
export function cleanMetafile(b: Buffer, start: number, end: number, kind: MetafileKind): number | null {
  if (start + HEADER > end || b[start + FILTER] !== NO_FILTER) return null;
  const stored = b.readUInt32LE(start + STORED_SIZE);
  const compression = b[start + COMPRESSION];
  const dataAt = start + HEADER;
  if (dataAt + stored > end || stored < 2) return null;
  const data = b.subarray(dataAt, dataAt + stored);
  // Two bytes that happen to look like a BLIP's header are left alone: only a zlib stream or
  // the metafile's own header goes on.
  if (compression === DEFLATE ? data.readUInt16BE(0) % 31 !== 0 || (data[0]! & 0x0f) !== 8 : compression !== STORED || !startsLike(kind, data)) return null;
  const plain = compression === DEFLATE ? inflate(data) : data;
  // Nothing reads past the stored data: whatever lies there goes.
  b.fill(0, dataAt + stored, end);
  const { blanked } = kind === "emf" ? blankEmf(plain) : blankWmf(plain);
  if (blanked === 0 || compression === STORED) return blanked;
  const again = zlib.deflateSync(plain, { level: 9 });
  if (again.length > stored) throw damaged(`its cleaned drawing deflates to ${again.length} bytes, more than the ${stored} it had`);
  again.copy(b, dataAt);
  b.fill(0, dataAt + again.length, end);
  b.writeUInt32LE(again.length, start + STORED_SIZE);
  return blanked;
}

/** Whether `data` starts as a metafile of this kind does: an EMF's header record, or a WMF's (placeable) header. */
export function startsLike(kind: MetafileKind, data: Buffer): boolean {
  if (kind === "emf") return data.length >= 44 && data.readUInt32LE(0) === EMR_HEADER && data.readUInt32LE(40) === EMF_SIGNATURE;
  return data.length >= 22 && (data.readUInt32LE(0) === PLACEABLE_KEY || data.readUInt16LE(2) === 9);
}

function inflate(data: Buffer): Buffer {
  try {
    return zlib.inflateSync(data, { maxOutputLength: MAX_INFLATED });
  } catch (err) {
    if (err instanceof RangeError) throw new TooComplexError(`legacy-office: a metafile inflates past ${MAX_INFLATED} bytes`, err);
    throw damaged("its deflated data cannot be inflated", err);
  }
}

/** What blanking a metafile did: texts blanked, and where its end-of-file record ends (the buffer's length when it has none). */
export interface Blanked {
  blanked: number;
  end: number;
}

/** EMF records ([MS-EMF] 2.3): type and size, 4-byte aligned, the header first, EMR_EOF last. */
export function blankEmf(emf: Buffer): Blanked {
  if (emf.length < 88 || !startsLike("emf", emf)) throw damaged("it does not start with an EMF header");
  let blanked = 0;
  for (let at = 0; at + 8 <= emf.length; ) {
    const type = emf.readUInt32LE(at);
    const size = emf.readUInt32LE(at + 4);
    if (size < 8 || size % 4 !== 0 || at + size > emf.length) throw damaged(`an EMF record of ${size} bytes runs past the end`);
    const record = emf.subarray(at, at + size);
    if (type === EMR_HEADER) {
      if (size < 88) throw damaged(`its header record has ${size} bytes`);
      blanked += blankUtf16(record, record.readUInt32LE(64), record.readUInt32LE(60));
    }
    else if (type === EMR_COMMENT && size >= 16) blanked += blankComment(record);
    at += size;
    if (type === EMR_EOF) return { blanked, end: at };
  }
  return { blanked, end: emf.length };
}

/** A private comment's data, or a group's description, becomes zeros; EMF+ drawing and other public comments stay. */
function blankComment(record: Buffer): number {
  const id = record.readUInt32LE(12);
  if (id === EMF_PLUS) return blankEmfPlusComments(record.subarray(16, Math.min(record.length, 12 + record.readUInt32LE(8))));
  if (id === GDI_COMMENT) {
    if (record.length < 40 || record.readUInt32LE(16) !== BEGIN_GROUP) return 0;
    return blankUtf16(record, 40, record.readUInt32LE(36));
  }
  const end = Math.min(record.length, 12 + record.readUInt32LE(8));
  if (!record.subarray(12, end).some((x) => x !== 0)) return 0;
  record.fill(0, 12, end);
  if (end - 12 >= 4) record.writeUInt32LE(NEUTRAL_ID, 12);
  return 1;
}

/**
 * EMF+ records ([MS-EMFPLUS] 2.3: type, flags, size, data size) inside an EMF comment: the data of
 * an EmfPlusComment record, private data of the program that drew it, becomes zeros.
 */
function blankEmfPlusComments(records: Buffer): number {
  let blanked = 0;
  for (let at = 0; at + 12 <= records.length; ) {
    const size = records.readUInt32LE(at + 4);
    if (size < 12 || size % 4 !== 0 || at + size > records.length) throw damaged(`an EMF+ record of ${size} bytes runs past its comment`);
    const data = records.subarray(at + 12, at + size);
    if (records.readUInt16LE(at) === EMF_PLUS_COMMENT && data.some((x) => x !== 0)) {
      data.fill(0);
      blanked++;
    }
    at += size;
  }
  return blanked;
}

/** `chars` UTF-16 characters at `at` become zeros, when there are any and they lie inside `record`. */
function blankUtf16(record: Buffer, at: number, chars: number): number {
  if (chars === 0) return 0;
  if (at + chars * 2 > record.length || at < 8) throw damaged("a description lies outside its record");
  const text = record.subarray(at, at + chars * 2);
  if (!text.some((x) => x !== 0)) return 0;
  text.fill(0);
  return 1;
}

/** WMF records ([MS-WMF] 2.3): size in 16-bit words and function, after an 18-byte header (and maybe a placeable one). */
export function blankWmf(wmf: Buffer): Blanked {
  let at = wmf.length >= 22 && wmf.readUInt32LE(0) === PLACEABLE_KEY ? 22 : 0;
  if (at + 18 > wmf.length || wmf.readUInt16LE(at + 2) !== 9) throw damaged("it does not start with a WMF header");
  at += 18;
  let blanked = 0;
  while (at + 6 <= wmf.length) {
    const size = wmf.readUInt32LE(at) * 2;
    const fn = wmf.readUInt16LE(at + 4);
    if (fn === 0) return { blanked, end: Math.min(at + 6, wmf.length) };
    if (size < 6 || at + size > wmf.length) throw damaged(`a WMF record of ${size} bytes runs past the end`);
    if (fn === META_ESCAPE && size >= 10 && wmf.readUInt16LE(at + 6) === MFCOMMENT) {
      // The whole record after the count, padding included: nothing reads it but as the comment.
      const text = wmf.subarray(at + 10, at + size);
      if (text.some((x) => x !== 0)) {
        text.fill(0);
        blanked++;
      }
    }
    at += size;
  }
  return { blanked, end: wmf.length };
}

function damaged(why: string, cause?: unknown): BadFileError {
  return new BadFileError(
    "The document holds a drawing (EMF or WMF metafile) whose structure this service cannot follow, so its metadata cannot be removed.",
    new Error(`legacy-office: metafile picture: ${why}`, cause === undefined ? undefined : { cause }),
  );
}
