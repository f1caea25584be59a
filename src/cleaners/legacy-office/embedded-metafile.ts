import zlib from "node:zlib";
import { BadFileError, TooComplexError } from "../errors.js";
import { blankEmf, startsLikeEmf } from "../image/metafile-emf.js";
import { blankWmf } from "../image/metafile-wmf.js";
import { type DeflateBudget, deflateToFit } from "./deflate-to-fit.js";

/**
 * EMF and WMF pictures inside Office 97-2003 files ([MS-ODRAW] 2.2.24 and 2.2.25): after the
 * record's ids, a 34-byte header (uncompressed size, bounds, size, stored size, compression)
 * and the metafile, usually deflated. ExifTool reads neither format, inside a document or out,
 * so nothing else would see what they carry besides the drawing: an EMF's description (the
 * program and often the picture's file name or path), text in its comment records (private
 * data of the program that drew it, a group's description) and a WMF's comment escapes become
 * zeros, and records no reader draws and bytes past a record's fields go (image/metafile-emf.ts,
 * image/metafile-wmf.ts); the cleaned metafile is stored again into the same place (deflated
 * again when it was, as tightly as it takes to fit: deflate-to-fit.ts; its sizes updated, the
 * rest of the record zeros), so no record around it moves.
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

const PLACEABLE_KEY = 0x9ac6cdd7;

export type MetafileKind = "emf" | "wmf";

/**
 * An embedded object's print cache (`\x03EPRINT`: the EMF Office draws the object with when it
 * prints, which Office 2007 and later write into 97-2003 files), cleaned as an EMF file is
 * (image/metafile-emf.ts): its description (the program, often a file name), its comments and
 * the pictures of its EMF+ records (a PNG's text chunks among them). It may shrink: nothing
 * refers to the stream by offset. Null when the stream is no EMF.
 */
export function cleanPrintCache(stream: Buffer): { cleaned: Buffer; texts: number } | null {
  if (!startsLikeEmf(stream)) return null;
  const { blanked, end } = blankEmf(stream);
  return { cleaned: stream.subarray(0, end), texts: blanked };
}

/**
 * Cleans the metafile whose 34-byte header starts at `start` (the data running to `end`) in
 * place, and says how many texts were blanked; null when those bytes are no metafile of this
 * kind. A metafile that cannot be read through, or cannot be stored again in its place, is
 * refused. `budget`: what the document's drawings may still have deflated tightly.
 */
export function cleanMetafile(b: Buffer, start: number, end: number, kind: MetafileKind, budget: DeflateBudget): number | null {
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
  const { blanked, end: length } = kind === "emf" ? blankEmf(plain) : blankWmf(plain);
  if (blanked === 0) return 0;
  // Records that went make the metafile shorter: its sizes follow, the freed bytes become zeros.
  b.writeUInt32LE(length, start);
  if (compression === STORED) {
    b.fill(0, dataAt + length, end);
    b.writeUInt32LE(length, start + STORED_SIZE);
    return blanked;
  }
  const again = deflateToFit(plain.subarray(0, length), stored, budget);
  if (again == null) throw damaged(`its cleaned drawing deflates to more than the ${stored} bytes it had`);
  again.copy(b, dataAt);
  b.fill(0, dataAt + again.length, end);
  b.writeUInt32LE(again.length, start + STORED_SIZE);
  return blanked;
}

/** Whether `data` starts as a metafile of this kind does: an EMF's header record, or a WMF's (placeable) header. */
export function startsLike(kind: MetafileKind, data: Buffer): boolean {
  if (kind === "emf") return startsLikeEmf(data);
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

function damaged(why: string, cause?: unknown): BadFileError {
  return new BadFileError(
    "The document holds a drawing (EMF or WMF metafile) whose structure this service cannot follow, so its metadata cannot be removed.",
    new Error(`legacy-office: metafile picture: ${why}`, cause === undefined ? undefined : { cause }),
  );
}
