import { emfComment, emfPlusRecord, padded, words } from "./make-metafile-records.js";

/**
 * An EMF+ drawing built by hand ([MS-EMFPLUS]) whose objects and records of running data can
 * carry bytes no reader reads, in each place `hide` names: after a brush's colour, after a pen's
 * brush (past what its flags announce), after a path's point types, after a font's name and in
 * its reserved word, after a string format's fields, in an image attributes object's reserved
 * words, after a region's rectangle, after a polygon's points, a string's characters, relative
 * line points and rectangles, and in an image effect's parameter buffer past its parameters.
 */
export type EmfPlusPlace =
  | "brush"
  | "pen"
  | "path"
  | "font name"
  | "font reserved"
  | "string format"
  | "image attributes"
  | "region"
  | "polygon"
  | "string"
  | "lines"
  | "rects"
  | "effect";
export const EMF_PLUS_PLACES: readonly EmfPlusPlace[] = [
  "brush",
  "pen",
  "path",
  "font name",
  "font reserved",
  "string format",
  "image attributes",
  "region",
  "polygon",
  "string",
  "lines",
  "rects",
  "effect",
];

const VERSION = 0xdbc01002;
const float = (v: number): number => {
  const b = Buffer.alloc(4);
  b.writeFloatLE(v);
  return b.readUInt32LE(0);
};
const int16s = (...v: number[]): Buffer => {
  const b = Buffer.alloc(2 * v.length);
  v.forEach((x, i) => b.writeInt16LE(x, 2 * i));
  return b;
};

/** An EMF+ record of `type` and `flags` whose data is `data`, padded to whole words (the padding within its data size). */
function record(type: number, flags: number, data: Buffer): Buffer {
  const r = emfPlusRecord(type, padded(data));
  r.writeUInt16LE(flags, 2);
  return r;
}

/** Object record: the object's type and id in the flags. */
const object = (type: number, id: number, data: Buffer): Buffer => record(0x4008, (type << 8) | id, data);

/** The records of the drawing, in three EMF comments (objects, drawing, end), hiding `marker` (and `reserved`, 4 bytes, in reserved words) in the places of `hide`. */
export function emfPlusDrawing(marker: string, reserved: string, hide: ReadonlySet<EmfPlusPlace>): Buffer[] {
  const extra = (place: EmfPlusPlace, encoding: BufferEncoding = "latin1"): Buffer => Buffer.from(hide.has(place) ? `${marker} ${place}` : "", encoding);
  const reservedWord = (place: EmfPlusPlace): Buffer => (hide.has(place) ? Buffer.from(reserved, "latin1") : Buffer.alloc(4));
  const solid = (argb: number): Buffer => words(VERSION, 0, argb);
  const head = record(0x4001, 1, words(VERSION, 1, 96, 96));
  const objects = [
    object(1, 0, Buffer.concat([solid(0xff20c040), extra("brush")])),
    // A pen: no optional data, 4 pixels wide, then its brush.
    object(2, 1, Buffer.concat([words(VERSION, 0, 0, 2, float(4)), solid(0xffc02020), extra("pen")])),
    // A closed triangle of 16-bit points, its point types, then padding.
    object(3, 2, Buffer.concat([words(VERSION, 3, 0x4000), int16s(10, 10, 90, 20, 40, 90), Buffer.from([0, 1, 0x81]), extra("path")])),
    object(6, 3, Buffer.concat([words(VERSION, float(24), 2, 1), reservedWord("font reserved"), words(5), Buffer.from("Arial", "utf16le"), extra("font name", "utf16le")])),
    object(7, 4, Buffer.concat([words(VERSION, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, float(1), 0, 0, 0), extra("string format")])),
    object(8, 5, Buffer.concat([words(VERSION), reservedWord("image attributes"), words(0, 0xff000000, 0), reservedWord("image attributes")])),
    object(4, 6, Buffer.concat([words(VERSION, 0, 0x10000000, float(0), float(0), float(50), float(50)), extra("region")])),
  ];
  const drawing = [
    record(0x4014, 2, words(0)), // FillPath: path 2 with brush 0
    record(0x4015, 2, words(1)), // DrawPath: path 2 with pen 1
    // FillPolygon with a colour, 16-bit points.
    record(0x400c, 0x8000 | 0x4000, Buffer.concat([words(0xff2040c0, 3), int16s(60, 60, 95, 70, 70, 95), extra("polygon")])),
    // DrawString with a colour, font 3, format 4.
    record(0x401c, 0x8000 | 3, Buffer.concat([words(0xff000000, 4, 2, float(5), float(55), float(60), float(40)), Buffer.from("Hi", "utf16le"), extra("string", "utf16le")])),
    // DrawLines with pen 1, relative points (a byte a coordinate).
    record(0x400d, 0x0800 | 1, Buffer.concat([words(3), Buffer.from([5, 95, 20, 0x7f, 20, 0]), extra("lines")])),
    // FillRects with a colour, one rectangle of floats.
    record(0x400a, 0x8000, Buffer.concat([words(0xffe0e000, 1, float(80), float(5), float(15), float(15)), extra("rects")])),
    // A blur effect: its GUID, its buffer's size, radius and edge flag.
    record(0x4038, 0, Buffer.concat([Buffer.from("a4803c6343182b489ef2be2834c5fdd4", "hex"), words(8 + extra("effect").length, float(2), 1), extra("effect")])),
  ];
  return [emfComment(Buffer.from("EMF+", "latin1"), head, ...objects), emfComment(Buffer.from("EMF+", "latin1"), ...drawing), emfComment(Buffer.from("EMF+", "latin1"), record(0x4002, 0, Buffer.alloc(0)))];
}
