import { childBoxes } from "../media/iso-boxes.js";

/** The boxes of a JP2 header (ISO/IEC 15444-1 I.5.3): numbers a decoder reads, no text. */
const HEADER_CHILDREN = new Set(["ihdr", "bpcc", "colr", "pclr", "cdef", "cmap", "res "]);
const RESOLUTION_CHILDREN = new Set(["resc", "resd"]);
/** A colour specification by enumerated colour space: method, precedence, approximation, space. */
const ENUMERATED_COLOUR = 1;
const ENUMERATED_COLOUR_LENGTH = 7;

/**
 * Whether the JP2 header box whose payload is `buf[from, to)` holds only what shows the picture:
 * the image header, bit depths, palette, channel definitions, resolutions and a colour space
 * given by its number. An ICC profile (colour methods 2 and 3) carries its maker's text
 * (description, copyright), and an unknown box anything: such a header is not plain.
 */
export function plainJp2Header(buf: Buffer, from: number, to: number): boolean {
  const children = childBoxes(buf, from, to);
  if (children == null) return false;
  return children.every((b) => {
    if (!HEADER_CHILDREN.has(b.type)) return false;
    const payload = b.at + b.header;
    if (b.type === "colr") return b.size - b.header === ENUMERATED_COLOUR_LENGTH && buf[payload] === ENUMERATED_COLOUR;
    if (b.type !== "res ") return true;
    const resolutions = childBoxes(buf, payload, b.at + b.size);
    return resolutions != null && resolutions.every((r) => RESOLUTION_CHILDREN.has(r.type));
  });
}
