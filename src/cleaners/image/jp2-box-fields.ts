/** Colour specification methods: by number, restricted ICC, any ICC, parameters (ITU-T H.273's code points). */
const ENUMERATED = 1;
const ICC_METHODS: ReadonlySet<number> = new Set([2, 3]);
const PARAMETERS = 5;
const ENUMERATED_LENGTH = 7;
/** Method, precedence, approximation, then three 16-bit code points and the full-range flag's byte. */
const PARAMETERS_LENGTH = 10;
/** Enumerated spaces with parameters (ISO/IEC 15444-2 M.11.7.4): CIELab 7 of 4 bytes, CIEJab 6. */
const SPACE_PARAMETERS: ReadonlyMap<number, number> = new Map([[14, 7], [19, 6]]);

/**
 * What some boxes' fields are measured against, read from the headers (ihdr, bpcc, cmap, pclr)
 * and the file's top level.
 */
export interface PictureShape {
  /** The header's component count (a bpcc box has a byte for each), null without an image header. */
  components: number | null;
  /** The most bits of a component that a palette maps (cmap), null when none or unknown: its indices reach 2^bits entries, no more. */
  paletteIndexBits: number | null;
  /** The bytes of the widest channel value of the file's headers: an opacity box's chroma key has one value per channel. */
  keyBytes: number;
  /** The file's compositing layers: each instruction of a composition places one. */
  layers: number;
}

/**
 * The payload `p` of a kept leaf box cut to its fields (ISO/IEC 15444-1 I.5, 15444-2 M.11), or
 * null when nothing changes: bytes past the fields are no field any decoder reads (openjpeg,
 * Kakadu and Pillow read the fields and stop), so they are room for anything; so are a palette's
 * entries past what its index component can reach (openjpeg clamps an index to the last entry:
 * none reaches them), the instructions past the file's compositing layers (each instruction
 * places the next layer) and the reader requirements' vendor features (16-byte UUIDs naming a
 * vendor's boxes, which all go). A box whose fields are not all there is kept as it is. A few
 * bytes within the fields say nothing in the copy: they are zeroed (spareBytes).
 */
export function keptFields(type: string, p: Buffer, shape: PictureShape): Buffer | null {
  if (type === "pclr") return reachablePalette(p, shape.paletteIndexBits);
  if (type === "rreq") return requirementsWithoutVendors(p);
  const length = definedLength(type, p, shape);
  const fields = length != null && length < p.length ? p.subarray(0, length) : p;
  const spare = spareBytes(type, fields).filter((i) => fields[i] !== 0);
  if (spare.length === 0) return fields === p ? null : fields;
  const out = Buffer.from(fields);
  for (const i of spare) out[i] = 0;
  return out;
}

/**
 * Bytes within a box's fields that say nothing in this copy, to be zero: the image header's IPR
 * flag (byte 13), which tells that an intellectual property box is there, when no such box is
 * kept (none ever is: jp2-boxes.ts), and the palette column of a component mapping's entry of
 * direct use (type 0), which the standard says is 0 (I.5.3.5) and no reader looks at then.
 */
function spareBytes(type: string, fields: Buffer): number[] {
  if (type === "ihdr") return fields.length >= 14 ? [IPR] : [];
  if (type !== "cmap") return [];
  const spare: number[] = [];
  for (let at = 0; at + 4 <= fields.length; at += 4) if (fields[at + 2] === DIRECT_USE) spare.push(at + 3);
  return spare;
}
const IPR = 13;
const DIRECT_USE = 0;

function definedLength(type: string, p: Buffer, shape: PictureShape): number | null {
  switch (type) {
    case "jP  ":
      return 4;
    case "jxll":
      return 1;
    case "ihdr":
      return 14;
    case "resc":
    case "resd":
      return 10;
    case "copt":
      return 9;
    case "bpcc":
      return shape.components;
    case "cmap":
      return p.length - (p.length % 4);
    case "cdef":
      return p.length >= 2 ? 2 + 6 * p.readUInt16BE(0) : null;
    case "creg":
      return p.length >= 4 ? p.length - ((p.length - 4) % 6) : null;
    case "colr":
      return colourLength(p);
    case "opct":
      return opacityLength(p, shape.keyBytes);
    case "inst":
      return instructionsLength(p, shape.layers);
    default:
      return null;
  }
}

/**
 * Method, precedence, approximation, then a space by number (CIELab's or CIEJab's parameters when
 * there), an ICC profile of its stated size or H.273's code points. A vendor's method goes whole
 * (jp2-boxes.ts).
 */
function colourLength(p: Buffer): number | null {
  if (p.length < ENUMERATED_LENGTH) return null;
  if (p[0] === ENUMERATED) {
    const parameters = ENUMERATED_LENGTH + 4 * (SPACE_PARAMETERS.get(p.readUInt32BE(3)) ?? 0);
    return p.length >= parameters ? parameters : ENUMERATED_LENGTH;
  }
  if (ICC_METHODS.has(p[0]!)) return 3 + p.readUInt32BE(3);
  return p[0] === PARAMETERS ? PARAMETERS_LENGTH : null;
}

/**
 * A palette's entries (2 bytes), columns (1), each column's depth (1 each), then each entry's
 * values, each of its column's depth in whole bytes; cut to the entries an index of
 * `indexBits` reaches (null: all), its count with them.
 */
function reachablePalette(p: Buffer, indexBits: number | null): Buffer | null {
  if (p.length < 3) return null;
  const stated = p.readUInt16BE(0);
  const columns = p[2]!;
  if (p.length < 3 + columns) return null;
  let entryBytes = 0;
  for (let i = 0; i < columns; i++) entryBytes += Math.ceil(((p[3 + i]! & 0x7f) + 1) / 8);
  const entries = indexBits == null ? stated : Math.min(stated, 2 ** indexBits);
  const length = 3 + columns + entries * entryBytes;
  if (length > p.length || (entries === stated && length === p.length)) return null;
  const out = Buffer.from(p.subarray(0, length));
  out.writeUInt16BE(entries, 0);
  return out;
}

/**
 * Reader requirements: mask length (1), the fully and the decode-completely masks, then the
 * standard features (2-byte count; each a 2-byte number and a mask), then the vendor features
 * (2-byte count; each a 16-byte UUID and a mask), left with none.
 */
function requirementsWithoutVendors(p: Buffer): Buffer | null {
  if (p.length < 1) return null;
  const mask = p[0]!;
  let at = 1 + 2 * mask;
  if (p.length < at + 2) return null;
  at += 2 + p.readUInt16BE(at) * (2 + mask);
  if (p.length < at + 2 || (p.length === at + 2 && p.readUInt16BE(at) === 0)) return null;
  const out = Buffer.from(p.subarray(0, at + 2));
  out.writeUInt16BE(0, at);
  return out;
}

/**
 * The opacity type (1): the last channel is opacity (0) or premultiplied opacity (1), alone; a
 * chroma key (2) is followed by the number of channels (1) and a value for each, as many whole
 * bytes as that channel's bit depth takes: at most `keyBytes`.
 */
function opacityLength(p: Buffer, keyBytes: number): number | null {
  if (p.length < 1) return null;
  if (p[0] !== CHROMA_KEY) return 1;
  return p.length < 2 ? null : 2 + p[1]! * keyBytes;
}
const CHROMA_KEY = 2;

/**
 * The instruction type (2), repetitions (2) and tick (4), then whole instructions, each of the
 * fields the type's bits name (4 bytes each): offset (bit 0: two), size (bit 1: two), life and
 * next use (bit 2: two), crop (bit 5: four); Kakadu reads them this way. Each places the next
 * compositing layer but one a former instruction's next use points to, which places that one
 * again (taken as the instruction after those between, or the one after it): instructions
 * past the file's `layers` place none.
 */
function instructionsLength(p: Buffer, layers: number): number | null {
  if (p.length < 8) return null;
  const type = p.readUInt16BE(0);
  const each = INSTRUCTION_FIELDS.reduce((n, [bit, fields]) => n + ((type & bit) !== 0 ? 4 * fields : 0), 0);
  if (each === 0) return 8;
  const stated = Math.floor((p.length - 8) / each);
  const nextUse = (type & LIFE) === 0 ? null : INSTRUCTION_FIELDS.reduce((n, [bit, fields]) => n + (bit < LIFE && (type & bit) !== 0 ? 4 * fields : 0), 4);
  const reused = new Set<number>();
  let placed = 0;
  let i = 0;
  for (; i < stated; i++) {
    // Only the instructions still ahead are held: a walk of millions stays small.
    if (!reused.delete(i)) {
      if (placed === layers) break;
      placed++;
    }
    const next = nextUse == null ? 0 : p.readUInt32BE(8 + i * each + nextUse);
    if (next !== 0 && i + next < stated) reused.add(i + next).add(i + next + 1);
  }
  return 8 + i * each;
}
const INSTRUCTION_FIELDS: readonly (readonly [bit: number, fields: number])[] = [[1, 2], [2, 2], [4, 2], [32, 4]];
const LIFE = 4;

/**
 * Brands of the JPEG 2000 family (ISO/IEC 15444-1, -2, -3, -6, -15) and of JPEG XL (18181-2): a
 * reader checks the file type box's compatibility list for its own; any other entry is four
 * bytes of anything.
 */
const BRANDS: ReadonlySet<string> = new Set(["jp2 ", "jpx ", "jpxb", "jpm ", "mjp2", "mj2s", "jph ", "jhc ", "jxl "]);

/**
 * The file type box's payload `p` with only the known brands in its compatibility list and its
 * minor version zero (as both standards set it; readers do not look at it); null when it is too
 * short to hold its brand and minor version.
 */
export function fileTypeFields(p: Buffer): Buffer | null {
  if (p.length < 8) return null;
  const kept: Buffer[] = [p.subarray(0, 4), Buffer.alloc(4)];
  for (let at = 8; at + 4 <= p.length; at += 4) if (BRANDS.has(p.toString("latin1", at, at + 4))) kept.push(p.subarray(at, at + 4));
  return Buffer.concat(kept);
}
