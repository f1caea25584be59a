/** Colour specification methods: by number, restricted ICC, any ICC. Enumerated space 14, CIELab, may carry 7 parameters of 4 bytes. */
const ENUMERATED = 1;
const ICC_METHODS: ReadonlySet<number> = new Set([2, 3]);
const CIELAB = 14;
const ENUMERATED_LENGTH = 7;
const CIELAB_WITH_PARAMETERS = 7 + 7 * 4;

/**
 * How many bytes of a kept leaf box's payload `p` its fields take (ISO/IEC 15444-1 I.5,
 * 15444-2 M.11), for boxes whose fields say their own length: bytes past them are no field any
 * decoder reads (openjpeg, Kakadu and Pillow read the fields and stop), so they are room for
 * anything. `components` is the header's `ihdr` count, which a `bpcc` box has one byte for.
 * Null where the fields are not all there or their length is the box's (a colour method of
 * parameters, an opacity box's chroma key): such a box is kept as it is.
 */
export function fieldsLength(type: string, p: Buffer, components: number | null): number | null {
  const length = definedLength(type, p, components);
  return length != null && length <= p.length ? length : null;
}

function definedLength(type: string, p: Buffer, components: number | null): number | null {
  switch (type) {
    case "jP  ":
      return 4;
    case "ihdr":
      return 14;
    case "resc":
    case "resd":
      return 10;
    case "copt":
      return 9;
    case "bpcc":
      return components;
    case "cmap":
      return p.length - (p.length % 4);
    case "cdef":
      return p.length >= 2 ? 2 + 6 * p.readUInt16BE(0) : null;
    case "creg":
      return p.length >= 4 ? p.length - ((p.length - 4) % 6) : null;
    case "colr":
      return colourLength(p);
    case "pclr":
      return paletteLength(p);
    case "rreq":
      return requirementsLength(p);
    case "opct":
      return opacityLength(p);
    case "inst":
      return instructionsLength(p);
    default:
      return null;
  }
}

/** Method, precedence, approximation, then a space by number (CIELab's parameters when there) or an ICC profile of its stated size. */
function colourLength(p: Buffer): number | null {
  if (p.length < ENUMERATED_LENGTH) return null;
  if (p[0] === ENUMERATED) return p.readUInt32BE(3) === CIELAB && p.length >= CIELAB_WITH_PARAMETERS ? CIELAB_WITH_PARAMETERS : ENUMERATED_LENGTH;
  if (ICC_METHODS.has(p[0]!)) return 3 + p.readUInt32BE(3);
  return null;
}

/** Entries (2 bytes), columns (1), each column's depth (1 each), then each entry's values, each of its column's depth in whole bytes. */
function paletteLength(p: Buffer): number | null {
  if (p.length < 3) return null;
  const entries = p.readUInt16BE(0);
  const columns = p[2]!;
  if (p.length < 3 + columns) return null;
  let entryBytes = 0;
  for (let i = 0; i < columns; i++) entryBytes += Math.ceil(((p[3 + i]! & 0x7f) + 1) / 8);
  return 3 + columns + entries * entryBytes;
}

/**
 * Mask length (1), the fully and the decode-completely masks, then the standard features (2-byte
 * count; each a 2-byte number and a mask) and the vendor features (2-byte count; each a 16-byte
 * UUID and a mask).
 */
function requirementsLength(p: Buffer): number | null {
  if (p.length < 1) return null;
  const mask = p[0]!;
  let at = 1 + 2 * mask;
  if (p.length < at + 2) return null;
  at += 2 + p.readUInt16BE(at) * (2 + mask);
  if (p.length < at + 2) return null;
  return at + 2 + p.readUInt16BE(at) * (16 + mask);
}

/**
 * The opacity type (1): the last channel is opacity (0) or premultiplied opacity (1), alone; a
 * chroma key (2) is followed by a value per channel, each as long as that channel's bit depth,
 * which the codestream states: kept whole.
 */
function opacityLength(p: Buffer): number | null {
  if (p.length < 1) return null;
  return p[0] === CHROMA_KEY ? null : 1;
}
const CHROMA_KEY = 2;

/**
 * The instruction type (2), repetitions (2) and tick (4), then whole instructions, each of the
 * fields the type's bits name (4 bytes each): offset (bit 0: two), size (bit 1: two), life and
 * next use (bit 2: two), crop (bit 5: four). Kakadu reads them this way.
 */
function instructionsLength(p: Buffer): number | null {
  if (p.length < 8) return null;
  const type = p.readUInt16BE(0);
  const each = INSTRUCTION_FIELDS.reduce((n, [bit, fields]) => n + ((type & bit) !== 0 ? 4 * fields : 0), 0);
  return each === 0 ? 8 : 8 + Math.floor((p.length - 8) / each) * each;
}
const INSTRUCTION_FIELDS: readonly (readonly [bit: number, fields: number])[] = [[1, 2], [2, 2], [4, 2], [32, 4]];

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
