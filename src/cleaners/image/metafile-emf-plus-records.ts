import type { Fields } from "./metafile-fields.js";

/** A record's flag saying its rectangles and points are 16-bit integers rather than 32-bit floats. */
export const COMPRESSED_DATA = 0x4000;
/** A record's (or a path's) flag saying its points are relative to the one before, each coordinate in 1 or 2 bytes. */
export const RELATIVE_POINTS = 0x0800;

/**
 * Where `count` points starting at `at` of `b` end ([MS-EMFPLUS] 2.2.2.35-2.2.2.37): 8 bytes a
 * point as floats, 4 as 16-bit integers, or relative (EmfPlusPointR: each coordinate a byte, or
 * two when its high bit is set), as `flags` say.
 */
export function pointsEnd(b: Buffer, at: number, count: number, flags: number): number {
  if ((flags & RELATIVE_POINTS) === 0) return at + count * ((flags & COMPRESSED_DATA) !== 0 ? 4 : 8);
  let p = at;
  for (let i = 0; i < 2 * count && p < b.length; i++) p += (b[p]! & 0x80) !== 0 ? 2 : 1;
  return p;
}

/** The parameter block's size of each image effect a SerializableObject may carry ([MS-EMFPLUS] 2.1.3.1, 2.2.3), by its GUID as stored. */
const EFFECTS: ReadonlyMap<string, (buffer: Buffer) => number> = new Map([
  ["633C80A4-1843-482B-9EF2-BE2834C5FDD4", () => 8], // blur
  ["D3A1DBE1-8EC4-4C17-9F4C-EA97AD1C343D", () => 8], // brightness and contrast
  ["537E597D-251E-48DA-9664-29CA496B70F8", () => 12], // colour balance
  ["DD6A0022-58E4-4A67-9D9B-D48EB881A53D", () => 12], // colour curve
  ["A7CE72A9-0F7F-40D7-B3CC-D0C02D5C3212", () => 1024], // colour lookup table
  ["718F2615-7933-40E3-A511-5F68FE14DD74", () => 100], // colour matrix
  ["8B2DD6C3-EB07-4D87-A5F0-7108E26A9C5F", () => 12], // hue, saturation, lightness
  ["99C354EC-2A31-4F3A-8C34-17A803B33A25", () => 12], // levels
  ["74D29D05-69A4-4266-9549-3CC52836B632", (b: Buffer) => (b.length >= 4 ? 4 + 16 * b.readUInt32LE(0) : 0)], // red-eye correction: its areas
  ["63CBF3EE-C526-402C-8F71-62C540BF5142", () => 8], // sharpen
  ["1077AF00-2848-4441-9489-44AD4C2D7A2C", () => 8], // tint
]);

/** A GUID as text from its 16 stored bytes (three little-endian numbers, then eight bytes). */
export function guidText(b: Buffer, at: number): string {
  const hex = (from: number, to: number): string => b.subarray(from, to).toString("hex");
  const le = (from: number, to: number): string => Buffer.from(b.subarray(from, to)).reverse().toString("hex");
  return `${le(at, at + 4)}-${le(at + 4, at + 6)}-${le(at + 6, at + 8)}-${hex(at + 8, at + 10)}-${hex(at + 10, at + 16)}`.toUpperCase();
}

/**
 * What an EMF+ record whose data runs on reads of its data `d` ([MS-EMFPLUS] 2.3.4, 2.3.5), as
 * ranges of the data: rectangles and points after their counts (8 or 16 bytes a rectangle, points
 * as pointsEnd says), a string of its length, a driver string's glyphs and their positions, an
 * image effect's parameters (an effect of no known GUID keeps none). Undefined for the other
 * types (objects are walked on their own: metafile-emf-plus-objects.ts).
 */
export function runningDataFields(type: number, flags: number, d: Buffer): Fields | undefined {
  const u32 = (at: number): number => (at + 4 <= d.length ? d.readUInt32LE(at) : 0);
  const rect = (flags & COMPRESSED_DATA) !== 0 ? 8 : 16;
  const upTo = (end: number): Fields => [[0, Math.min(end, d.length)]];
  switch (type) {
    case 0x400a: // FillRects: brush, count, rectangles
      return upTo(8 + rect * u32(4));
    case 0x400b: // DrawRects
      return upTo(4 + rect * u32(0));
    case 0x400c: // FillPolygon: brush, count, points
      return upTo(pointsEnd(d, 8, u32(4), flags));
    case 0x400d: // DrawLines
    case 0x4019: // DrawBeziers
      return upTo(pointsEnd(d, 4, u32(0), flags));
    case 0x4016: // FillClosedCurve: brush, tension, count, points
      return upTo(pointsEnd(d, 12, u32(8), flags));
    case 0x4017: // DrawClosedCurve: tension, count, points
      return upTo(pointsEnd(d, 8, u32(4), flags));
    case 0x4018: // DrawCurve: tension, offset, segments, count, points (never relative)
      return upTo(pointsEnd(d, 16, u32(12), flags & ~RELATIVE_POINTS));
    case 0x401b: // DrawImagePoints: attributes, unit, source rectangle, count, points
      return upTo(pointsEnd(d, 28, u32(24), flags));
    case 0x401c: // DrawString: brush, format, length, layout rectangle, UTF-16 characters
      return upTo(28 + 2 * u32(8));
    case 0x4036: // DrawDriverString: brush, options, matrix present, count, glyphs, positions, the matrix
      return upTo(16 + 10 * u32(12) + (u32(8) !== 0 ? 24 : 0));
    case 0x4038: {
      // SerializableObject: GUID, buffer size, the effect's parameters
      const params = EFFECTS.get(guidText(d, 0));
      return upTo(20 + (params == null ? 0 : Math.min(u32(16), params(d.subarray(20)))));
    }
    default:
      return undefined;
  }
}
