import { BadFileError } from "../errors.js";
import { DAMAGED } from "./psd-structure.js";

/** Nesting of descriptors and lists followed at most: Photoshop's own go a few levels deep. */
const MAX_DEPTH = 64;

/** A value met by the walk: the key of its item (empty in a list), its type, its bytes [at, end). */
export interface DescriptorValue {
  key: string;
  type: string;
  at: number;
  end: number;
}
/** Told of every value of a walk, inner ones first (a descriptor's items before the item holding it). */
export type ValueVisitor = (value: DescriptorValue) => void;

/**
 * Where the action descriptor at `at` ends (Photoshop File Formats Specification, "Descriptor
 * structure"): a class name, a class id and keyed items of typed values. Walked to find what
 * follows it, telling `visit` of each value on the way; a descriptor that does not fit in `b` or
 * has a type this walk does not know makes the file damaged for the cleaning.
 */
export function descriptorEnd(b: Buffer, at: number, visit?: ValueVisitor): number {
  return bodyEnd(b, at, { depth: 0, visit });
}

interface Walk {
  depth: number;
  visit: ValueVisitor | undefined;
}

function bodyEnd(b: Buffer, at: number, w: Walk): number {
  if (w.depth > MAX_DEPTH) throw new BadFileError(DAMAGED);
  let p = unicodeEnd(b, at);
  p = idEnd(b, p);
  const count = u32(b, p);
  p += 4;
  for (let i = 0; i < count; i++) {
    const keyAt = p;
    p = idEnd(b, p);
    p = typedEnd(b, p, keyOf(b, keyAt), w);
  }
  return p;
}

/** The typed value at `at` (its type, then its bytes), told to the visitor. */
function typedEnd(b: Buffer, at: number, key: string, w: Walk): number {
  const type = ostype(b, at);
  const end = valueEnd(b, at + 4, type, w);
  w.visit?.({ key, type, at: at + 4, end });
  return end;
}

/** Where a Unicode string (a count of UTF-16 units, then the units) at `at` ends. */
export function unicodeEnd(b: Buffer, at: number): number {
  return within(b, at + 4 + 2 * u32(b, at));
}

/**
 * Where a value of `type` at `at` ends. Every type of the format, as psd-tools reads them
 * (src/psd_tools/psd/descriptor.py): the documented ones, the undocumented `ObAr` (an object
 * array: a count, then a descriptor body whose items are usually unit floats), `UnFl` and
 * `Pth `, and the reference forms, which psd-tools accepts as values too.
 */
function valueEnd(b: Buffer, at: number, type: string, w: Walk): number {
  switch (type) {
    case "Objc":
    case "GlbO":
      return bodyEnd(b, at, { ...w, depth: w.depth + 1 });
    case "ObAr":
      return bodyEnd(b, within(b, at + 4), { ...w, depth: w.depth + 1 });
    case "VlLs":
    case "obj ":
      return listEnd(b, at, { ...w, depth: w.depth + 1 });
    case "doub":
    case "comp":
      return within(b, at + 8);
    case "UntF":
      return within(b, at + 12);
    case "long":
    case "Idnt":
    case "indx":
      return within(b, at + 4);
    case "bool":
      return within(b, at + 1);
    case "TEXT":
      return unicodeEnd(b, at);
    case "enum":
      return idEnd(b, idEnd(b, at));
    case "type":
    case "GlbC":
    case "Clss":
      return idEnd(b, unicodeEnd(b, at));
    case "prop":
      return idEnd(b, idEnd(b, unicodeEnd(b, at)));
    case "Enmr":
      return idEnd(b, idEnd(b, idEnd(b, unicodeEnd(b, at))));
    case "rele":
      return within(b, idEnd(b, unicodeEnd(b, at)) + 4);
    case "name":
      return unicodeEnd(b, idEnd(b, unicodeEnd(b, at)));
    case "alis":
    case "tdta":
    case "Pth ":
      return within(b, at + 4 + u32(b, at));
    case "UnFl":
      return within(b, at + 8 + 8 * u32(b, at + 4));
    default:
      throw new BadFileError(DAMAGED);
  }
}

/** A list (`VlLs`) or a reference (`obj `, whose items are the reference forms): a count, then typed values. */
function listEnd(b: Buffer, at: number, w: Walk): number {
  if (w.depth > MAX_DEPTH) throw new BadFileError(DAMAGED);
  const count = u32(b, at);
  let p = at + 4;
  for (let i = 0; i < count; i++) p = typedEnd(b, p, "", w);
  return p;
}

/** The class or key id at `at`, as text. */
function keyOf(b: Buffer, at: number): string {
  return b.toString("latin1", at + 4, idEnd(b, at));
}

/** A class or key id: a length, then that many bytes, or four when the length is 0. */
function idEnd(b: Buffer, at: number): number {
  const n = u32(b, at);
  return within(b, at + 4 + (n === 0 ? 4 : n));
}

function ostype(b: Buffer, at: number): string {
  within(b, at + 4);
  return b.toString("latin1", at, at + 4);
}

function u32(b: Buffer, at: number): number {
  within(b, at + 4);
  return b.readUInt32BE(at);
}

function within(b: Buffer, end: number): number {
  if (end > b.length) throw new BadFileError(DAMAGED);
  return end;
}
