import { BadFileError, TooComplexError } from "../errors.js";
import type { FileBytes } from "../file-bytes.js";
import { RangeWriter } from "../range-writer.js";
import type { CleanContext, Cleaner } from "../types.js";
import { structuralTags } from "../media/structural-lists.js";
import { fileOrder, type PartLayout, placeChunks, scanLineChunks, tileChunks } from "./exr-chunks.js";
import { damagedExr, EXR_PREAMBLE, type ExrHeader, MULTIPART, NON_IMAGE, readExrHeaders, TILED } from "./exr-header.js";

/**
 * The attributes a reader needs to decode and show the picture, with the type each must have and,
 * for fixed-size ones, its size. Every other attribute is the writer's: owner, comments, capture
 * date and place, camera settings, the renderer's own (scene paths, render times), matrices of
 * the camera, a time code, key codes and the preview picture.
 */
const KEPT: Readonly<Record<string, { type: string; size?: number }>> = {
  channels: { type: "chlist" },
  compression: { type: "compression", size: 1 },
  dataWindow: { type: "box2i", size: 16 },
  displayWindow: { type: "box2i", size: 16 },
  lineOrder: { type: "lineOrder", size: 1 },
  pixelAspectRatio: { type: "float", size: 4 },
  screenWindowCenter: { type: "v2f", size: 8 },
  screenWindowWidth: { type: "float", size: 4 },
  tiles: { type: "tiledesc", size: 9 },
  // Colour: how the channels' values map to light, as an ICC profile does for other formats.
  chromaticities: { type: "chromaticities", size: 32 },
  whiteLuminance: { type: "float", size: 4 },
  adoptedNeutral: { type: "v2f", size: 8 },
  // How to show it: an environment map's projection, a sequence's rate, the pixels' density.
  envmap: { type: "envmap", size: 1 },
  framesPerSecond: { type: "rational", size: 8 },
  xDensity: { type: "float", size: 4 },
  // Multi-part files: the parts are told apart by name and type, and their chunks counted.
  name: { type: "string" },
  type: { type: "string" },
  version: { type: "int", size: 4 },
  chunkCount: { type: "int", size: 4 },
  // Stereo pictures: which channels belong to which eye.
  view: { type: "string" },
  multiView: { type: "stringvector" },
};
const REQUIRED = ["channels", "compression", "dataWindow", "displayWindow", "lineOrder", "pixelAspectRatio", "screenWindowCenter", "screenWindowWidth"];
/** A kept attribute's value is read into memory: a channel list or name longer than this is no real picture's. */
const MAX_KEPT_VALUE = 1 << 20;
const IMAGE_TYPES = new Set(["scanlineimage", "tiledimage"]);

/** ExifTool's names of what stays (OpenEXR.pm: the attribute's name, capitalised, but for two). */
const EXIFTOOL_NAMES: Readonly<Record<string, string>> = { envmap: "EnvironmentMap", xDensity: "XResolution" };
const isStructural = structuralTags({
  OpenEXR: ["EXRVersion", "Flags", ...Object.keys(KEPT).map((name) => EXIFTOOL_NAMES[name] ?? name[0]!.toUpperCase() + name.slice(1))],
});

/**
 * OpenEXR pictures (.exr: renderers, compositors, HDR photography). Metadata lives in the header's
 * attributes only, so each header is rebuilt from the attributes decoding needs (KEPT), copied as
 * they are but for a channel list's reserved bytes, zeroed. The pixel chunks are copied byte for
 * byte in their order in the file, with the offset tables rewritten to their new places; bytes
 * that no offset points into (between chunks, after the last) are left out. Deep-data files are
 * refused.
 */
export const exrCleaner: Cleaner = {
  name: "exr",
  fileTypes: ["EXR"],
  async clean(ctx: CleanContext): Promise<void> {
    await RangeWriter.rewrite(ctx.input, ctx.output, "wx", async (src, out) => {
      const { flags, headers, end } = await readExrHeaders(src);
      const multipart = (flags & MULTIPART) !== 0;
      if ((flags & NON_IMAGE) !== 0 && !multipart) throw deepData();
      // One header after another: each read that misses the file's window takes a mebibyte, and a
      // file can have thousands of parts.
      const kept: KeptValues[] = [];
      for (const header of headers) kept.push(await keptAttributes(src, header));
      const layouts = kept.map((values) => layoutOf(values, flags));
      const places = await placeChunks(src, end, layouts, multipart);
      const order = fileOrder(places);

      const head: Buffer[] = [await src.read(0, EXR_PREAMBLE)];
      for (const values of kept) head.push(...[...values].map(([name, { type, value }]) => attribute(name, type, value)), Buffer.alloc(1));
      if (multipart) head.push(Buffer.alloc(1));
      const headLength = head.reduce((n, b) => n + b.length, 0);
      const tables = Buffer.alloc(places.at.length * 8);
      let next = headLength + tables.length;
      for (const i of order) {
        tables.writeBigUInt64LE(BigInt(next), i * 8);
        next += places.length[i]!;
      }
      out.bytes(Buffer.concat([...head, tables]));
      for (const i of order) {
        out.copy(places.at[i]!, places.at[i]! + places.length[i]!);
        if (out.full) await out.flush();
      }
    });
  },
  isStructural,
};

type KeptValues = Map<string, { type: string; value: Buffer }>;

/** The header's attributes decoding needs, with their values; one of another type than the format's is the writer's own, and goes. */
async function keptAttributes(src: FileBytes, header: ExrHeader): Promise<KeptValues> {
  const values: KeptValues = new Map();
  for (const attr of header.attributes.values()) {
    const rule = KEPT[attr.name];
    if (rule == null || attr.type !== rule.type || (rule.size != null && attr.size !== rule.size)) continue;
    if (attr.size > MAX_KEPT_VALUE) throw new TooComplexError(`an OpenEXR attribute of more than ${MAX_KEPT_VALUE} bytes`);
    const value = await src.read(attr.valueAt, attr.size);
    values.set(attr.name, { type: attr.type, value: attr.type === "chlist" ? channelList(value) : value });
  }
  for (const name of REQUIRED) if (!values.has(name)) throw damagedExr(`its header has no "${name}" attribute of its type`);
  return values;
}

/** How many chunks the part has and whether they are tiles, from its kept attributes. */
function layoutOf(values: KeptValues, flags: number): PartLayout {
  const dataWindow = values.get("dataWindow")!.value;
  const partType = values.get("type")?.value.toString("latin1");
  if ((flags & MULTIPART) === 0) {
    const tiled = (flags & TILED) !== 0;
    const tiles = values.get("tiles")?.value;
    if (tiled && tiles == null) throw damagedExr('its header has no "tiles" attribute of its type');
    return { tiled, chunks: tiled ? tileChunks(dataWindow, tiles!) : scanLineChunks(dataWindow, values.get("compression")!.value[0]!) };
  }
  const chunkCount = values.get("chunkCount")?.value.readInt32LE(0);
  if (partType == null || values.get("name") == null || chunkCount == null || chunkCount < 0) throw damagedExr("a part's header lacks its name, type or chunk count");
  if (!IMAGE_TYPES.has(partType)) throw partType.startsWith("deep") ? deepData() : damagedExr("a part's type is unknown");
  return { tiled: partType === "tiledimage", chunks: chunkCount };
}

/**
 * A channel list with each channel's three reserved bytes zeroed: the name, NUL, the pixel type
 * (32 bits), the linear flag, three reserved bytes, the x and y sampling (32 bits each); the list
 * ends with a NUL.
 */
function channelList(value: Buffer): Buffer {
  const copy = Buffer.from(value);
  let at = 0;
  for (;;) {
    const nameEnd = copy.indexOf(0, at);
    if (nameEnd < 0 || (nameEnd > at && nameEnd + 1 + 16 > copy.length)) throw damagedExr('its "channels" attribute is damaged');
    if (nameEnd === at) return copy.subarray(0, at + 1);
    copy.fill(0, nameEnd + 6, nameEnd + 9);
    at = nameEnd + 17;
  }
}

function attribute(name: string, type: string, value: Buffer): Buffer {
  const size = Buffer.alloc(4);
  size.writeInt32LE(value.length);
  return Buffer.concat([Buffer.from(`${name}\0${type}\0`, "latin1"), size, value]);
}

function deepData(): BadFileError {
  return new BadFileError("The OpenEXR file holds deep data (several samples per pixel), which this service cannot clean yet.");
}
