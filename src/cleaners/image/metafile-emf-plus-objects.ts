import { type Fields, damaged } from "./metafile-fields.js";
import { COMPRESSED_DATA, RELATIVE_POINTS, pointsEnd } from "./metafile-emf-plus-records.js";

const BRUSH = 1;
const PEN = 2;
const PATH = 3;
const REGION = 4;
const IMAGE = 5;
const FONT = 6;
const STRING_FORMAT = 7;
const IMAGE_ATTRIBUTES = 8;
const CUSTOM_LINE_CAP = 9;
/** A path's flag saying its point types are run-length encoded (2 bytes a run). */
const RLE_TYPES = 0x1000;
const INDEXED = 0x00010000;
/** Region nodes nested deeper than this are not walked: real regions combine a few shapes. */
const MAX_REGION_DEPTH = 64;

/** What a walk of part of an object kept, and where that part ends. */
interface Walked {
  fields: Fields;
  end: number;
}

/**
 * What an EMF+ object ([MS-EMFPLUS] 2.2.1) of `type`, whole in `o` (its pieces over several
 * records put together), holds that readers read, as ranges of `o`: each object's fields as its
 * type and flags give them, nested paths, brushes and caps walked alike, and nothing of the
 * reserved fields (a font's, an image attribute's, a linear gradient's) nor of what follows a
 * path's point types, a font's name, a pen's brush or a container's nested object. An image's
 * picture file runs to the end (pictures are cleaned in place on their own), and so does a
 * texture brush's image. A part whose counts run past the object keeps all of it.
 */
export function objectFields(type: number, o: Buffer): Fields {
  const u32 = (at: number): number => (at + 4 <= o.length ? o.readUInt32LE(at) : 0);
  const walked = ((): Walked => {
    switch (type) {
      case BRUSH:
        return brush(o, 0);
      case PEN:
        return pen(o);
      case PATH:
        return path(o, 0);
      case REGION:
        return node(o, 8, 0, [[0, 8]]);
      case IMAGE:
        return upTo(0, image(o));
      case FONT:
        // Version, size, unit, style; a reserved word; the name's length and the name.
        return { fields: [[0, 16], [20, 24 + 2 * u32(20)]], end: 24 + 2 * u32(20) };
      case STRING_FORMAT:
        // Fifteen words, then the tab stops and the character ranges they count.
        return upTo(0, 60 + 4 * u32(52) + 8 * u32(56));
      case IMAGE_ATTRIBUTES:
        // Version, a reserved word, wrap mode, clamp colour, object clamp, a reserved word.
        return { fields: [[0, 4], [8, 20]], end: 24 };
      case CUSTOM_LINE_CAP:
        return cap(o, 0);
      default:
        return { fields: [[0, o.length]], end: o.length };
    }
  })();
  return walked.fields.map(([s, e]) => [Math.min(s, o.length), Math.min(e, o.length)] as const);
}

/** An image object: version, type, then a bitmap (20 bytes; a palette and rows, or a file to the end) or a metafile (type, size, data). */
function image(o: Buffer): number {
  if (o.length < 28) return o.length;
  const kind = o.readUInt32LE(4);
  if (kind === 2) return 16 + o.readUInt32LE(12);
  if (kind !== 1 || o.readUInt32LE(24) !== 0) return o.length;
  const [height, stride, format] = [o.readUInt32LE(12), o.readUInt32LE(16), o.readUInt32LE(20)];
  const palette = (format & INDEXED) !== 0 && o.length >= 36 ? 8 + 4 * o.readUInt32LE(32) : 0;
  return 28 + palette + stride * height;
}

/** A brush at `at`: version, type, then its data; a texture's image runs to the end of `o`. */
function brush(o: Buffer, at: number): Walked {
  const u32 = (p: number): number => (p + 4 <= o.length ? o.readUInt32LE(p) : 0);
  const flags = u32(at + 8);
  const blend = (p: number, flag: number): number => ((flags & flag) !== 0 ? p + 4 + 8 * u32(p) : p);
  switch (u32(at + 4)) {
    case 0: // solid colour
      return upTo(at, at + 12);
    case 1: // hatch: style, two colours
      return upTo(at, at + 20);
    case 3: {
      // path gradient: flags, wrap, centre colour and point, surrounding colours, a boundary path or points, then options
      let p = at + 32 + 4 * u32(at + 28);
      const fields: Fields = [[at, p]];
      if ((flags & 0x01) !== 0) {
        const inner = path(o, p + 4);
        fields.push([p, p + 4], ...inner.fields);
        p += 4 + u32(p);
      } else p += 4 + 8 * u32(p);
      // A transform, preset colours or blend factors, focus scales (a count of 2 and two floats).
      const blended = blend(blend(p + ((flags & 0x02) !== 0 ? 24 : 0), 0x04), 0x08);
      const end = blended + ((flags & 0x40) !== 0 ? 12 : 0);
      fields.push([p, end]);
      return { fields, end };
    }
    case 4: {
      // linear gradient: flags, wrap, rectangle, two colours, two reserved words, then options
      const end = blend(blend(blend(at + 48 + ((flags & 0x02) !== 0 ? 24 : 0), 0x04), 0x08), 0x10);
      return { fields: [[at, at + 40], [at + 48, end]], end };
    }
    default:
      // a texture (its image to the end) or a type of no known layout
      return upTo(at, o.length);
  }
}

/** A pen: version, type, flags, unit, width, the optional data its flags announce (custom caps walked), then its brush. */
function pen(o: Buffer): Walked {
  const u32 = (p: number): number => (p + 4 <= o.length ? o.readUInt32LE(p) : 0);
  const flags = u32(8);
  let p = 20;
  const fields: Fields = [];
  if ((flags & 0x01) !== 0) p += 24;
  for (const flag of [0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80]) if ((flags & flag) !== 0) p += 4;
  if ((flags & 0x100) !== 0) p += 4 + 4 * u32(p);
  if ((flags & 0x200) !== 0) p += 4;
  if ((flags & 0x400) !== 0) p += 4 + 4 * u32(p);
  fields.push([0, p]);
  for (const flag of [0x800, 0x1000]) {
    if ((flags & flag) === 0) continue;
    fields.push([p, p + 4], ...cap(o, p + 4).fields);
    p += 4 + u32(p);
  }
  const inner = brush(o, p);
  return { fields: [...fields, ...inner.fields], end: inner.end };
}

/** A path at `at`: version, count, flags, the points, their types (a byte each, or 2-byte runs); what follows is padding. */
function path(o: Buffer, at: number): Walked {
  const u32 = (p: number): number => (p + 4 <= o.length ? o.readUInt32LE(p) : 0);
  const count = u32(at + 4);
  const flags = u32(at + 8);
  let p = pointsEnd(o, at + 12, count, flags & (COMPRESSED_DATA | RELATIVE_POINTS));
  if ((flags & RLE_TYPES) === 0) p += count;
  else for (let points = 0; points < count && p < o.length; p += 2) points += o[p]! & 0x3f;
  return upTo(at, p);
}

/** A region node at `at`: two nodes after a combining type, a rectangle, a path with its size, or nothing (empty, infinite). */
function node(o: Buffer, at: number, depth: number, fields: Fields): Walked {
  if (depth > MAX_REGION_DEPTH) throw damaged(`an EMF+ region nested more than ${MAX_REGION_DEPTH} deep`);
  const type = at + 4 <= o.length ? o.readUInt32LE(at) : 0;
  fields.push([at, at + 4]);
  if (type >= 1 && type <= 5) {
    const left = node(o, at + 4, depth + 1, fields);
    return node(o, left.end, depth + 1, fields);
  }
  if (type === 0x10000000) return { fields: (fields.push([at + 4, at + 20]), fields), end: at + 20 };
  if (type === 0x10000001) {
    const size = at + 8 <= o.length ? o.readUInt32LE(at + 4) : 0;
    fields.push([at + 4, at + 8], ...path(o, at + 8).fields);
    return { fields, end: at + 8 + size };
  }
  if (type === 0x10000002 || type === 0x10000003) return { fields, end: at + 4 };
  return { fields: (fields.push([at, o.length]), fields), end: o.length };
}

/** A custom line cap at `at`: version, type, then an arrow's 52 bytes or a cap's 48 and the fill and line paths its flags announce, each with its size. */
function cap(o: Buffer, at: number): Walked {
  const u32 = (p: number): number => (p + 4 <= o.length ? o.readUInt32LE(p) : 0);
  if (u32(at + 4) === 1) return upTo(at, at + 60);
  if (u32(at + 4) !== 0) return upTo(at, o.length);
  const flags = u32(at + 8);
  let p = at + 56;
  const fields: Fields = [[at, p]];
  for (const flag of [0x01, 0x02]) {
    if ((flags & flag) === 0) continue;
    fields.push([p, p + 4], ...path(o, p + 4).fields);
    p += 4 + u32(p);
  }
  return { fields, end: p };
}

const upTo = (at: number, end: number): Walked => ({ fields: [[at, end]], end });
