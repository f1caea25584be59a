import fsp from "node:fs/promises";
import { BadFileError, TooComplexError } from "../errors.js";
import { av1ConfigPadded } from "../media/av1-config.js";
import { cleanNalConfig } from "../media/iso-sei.js";
import { boxAt, type Box } from "./box-at.js";
import { itemInfoEntries, XMP_MIME } from "./heif-item-info.js";

/** Where a `hdlr` box's name starts in its payload: after version and flags, pre_defined, handler type and 12 reserved bytes. */
const HANDLER_NAME = 24;

/** The `meta` box (item properties, locations, Exif/XMP items) is read whole up to this size. */
const MAX_META_BYTES = 16 * 1024 * 1024;

export interface ScrubResult {
  /** ICC profiles (`colr` boxes of type `prof`/`rICC`) blanked. */
  iccProfiles: number;
}

/**
 * What ExifTool's rewrite of a HEIF/AVIF leaves, blanked in place (no box moves, so item
 * locations stay valid):
 * - the ICC profile: a `colr` item property of type `prof` or `rICC` (ISO/IEC 23008-12 6.5.5),
 *   which ExifTool cannot delete (it reports the deletion, then writes the profile back). The box
 *   becomes a `free` box of the same size, its bytes zeroed; the item's association (`ipma`)
 *   points at it by index, and readers skip properties they do not know unless marked essential,
 *   which `colr` never is. The picture is then shown as untagged (sRGB), exactly as a JPEG whose
 *   ICC profile was removed; `keep=colorProfile` keeps it. An `nclx` colour description stays.
 * - the contents of `free`/`skip` boxes at the top level, in `meta`, `iprp` and `ipco`: padding
 *   by definition, but whatever an editor left there (old metadata) would otherwise travel along.
 * - a maker's `uuid` box in `meta`, which becomes a `free` box of zeros: Canon's HIF holds its
 *   "compressor version" there (a `CNCV` box, "CanonHEIF001/10.00.01/00.00.00": format and
 *   firmware versions, which ExifTool reads as MetaVersion, and its rewrite keeps). HEIF readers
 *   know no `uuid` box in `meta`, and skip it.
 * - the name of `meta`'s handler (`hdlr`), free text that encoders sign ("libavif") and ExifTool's
 *   rewrite keeps; readers go by the handler type before it.
 * - in the codec configuration properties (`hvcC`, `av1C`), which ExifTool carries along whole:
 *   SEI user data and whatever follows the record's fields (cleanCodecConfig); in the properties
 *   of numbers (size, pixel depth, aspect ratio, crop, rotation, mirroring, `nclx` colour, an
 *   AV1 picture's layers, HDR mastering and light levels): the bytes past their fields (fieldsEnd).
 * - in the camera properties of Apple's spatial photos (`uuid` boxes of known UUID): the bytes past
 *   their fields (cameraFieldsEnd).
 * - in the groups of pictures that are one another's alternatives (`altr`: a picture with and
 *   without alpha, as Nokia's and Samsung's write) or a stereo pair (`ster`: Apple's spatial
 *   photos), the bytes past their entity ids.
 */
export async function scrubHeifBoxes(file: string, dropIcc: boolean): Promise<ScrubResult> {
  const fh = await fsp.open(file, "r+");
  const result: ScrubResult = { iccProfiles: 0 };
  try {
    const { size: fileSize } = await fh.stat();
    const head = Buffer.alloc(16);
    for (let pos = 0; pos < fileSize; ) {
      const { bytesRead } = await fh.read(head, 0, 16, pos);
      const box = boxAt(head.subarray(0, bytesRead), 0, fileSize - pos);
      if (box == null) throw damaged(`a top-level box at ${pos} is cut short`);
      if (isPadding(box.type)) await zeroRange(fh, pos + box.headerSize, pos + box.size);
      if (box.type === "meta") {
        if (box.size > MAX_META_BYTES) throw new TooComplexError(`a HEIF meta box of ${box.size} bytes`);
        const meta = Buffer.alloc(box.size);
        await fh.read(meta, 0, box.size, pos);
        // `meta` is a full box: version and flags before its children.
        scrubChildren(meta, box.headerSize + 4, box.size, ["meta"], dropIcc, result);
        await fh.write(meta, 0, meta.length, pos);
      }
      pos += box.size;
    }
  } finally {
    await fh.close();
  }
  return result;
}

function scrubChildren(buf: Buffer, from: number, to: number, path: readonly string[], dropIcc: boolean, result: ScrubResult): void {
  for (let pos = from; pos < to; ) {
    const box = boxAt(buf, pos, to - pos);
    if (box == null) throw damaged(`a box inside ${path.join("/")} is cut short`);
    const end = pos + box.size;
    const parent = path[path.length - 1];
    if (isPadding(box.type)) buf.fill(0, pos + box.headerSize, end);
    else if (box.type === "uuid" && parent === "meta") toFree(buf, pos, box, end);
    else if (box.type === "hdlr" && parent === "meta") buf.fill(0, Math.min(end, pos + box.headerSize + HANDLER_NAME), end);
    else if (box.type === "iinf" && parent === "meta") forgetXmpEncodings(buf, pos + box.headerSize, end);
    else if (box.type === "grpl" && parent === "meta") scrubChildren(buf, pos + box.headerSize, end, [...path, "grpl"], dropIcc, result);
    else if (parent === "grpl" && ENTITY_GROUPS.has(box.type)) buf.fill(0, entityGroupEnd(buf, pos + box.headerSize, end), end);
    else if (box.type === "iprp" && parent === "meta") scrubChildren(buf, pos + box.headerSize, end, [...path, "iprp"], dropIcc, result);
    else if (box.type === "ipco" && parent === "iprp") scrubChildren(buf, pos + box.headerSize, end, [...path, "ipco"], dropIcc, result);
    else if (parent === "ipco") scrubProperty(buf, pos, box, dropIcc, result);
    pos = end;
  }
}

/**
 * ExifTool's rewrite empties an XMP item but keeps the content encoding its `infe` declares, and
 * libheif 1.15 never returns from inflating an empty deflated item (heif-convert and ImageMagick
 * hang on such a copy): an XMP item's encoding becomes the empty string, zeros of the same length.
 * Versions 0 and 1 of `infe` too: ExifTool empties their items as well (a type name is no part of
 * them), and a reader that inflates by the encoding alone would loop on those.
 */
function forgetXmpEncodings(buf: Buffer, from: number, to: number): void {
  for (const entry of itemInfoEntries(buf, from, to)) {
    if (entry == null) throw damaged("an item information entry is cut short");
    const content = entry.fields?.content;
    if (entry.fields?.name.terminated && content?.type.terminated && content.type.value === XMP_MIME) buf.fill(0, content.encoding.from, content.encoding.to);
  }
}

/** One item property (the box at `at`) as heif-boxes.ts leaves it. */
function scrubProperty(buf: Buffer, at: number, box: Box, dropIcc: boolean, result: ScrubResult): void {
  const payload = at + box.headerSize;
  const end = at + box.size;
  if (box.type === "hvcC" || box.type === "av1C") buf.set(cleanCodecConfig(buf.subarray(payload, end), box.type), payload);
  else if (box.type === "colr" && dropIcc && isIcc(buf, payload, end)) {
    toFree(buf, at, box, end);
    result.iccProfiles++;
  } else buf.fill(0, fieldsEnd(buf, box.type, payload, end), end);
}

/**
 * A picture's codec configuration as a decoder needs it, the same length: an `hvcC` with the SEI
 * user data of its arrays overwritten and the bytes past its last array zeroed (libheif reads no
 * further), an `av1C` with what follows its sequence header made padding (av1-config.ts).
 */
function cleanCodecConfig(record: Buffer, type: "hvcC" | "av1C"): Buffer {
  if (type === "av1C") {
    const padded = av1ConfigPadded(record);
    if (padded == null) throw damaged("an av1C item property is no AV1 codec configuration");
    return padded;
  }
  const cleaned = cleanNalConfig(record, "hevc");
  if (cleaned == null) throw damaged("the NAL arrays of an hvcC item property run past it");
  return cleaned.record.fill(0, cleaned.length);
}

/**
 * The bytes of the item properties made only of numbers, version and flags included for full
 * boxes: ISO/IEC 23008-12 6.5 (size, aspect ratio, crop, rotation, mirroring, layer selection
 * `lsel`), AVIF 2.3.2 (an AV1 picture's operating point `a1op`), and the HDR mastering display
 * colour volume and light levels (`mdcv`, `clli`, ISO/IEC 23001-8 as MIAF carries them).
 */
const PROPERTY_FIELDS: Readonly<Record<string, number>> = { ispe: 4 + 8, pasp: 8, clap: 32, irot: 1, imir: 1, lsel: 2, a1op: 1, mdcv: 24, clli: 4 };

/** Entity groups (ISO/IEC 23008-12 6.8) made only of their ids, whose bytes past them are zeroed. */
const ENTITY_GROUPS = new Set(["altr", "ster"]);

/** Where an entity group's fields end: version and flags, group id, the number of entities and their ids. */
function entityGroupEnd(buf: Buffer, payload: number, end: number): number {
  if (payload + 12 > end) return end;
  return Math.min(end, payload + 12 + 4 * buf.readUInt32BE(payload + 8));
}

/**
 * Where the fields of an item property of numbers whose payload is `buf[payload, end)` end (a
 * pixel depth's after its channel count's bytes, an `nclx` colour's after its full-range byte);
 * `end` for any other property. libheif reads no further, and ExifTool's rewrite keeps the rest.
 */
function fieldsEnd(buf: Buffer, type: string, payload: number, end: number): number {
  const fixed = PROPERTY_FIELDS[type];
  if (fixed != null) return Math.min(end, payload + fixed);
  if (type === "pixi" && payload + 4 < end) return Math.min(end, payload + 5 + buf[payload + 4]!);
  // An AV1 picture's layer sizes (AVIF 2.3.3): a flag byte, whose low bit makes the three sizes 4 bytes each rather than 2.
  if (type === "a1lx" && payload < end) return Math.min(end, payload + 1 + 3 * ((buf[payload]! & 1) === 1 ? 4 : 2));
  if (type === "colr" && payload + 4 <= end && buf.toString("latin1", payload, payload + 4) === "nclx") return Math.min(end, payload + 11);
  if (type === "uuid") return cameraFieldsEnd(buf, payload, end);
  return end;
}

/**
 * Apple's spatial photos (iPhone, Vision Pro) describe their stereo pair's cameras in three item
 * properties of `uuid` type, the forms ISO/IEC 23008-12 later took as `cmin` and `cmex`: the
 * intrinsics (focal length and principal point), the extrinsics (position and orientation) and a
 * disparity adjustment. They are numbers only (a version and flags, then the fields the flags
 * call for); where they end, by UUID. Any other `uuid` property is left whole, and the
 * verification refuses it (its content is unknown).
 */
const CAMERA_PROPERTIES: Readonly<Record<string, (flags: number) => number>> = {
  // Intrinsics: focal length, principal point x and y; flag 1 adds focal length y and skew.
  "22cc04c7d6d94e079d904eb6ecbaf3a3": (flags) => 4 + 4 * ((flags & 1) === 1 ? 5 : 3),
  // Extrinsics: position x, y, z (flags 1, 2, 4), orientation (flag 8; 32-bit with flag 16), a coordinate system id (flag 32).
  "4363e9145b7d4aab97aebea69803b434": (flags) =>
    4 + 4 * [1, 2, 4].filter((bit) => (flags & bit) !== 0).length + ((flags & 8) !== 0 ? ((flags & 16) !== 0 ? 12 : 6) : 0) + ((flags & 32) !== 0 ? 4 : 0),
  // Disparity adjustment: one signed 32-bit number.
  de22508536cb436587432f8705e7c78a: () => 4,
};

function cameraFieldsEnd(buf: Buffer, payload: number, end: number): number {
  if (payload + 20 > end) return end;
  const fields = CAMERA_PROPERTIES[buf.toString("hex", payload, payload + 16)];
  return fields == null ? end : Math.min(end, payload + 16 + fields(buf.readUIntBE(payload + 17, 3)));
}

/** The box at `at` made a `free` box of zeros, its size kept (a 64-bit one too). */
function toFree(buf: Buffer, at: number, box: Box, end: number): void {
  buf.write("free", at + 4, "latin1");
  buf.fill(0, at + box.headerSize, end);
}

function isIcc(buf: Buffer, payload: number, end: number): boolean {
  if (payload + 4 > end) return false;
  const colourType = buf.toString("latin1", payload, payload + 4);
  return colourType === "prof" || colourType === "rICC";
}

function isPadding(type: string): boolean {
  return type === "free" || type === "skip";
}

export async function zeroRange(fh: fsp.FileHandle, from: number, to: number): Promise<void> {
  const zeros = Buffer.alloc(Math.min(to - from, 1024 * 1024));
  for (let pos = from; pos < to; pos += zeros.length) await fh.write(zeros, 0, Math.min(zeros.length, to - pos), pos);
}

function damaged(why: string): BadFileError {
  return new BadFileError("The image file is damaged: its structure could not be read.", new Error(why));
}
