import { BadFileError, TooComplexError } from "../errors.js";
import type { FileBytes } from "../file-bytes.js";

/** The magic number and the version field (version 2 in its low byte, then flags). */
export const EXR_PREAMBLE = 8;
export const EXR_MAGIC = 0x01312f76;
export const TILED = 0x200;
const LONG_NAMES = 0x400;
export const NON_IMAGE = 0x800;
export const MULTIPART = 0x1000;
/** Headers no real file comes near: a preview is one attribute, and a part is one header. */
const MAX_ATTRIBUTES = 10_000;
const MAX_PARTS = 10_000;

/** One attribute of a header: its name, its type's name and where its value lies in the file. */
export interface ExrAttribute {
  name: string;
  type: string;
  valueAt: number;
  size: number;
}

/** A part's header: its attributes by name. */
export interface ExrHeader {
  attributes: Map<string, ExrAttribute>;
}

/**
 * The headers of an OpenEXR file (https://openexr.com/en/latest/OpenEXRFileLayout.html): after
 * the preamble, attributes (name, NUL, type name, NUL, a 32-bit size, the value), each header
 * ended by a NUL; a multi-part file has one header per part and an empty one after the last.
 * Values are not read here: a preview's pixels can be megabytes. Returns them and where the
 * offset tables start.
 */
export async function readExrHeaders(src: FileBytes): Promise<{ flags: number; headers: ExrHeader[]; end: number }> {
  const preamble = await src.read(0, EXR_PREAMBLE);
  if (preamble.length < EXR_PREAMBLE || preamble.readUInt32LE(0) !== EXR_MAGIC) throw damagedExr("it does not start like one");
  const version = preamble.readUInt32LE(4);
  if ((version & 0xff) !== 2) throw damagedExr(`its format version (${version & 0xff}) is not 2`);
  const nameLimit = (version & LONG_NAMES) !== 0 ? 255 : 31;
  const headers: ExrHeader[] = [];
  let at = EXR_PREAMBLE;
  let attributes = 0;
  for (;;) {
    const attrs = new Map<string, ExrAttribute>();
    for (;;) {
      const name = await nulTerminated(src, at, nameLimit);
      at += name.length + 1;
      if (name === "") break;
      const type = await nulTerminated(src, at, nameLimit);
      at += type.length + 1;
      const sizeField = await src.read(at, 4);
      if (sizeField.length < 4) throw damagedExr("its header is cut short");
      const size = sizeField.readInt32LE(0);
      if (type === "" || size < 0 || at + 4 + size > src.size) throw damagedExr("an attribute of its header is damaged");
      if (attrs.has(name)) throw damagedExr("its header names an attribute twice");
      if (++attributes > MAX_ATTRIBUTES) throw new TooComplexError(`an OpenEXR header of more than ${MAX_ATTRIBUTES} attributes`);
      attrs.set(name, { name, type, valueAt: at + 4, size });
      at += 4 + size;
    }
    if (attrs.size === 0) {
      if (headers.length === 0) throw damagedExr("its header is empty");
      break;
    }
    headers.push({ attributes: attrs });
    if ((version & MULTIPART) === 0) break;
    if (headers.length > MAX_PARTS) throw new TooComplexError(`an OpenEXR file of more than ${MAX_PARTS} parts`);
  }
  return { flags: version & ~0xff, headers, end: at };
}

/** The text at `at` up to its NUL, at most `limit` bytes long. */
async function nulTerminated(src: FileBytes, at: number, limit: number): Promise<string> {
  const bytes = await src.read(at, limit + 1);
  const end = bytes.indexOf(0);
  if (end < 0) throw damagedExr(bytes.length <= limit ? "its header is cut short" : "a name in its header is too long");
  return bytes.toString("latin1", 0, end);
}

export function damagedExr(why: string): BadFileError {
  return new BadFileError(`The OpenEXR picture could not be read: ${why}.`);
}
