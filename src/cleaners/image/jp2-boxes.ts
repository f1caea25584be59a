import { BadFileError, TooComplexError } from "../errors.js";
import { boxHeader, childBoxes, type Box as IsoBox } from "../media/iso-boxes.js";
import type { FileBytes } from "../file-bytes.js";
import { RangeWriter } from "../range-writer.js";
import { boxAt, type Box } from "./box-at.js";
import { fileTypeFields, keptFields, type PictureShape } from "./jp2-box-fields.js";
import { headerDepths } from "./jp2-shape.js";

/**
 * The top-level JP2/JPX boxes a decoder reads to show the picture (ISO/IEC 15444-1 Annex I,
 * 15444-2 Annex M): signature, file type, reader requirements, the JP2 header, JPX's codestream
 * and compositing layer headers and its composition (animation), and the codestreams. Every other
 * box goes, whatever ExifTool makes of it: labels, association boxes, XML, UUID boxes and their
 * info, intellectual property, MPEG-7, digital signatures, desired reproductions (an output ICC
 * profile), free boxes, ROI notes, cross-references, data references and media data (which only
 * fragment tables, refused before, would point into), and any type of no standard.
 */
export const PICTURE_BOXES: ReadonlySet<string> = new Set(["jP  ", "ftyp", "rreq", "jp2h", "jpch", "jplh", "comp", "jp2c"]);

/**
 * The top-level boxes of a JPEG XL file that show the picture (ISO/IEC 18181-2): signature, file
 * type, level, the codestream whole or in parts, and the frame index. Exif, XML, JUMBF (a C2PA
 * manifest, which ExifTool keeps), Brotli-compressed metadata, the JPEG reconstruction data
 * (`jbrd`: the original JPEG's comments and other APP segments, which ExifTool does not read) and
 * any other box go; the picture decodes the same from the codestream.
 */
export const JXL_PICTURE_BOXES: ReadonlySet<string> = new Set(["JXL ", "ftyp", "jxll", "jxlc", "jxlp", "jxli"]);

/**
 * What each superbox a decoder reads may keep of its children, by the same standards: the JP2
 * header's image header, bit depths, colour specifications, palette, component mapping, channel
 * definitions and resolutions; a codestream header's own image header, bit depths, palette and
 * mapping; a compositing layer's colour group, opacity, channel definitions, registration and
 * resolution; a composition's options and instructions. Labels (`lbl `), which Part 2 lets every
 * header hold, and ROI descriptions go with anything else.
 */
const PICTURE_CHILDREN: ReadonlyMap<string, ReadonlySet<string>> = new Map([
  ["jp2h", new Set(["ihdr", "bpcc", "colr", "pclr", "cmap", "cdef", "res "])],
  ["jpch", new Set(["ihdr", "bpcc", "pclr", "cmap"])],
  ["jplh", new Set(["cgrp", "opct", "cdef", "creg", "res "])],
  ["cgrp", new Set(["colr"])],
  ["res ", new Set(["resc", "resd"])],
  ["comp", new Set(["copt", "inst"])],
]);

/**
 * Superboxes a decoder can do without, left out whole when their children do not fit in them: a
 * damaged resolution box (Pillow's invalid_header_length.jp2), which openjpeg and Pillow skip.
 */
const OPTIONAL_SUPERBOXES: ReadonlySet<string> = new Set(["res "]);

/**
 * A header superbox is rebuilt in memory; real ones are a few numbers and at most an ICC profile
 * (a few hundred kB).
 */
const MAX_SUPERBOX = 16 * 1024 * 1024;

/** Box headers are at least this long: 32-bit length and type. */
const HEADER = 8;

/** Top-level boxes kept with only their fields (jp2-box-fields.ts): the signature, the reader requirements and JPEG XL's level. */
const TRIMMED_TOP: ReadonlySet<string> = new Set(["jP  ", "rreq", "jxll"]);

/**
 * Copies a JPEG 2000 file (or a JPEG XL one, with `kept` JXL_PICTURE_BOXES) with only the boxes
 * that show the picture, at the top level and inside the headers (PICTURE_BOXES,
 * PICTURE_CHILDREN): the kept boxes byte for byte but for bytes past their fields and the file
 * type's unknown brands (cut: see jp2-box-fields.ts), a header that lost or changed a child
 * rebuilt around the rest. A vendor's colour specification goes, and with `dropIcc` one by ICC
 * profile too (see withoutUnusedColours).
 */
export async function keepPictureBoxes(input: string, output: string, kept = PICTURE_BOXES, dropIcc = false): Promise<void> {
  await RangeWriter.rewrite(input, output, "wx", async (src, out) => {
    const file = await fileShape(src);
    const top: PictureShape = { ...file, components: null, paletteIndexBits: null };
    for (let at = 0; at < src.size; ) {
      const box = jp2BoxAt(await src.read(at, 16), at, src.size - at);
      if (kept.has(box.type) && TRIMMED_TOP.has(box.type) && box.size <= MAX_SUPERBOX) {
        const bytes = Buffer.from(await src.read(at, box.size));
        out.bytes(trimmed(bytes, { type: box.type, at: 0, header: box.headerSize, size: box.size }, top) ?? bytes);
      } else if (kept.has(box.type) && box.type === "ftyp" && box.size <= MAX_SUPERBOX) {
        const fields = fileTypeFields(Buffer.from(await src.read(at + box.headerSize, box.size - box.headerSize)));
        if (fields == null) out.copy(at, at + box.size);
        else out.bytes(Buffer.concat([boxHeader("ftyp", fields.length), fields]));
      } else if (kept.has(box.type) && !PICTURE_CHILDREN.has(box.type)) out.copy(at, at + box.size);
      else if (kept.has(box.type)) {
        if (box.size > MAX_SUPERBOX) throw new TooComplexError(`jpeg 2000: a ${box.type} box of ${box.size} bytes`);
        const kept = keptChildren(Buffer.from(await src.read(at, box.size)), box.type, box.headerSize, at, { dropIcc, file })!;
        if (kept.dropped === 0) out.copy(at, at + box.size);
        else out.bytes(kept.bytes);
      }
      if (out.full) await out.flush();
      at += box.size;
    }
  });
}

/**
 * The superbox `buf` (of `type`, payload after `header`) with only its allowed children, at every
 * depth; null for an optional superbox whose children do not fit in it.
 */
function keptChildren(buf: Buffer, type: string, header: number, at: number, how: KeptHow): { bytes: Buffer; dropped: number } | null {
  const allowed = PICTURE_CHILDREN.get(type)!;
  const children = childBoxes(buf, header, buf.length);
  if (children == null && OPTIONAL_SUPERBOXES.has(type)) return null;
  if (children == null) throw damaged(`the boxes inside the ${JSON.stringify(type)} box at byte ${at} do not fit in it`);
  const colours = withoutUnusedColours(buf, children, how.dropIcc);
  const { components, paletteIndexBits } = headerDepths(buf, children);
  const shape: PictureShape = { ...how.file, components, paletteIndexBits };
  // Children left out or cut: either way the superbox is rebuilt.
  let dropped = colours.dropped;
  const parts: Buffer[] = [];
  for (const child of children) {
    if (!allowed.has(child.type) || colours.replaced.get(child) === null) {
      dropped += allowed.has(child.type) ? 0 : 1;
      continue;
    }
    const replacement = colours.replaced.get(child);
    if (replacement != null) {
      parts.push(replacement);
      continue;
    }
    const bytes = buf.subarray(child.at, child.at + child.size);
    if (!PICTURE_CHILDREN.has(child.type)) {
      const cut = trimmed(buf, child, shape);
      dropped += cut == null ? 0 : 1;
      parts.push(cut ?? bytes);
    } else {
      const kept = keptChildren(bytes, child.type, child.header, at + child.at, how);
      dropped += kept?.dropped ?? 1;
      if (kept != null) parts.push(kept.bytes);
    }
  }
  if (dropped === 0) return { bytes: buf, dropped };
  const payload = Buffer.concat(parts);
  return { bytes: Buffer.concat([boxHeader(type, payload.length), payload]), dropped };
}

/** How a superbox's children are kept: whether ICC profiles go, and what the file's top level says (fileShape). */
interface KeptHow {
  dropIcc: boolean;
  file: Pick<PictureShape, "keyBytes" | "layers">;
}

/** The box `b` of `buf` cut to its fields (keptFields), or null when they are all it holds. */
function trimmed(buf: Buffer, b: IsoBox, shape: PictureShape): Buffer | null {
  const fields = keptFields(b.type, buf.subarray(b.at + b.header, b.at + b.size), shape);
  return fields == null ? null : Buffer.concat([boxHeader(b.type, fields.length), fields]);
}

/** The widest component or channel JPEG 2000 has: 38 bits, 5 bytes. */
const WIDEST_BYTES = 5;

/**
 * What the file's top level says, walked before the copy: how many compositing layers there are
 * (one without any layer header: the JP2 header's), and the widest component or palette column of
 * any header, in bytes (the widest there is where none says).
 */
async function fileShape(src: FileBytes): Promise<KeptHow["file"]> {
  let layers = 0;
  let widest = 0;
  for (let at = 0; at < src.size; ) {
    const box = jp2BoxAt(await src.read(at, 16), at, src.size - at);
    if (box.type === "jplh") layers++;
    if ((box.type === "jp2h" || box.type === "jpch") && box.size <= MAX_SUPERBOX) {
      const buf = Buffer.from(await src.read(at, box.size));
      const children = childBoxes(buf, box.headerSize, buf.length) ?? [];
      const { depths, paletteDepths } = headerDepths(buf, children);
      for (const d of [...depths, ...paletteDepths]) widest = Math.max(widest, Math.ceil(d / 8));
    }
    at += box.size;
  }
  return { layers: Math.max(layers, 1), keyBytes: widest || WIDEST_BYTES };
}

/**
 * Colour specification methods (ISO/IEC 15444-1 I.5.3.3, 15444-2 M.11.7.2, Amd. 3): by number,
 * restricted ICC, any ICC, parameters (ITU-T H.273's code points). Method 4 is a vendor's: a UUID
 * and parameters only that vendor's software reads (openjpeg and Pillow skip the box).
 */
const ENUMERATED = 1;
const ICC_METHODS: ReadonlySet<number> = new Set([2, 3]);
const READ_METHODS: ReadonlySet<number> = new Set([ENUMERATED, ...ICC_METHODS, 5]);
/** Enumerated colour spaces: sRGB, greyscale. */
const SRGB = 16;
const GREYSCALE = 17;

/**
 * The colour specifications (`colr`) of a header that go: any of a vendor's method or of no
 * standard's, room for anything, and with `dropIcc` the ICC profiles, which carry their maker's
 * text (description, copyright, dates) and which ExifTool's rewrite keeps. Readers take the first
 * they can use, so they go where another stands beside them; were none left, the first becomes a
 * colour space by number, sRGB (greyscale for a picture of one or two components, from the
 * header's `ihdr`), so the picture is shown as untagged, as a JPEG whose profile was removed.
 * Maps each changed `colr` to its replacement, null for one that goes.
 */
function withoutUnusedColours(buf: Buffer, children: readonly IsoBox[], dropIcc: boolean): { replaced: Map<IsoBox, Buffer | null>; dropped: number } {
  const colours = children.filter((c) => c.type === "colr" && c.size - c.header >= 3);
  const goes = (method: number): boolean => !READ_METHODS.has(method) || (dropIcc && ICC_METHODS.has(method));
  const going = colours.filter((c) => goes(buf[c.at + c.header]!));
  const replaced = new Map<IsoBox, Buffer | null>();
  if (going.length === 0) return { replaced, dropped: 0 };
  for (const c of going) replaced.set(c, null);
  if (going.length === colours.length) {
    const ihdr = children.find((c) => c.type === "ihdr" && c.size - c.header >= 10);
    const components = ihdr == null ? 3 : buf.readUInt16BE(ihdr.at + ihdr.header + 8);
    const payload = Buffer.alloc(7);
    payload[0] = ENUMERATED;
    payload.writeUInt32BE(components <= 2 ? GREYSCALE : SRGB, 3);
    replaced.set(going[0]!, Buffer.concat([boxHeader("colr", payload.length), payload]));
  }
  return { replaced, dropped: going.length };
}

/**
 * The box at byte `at` whose header is the start of `head` (16 bytes, fewer at the end), with
 * `room` bytes left where it stands (in the file, or in a movie's frame: `within`). A length of 1
 * means a 64-bit length after the type, 0 a box running to the end.
 */
export function jp2BoxAt(head: Buffer, at: number, room: number, within = "the file"): Box {
  if (head.length < HEADER) throw damaged(`a box header at byte ${at} is cut short`);
  const box = boxAt(head, 0, room);
  if (box == null) throw damaged(`the ${JSON.stringify(head.toString("latin1", 4, 8))} box at byte ${at} does not fit in ${within}`);
  return box;
}

export function damaged(why: string): BadFileError {
  return new BadFileError(`The JPEG 2000 file is damaged: ${why}.`);
}
