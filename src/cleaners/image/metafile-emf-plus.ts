import { type Fields, allZero, damaged, zeroSlack } from "./metafile-fields.js";
import { objectFields } from "./metafile-emf-plus-objects.js";
import { COMPRESSED_DATA, runningDataFields } from "./metafile-emf-plus-records.js";
import { cleanPictureInPlace } from "./metafile-pictures.js";

const COMMENT = 0x4003;

/**
 * What an EMF+ record of a type whose data has a fixed length (or one given by its flags) reads
 * of it ([MS-EMFPLUS] 2.3): the header's version, flags and resolutions, a colour, an object's id,
 * a transform, a rectangle after its angles... Undefined for the types whose data runs on (objects,
 * polygons, strings, images), which are kept to their data size.
 */
function fixedData(type: number, flags: number): number | undefined {
  const rect = (flags & COMPRESSED_DATA) !== 0 ? 8 : 16;
  switch (type) {
    case 0x4002: case 0x4004: case 0x401e: case 0x401f: case 0x4020: case 0x4021: case 0x4022: case 0x4023: case 0x4024: case 0x402b: case 0x4031: case 0x4033: case 0x4034:
      return 0;
    case 0x4009: case 0x4013: case 0x4014: case 0x4015: case 0x4025: case 0x4026: case 0x4028: case 0x4029: case 0x402f: case 0x4030:
      return 4;
    case 0x401d: case 0x402d: case 0x402e: case 0x4035:
      return 8;
    case 0x4001: case 0x4032:
      return 16;
    case 0x402a: case 0x402c:
      return 24;
    case 0x4027:
      return 36;
    case 0x400e:
      return 4 + rect; // FillEllipse: a brush and the rectangle
    case 0x400f:
      return rect; // DrawEllipse
    case 0x4010:
      return 12 + rect; // FillPie: a brush, two angles, the rectangle
    case 0x4011: case 0x4012:
      return 8 + rect; // DrawPie, DrawArc
    case 0x401a:
      return 24 + rect; // DrawImage: attributes, unit, the source rectangle, the destination
    default:
      return undefined;
  }
}
/** What a record reads of its data: a fixed length, or the fields of running data, else all of it (objects are walked on their own). */
function read(type: number, flags: number, data: Buffer): Fields {
  const fixed = fixedData(type, flags);
  if (fixed !== undefined) return [[0, Math.min(fixed, data.length)]];
  return runningDataFields(type, flags, data) ?? [[0, data.length]];
}

/** [MS-EMFPLUS] 2.1.1.1: Header (0x4001) to SetTSClip (0x403A), less the MultiFormat records, reserved and drawn by no reader. */
const KNOWN = (type: number): boolean => type >= 0x4001 && type <= 0x403a && (type < 0x4005 || type > 0x4007);

/**
 * The EMF+ records in an EMF comment ([MS-EMFPLUS] 2.3: type, flags, size, data size), cleaned in
 * place: a record of a type no reader knows goes, an EmfPlusComment's data (private data of the
 * program that drew it) becomes zeros, and bytes past a record's data size become zeros, and for
 * the types whose data has a fixed length, bytes past that length too (fixedData). Says how
 * many bytes of records remain (at the start of `records`) and how many things were removed.
 */
export function cleanEmfPlus(records: Buffer): { size: number; blanked: number } {
  let blanked = 0;
  let write = 0;
  let at = 0;
  for (; at + 12 <= records.length; ) {
    const type = records.readUInt16LE(at);
    const size = records.readUInt32LE(at + 4);
    const dataSize = records.readUInt32LE(at + 8);
    if (size < 12 || size % 4 !== 0 || at + size > records.length) throw damaged(`an EMF+ record of ${size} bytes runs past its comment`);
    if (12 + dataSize > size) throw damaged(`an EMF+ record of ${size} bytes claims ${dataSize} bytes of data`);
    const record = records.subarray(at, at + size);
    if (KNOWN(type)) {
      const data = record.subarray(12, 12 + dataSize);
      if (type === COMMENT && !allZero(data)) {
        data.fill(0);
        blanked++;
      }
      // Bytes past what the type reads, within its data size or after it, read by no reader.
      if (zeroSlack(record, [[0, 12], ...read(type, records.readUInt16LE(at + 2), data).map(([s, e]) => [12 + s, 12 + e] as const)])) blanked++;
      if (write !== at) records.copy(records, write, at, at + size);
      write += size;
    } else blanked++;
    at += size;
  }
  if (!allZero(records.subarray(at))) blanked++;
  // What the kept records moved away from, and bytes too few for a record, are not counted again by the comment.
  records.fill(0, write);
  return { size: write, blanked };
}

const EMR_COMMENT = 70;
const EMF_PLUS = 0x2b464d45;
const OBJECT = 0x4008;
const IMAGE = 5;
const CONTINUED = 0x8000;
const BITMAP = 1;
const COMPRESSED = 1;
const METAFILE = 2;

/** Cleans a drawing nested in another in place (its freed bytes zeros); says how many things it removed. */
export type NestedMetafile = (data: Buffer, emf: boolean) => number;

/**
 * The EMF+ objects of a cleaned EMF ([MS-EMFPLUS] 2.2.1), put together from the pieces of an
 * object continued over several records and comments, each keeping only its fields
 * (metafile-emf-plus-objects.ts: a font's name and not what follows it, a pen's optional data as
 * its flags announce them, then its brush...), the rest zeros; an image's bitmap stored as a
 * file (a JPEG or PNG, often a photo with its EXIF) loses its metadata in place, and a drawing
 * inside an image is cleaned as one (`nested`). The pieces are written back where they were.
 * Says how many objects changed.
 */
export function cleanEmfPlusObjects(emf: Buffer, nested: NestedMetafile): number {
  let cleaned = 0;
  let pieces: Buffer[] = [];
  let type = 0;
  for (let at = 0; at + 8 <= emf.length; at += emf.readUInt32LE(at + 4)) {
    if (emf.readUInt32LE(at) !== EMR_COMMENT || emf.readUInt32LE(at + 4) < 16 || emf.readUInt32LE(at + 12) !== EMF_PLUS) continue;
    const records = emf.subarray(at + 16, at + 12 + emf.readUInt32LE(at + 8));
    for (let p = 0; p + 12 <= records.length; p += records.readUInt32LE(p + 4)) {
      const flags = records.readUInt16LE(p + 2);
      if (records.readUInt16LE(p) !== OBJECT) continue;
      const data = records.subarray(p + 12, p + 12 + records.readUInt32LE(p + 8));
      // A continued piece starts with the whole object's size; the last piece has no flag.
      pieces.push((flags & CONTINUED) !== 0 ? data.subarray(4) : data);
      type = (flags >> 8) & 0x7f;
      if ((flags & CONTINUED) !== 0) continue;
      if (cleanObject(type, pieces, nested)) cleaned++;
      pieces = [];
    }
  }
  // An object whose last piece never comes (each one flagged as continued) is walked as far as it goes.
  if (pieces.length > 0 && cleanObject(type, pieces, nested)) cleaned++;
  return cleaned;
}

function cleanObject(type: number, pieces: readonly Buffer[], nested: NestedMetafile): boolean {
  const object = Buffer.concat(pieces);
  const picture = type === IMAGE && cleanImageObject(object, nested);
  if (!zeroSlack(object, objectFields(type, object)) && !picture) return false;
  let at = 0;
  for (const piece of pieces) at += object.copy(piece, 0, at, at + piece.length);
  return true;
}

/** An EmfPlusImage: version, type, then an EmfPlusBitmap (20 bytes, then a file when compressed) or an EmfPlusMetafile (type, size, data). */
function cleanImageObject(image: Buffer, nested: NestedMetafile): boolean {
  if (image.length < 8) return false;
  const type = image.readUInt32LE(4);
  if (type === BITMAP) return image.length > 28 && image.readUInt32LE(24) === COMPRESSED && cleanPictureInPlace(image, 28, image.length);
  if (type !== METAFILE || image.length < 16) return false;
  const size = Math.min(image.readUInt32LE(12), image.length - 16);
  // Types 1 and 2 are WMF (plain, placeable), 3 to 5 EMF (with or without EMF+ records).
  return nested(image.subarray(16, 16 + size), image.readUInt32LE(8) >= 3) > 0;
}
