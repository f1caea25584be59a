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
 * Null where the fields are not all there or their length is the box's (a vendor colour
 * method's parameters, JPX opacity and instruction boxes): such a box is kept as it is.
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
