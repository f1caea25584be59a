import { BadFileError, TooComplexError } from "../errors.js";
import type { FileBytes } from "../file-bytes.js";
import { RangeWriter } from "../range-writer.js";
import type { CleanContext, Cleaner } from "../types.js";

/**
 * The PSD header, layer records and kept resources as ExifTool names them (`-u` included): what
 * Photoshop and other readers need to rebuild the document (size, depth, colour mode,
 * resolution, layer geometry, blending, visibility and names, alpha channels; layer and channel
 * names are part of the document, like an SVG's title).
 */
const STRUCTURAL_TAGS: ReadonlySet<string> = new Set([
  "NumChannels", "ImageHeight", "ImageWidth", "BitDepth", "ColorMode", "Compression", "XResolution", "YResolution",
  "DisplayedUnitsX", "DisplayedUnitsY", "LayerCount", "LayerRectangles", "LayerBlendModes", "LayerOpacities",
  "LayerVisible", "LayerNames", "LayerUnicodeNames", "LayerIDs", "LayerGroups", "LayerColors", "LayerSections", "HasRealMergedData",
  "GlobalAngle", "GlobalAltitude", "AlphaChannelsNames", "UnicodeAlphaNames", "AlphaIdentifiers", "DisplayInfo",
  "TargetLayerID", "LayersGroupInfo", "LayerSelectionIDs", "LayerGroupsEnabledID", "ICC_Untagged",
  "IndexedColorTableCount", "TransparentIndex", "PixelAspectRatio", "ClippingPathName",
  "ChannelColorSpace", "ChannelColorData", "ChannelOpacity", "ChannelColorIndicates",
]);

/**
 * The image resources (Adobe Photoshop File Formats Specification, "Image Resource IDs") that
 * say how to show the document: resolution, alpha channels' names and colours, layer state and
 * groups, lighting of layer effects, indexed colours, pixel aspect ratio, the version block
 * (whose "real merged data" flag says whether the composite image can be trusted), paths
 * (0x07D0-0x0BB6: vector content, such as the clipping path) and the clipping path's name.
 * Every other resource goes: EXIF, XMP, IPTC, thumbnails, URLs, the copyright flag, print
 * settings (the Mac print record and its XML, which name the printer), slices (their group is
 * named after the document), layer comps (they carry comments), the layer ID seed, plug-in data
 * and any resource this list does not know.
 */
const KEPT_RESOURCES: ReadonlySet<number> = new Set([
  0x03ed, 0x03ee, 0x03ef, 0x0400, 0x0402, 0x040d, 0x0411, 0x0415, 0x0416, 0x0417, 0x0419, 0x041d, 0x0421, 0x0428,
  0x042d, 0x0430, 0x0435, 0x0bb7,
]);
/** The version block's names, which the cleaning empties. */
const EMPTIED: ReadonlySet<string> = new Set(["WriterName", "ReaderName"]);
const ICC_PROFILE = 0x040f;
const VERSION_INFO = 0x0421;
const isPath = (id: number): boolean => id >= 0x07d0 && id <= 0x0bb6;
/** ExifTool has no names for the path resources: it calls them by their ids ("Photoshop_0x07d0"). */
const isPathTag = (tag: string): boolean => /^Photoshop_0x[0-9a-f]{4}$/.test(tag) && isPath(Number.parseInt(tag.slice(12), 16));

const HEADER = 26;
/** The composite image's compression methods whose length is known: none, and PackBits by rows. */
const RAW = 0;
const RLE = 1;
/** The version block holds a flag, two names and two numbers: a longer one is not read. */
const MAX_VERSION_INFO = 64 * 1024;
/** Resources kept at most (Photoshop writes a few dozen, and at most 999 paths). */
const MAX_KEPT = 4096;
/** Resource block signatures seen in Photoshop documents ("8BIM"; the others come from older tools). */
const SIGNATURES = new Set(["8BIM", "MeSa", "AgHg", "PHUT", "DCSR"]);

const DAMAGED = "The Photoshop document is damaged: its structure could not be read.";

/**
 * Photoshop documents (PSD, and PSB for large ones), written by hand: the file is four
 * sections, each prefixed with its length, and only the third (image resources) holds metadata.
 * The header and colour mode data are copied, the resources rebuilt with only those that show
 * the document (see KEPT_RESOURCES; the version block's writer and reader names are emptied),
 * and the layers and the composite image are copied byte for byte (nothing after the resources
 * is addressed by file offset, so the shorter section moves nothing that matters); bytes after
 * the composite image go.
 */
export const psdCleaner: Cleaner = {
  name: "psd",
  fileTypes: ["PSD", "PSB"],
  async clean(ctx: CleanContext): Promise<void> {
    const keepIcc = ctx.keep.has("colorProfile");
    await RangeWriter.rewrite(ctx.input, ctx.output, "wx", async (src, out) => {
      const head = await src.read(0, HEADER + 4);
      if (head.length < HEADER + 4 || head.toString("latin1", 0, 4) !== "8BPS") throw new BadFileError(DAMAGED);
      const colourEnd = HEADER + 4 + head.readUInt32BE(HEADER);
      const sectionLength = colourEnd + 4 <= src.size ? (await src.read(colourEnd, 4)).readUInt32BE(0) : -1;
      const sectionEnd = colourEnd + 4 + sectionLength;
      if (sectionLength < 0 || sectionEnd > src.size) throw new BadFileError(DAMAGED);

      const kept = await keptResources(src, colourEnd + 4, sectionEnd, keepIcc);
      out.copy(0, colourEnd);
      const length = Buffer.alloc(4);
      length.writeUInt32BE(kept.reduce((n, r) => n + r.length, 0));
      out.bytes(length);
      for (const r of kept) {
        out.bytes(r.head);
        if (Buffer.isBuffer(r.data)) out.bytes(r.data);
        else out.copy(r.data[0], r.data[1]);
        if (r.pad) out.bytes(Buffer.alloc(1));
      }
      out.copy(sectionEnd, await imageDataEnd(src, head, sectionEnd));
    });
  },
  isStructural: (t) => t.group === "Photoshop" && (STRUCTURAL_TAGS.has(t.tag) || (EMPTIED.has(t.tag) && t.value === "") || isPathTag(t.tag)),
};

/**
 * Where the composite image data ends, after the layer and mask section at `layersAt`: what
 * follows it (a Photo Mechanic trailer, say) belongs to no section and goes. Raw data has a size
 * the header gives; RLE data starts with a table of its rows' byte counts. Zip-compressed data
 * has no stated length, so it runs to the end of the file (the re-read catches a known trailer).
 */
async function imageDataEnd(src: FileBytes, head: Buffer, layersAt: number): Promise<number> {
  const big = head.readUInt16BE(4) === 2;
  const layersLength = big ? Number((await src.read(layersAt, 8)).readBigUInt64BE(0)) : (await src.read(layersAt, 4)).readUInt32BE(0);
  const dataAt = layersAt + (big ? 8 : 4) + layersLength;
  if (dataAt + 2 > src.size) throw new BadFileError(DAMAGED);
  const rows = head.readUInt16BE(12) * head.readUInt32BE(14);
  const compression = (await src.read(dataAt, 2)).readUInt16BE(0);
  let end = src.size;
  if (compression === RAW) end = dataAt + 2 + rows * Math.ceil((head.readUInt32BE(18) * head.readUInt16BE(22)) / 8);
  else if (compression === RLE) {
    const countSize = big ? 4 : 2;
    const tableAt = dataAt + 2;
    let total = 0;
    for (let row = 0; row < rows; ) {
      const chunk = await src.read(tableAt + row * countSize, Math.min(rows - row, 65536) * countSize);
      if (chunk.length < countSize) throw new BadFileError(DAMAGED);
      for (let i = 0; i + countSize <= chunk.length; i += countSize, row++) total += big ? chunk.readUInt32BE(i) : chunk.readUInt16BE(i);
    }
    end = tableAt + rows * countSize + total;
  }
  if (end > src.size) throw new BadFileError(DAMAGED);
  return end;
}

/** A kept resource as it will be written: its block head (signature, id, empty name, size), its data (bytes, or a range of the file), padding. */
interface KeptResource {
  head: Buffer;
  data: Buffer | [number, number];
  pad: boolean;
  length: number;
}

/**
 * The resource blocks of the section [from, to) that stay. Only the blocks' heads are read (and
 * the version block, which is rewritten): the data of kept blocks is copied from the file, that
 * of dropped ones never read, so a document with megabytes of XMP costs no memory for it.
 */
async function keptResources(src: FileBytes, from: number, to: number, keepIcc: boolean): Promise<KeptResource[]> {
  const kept: KeptResource[] = [];
  for (let at = from; at < to; ) {
    const head = await src.read(at, 7);
    if (at + 12 > to || !SIGNATURES.has(head.toString("latin1", 0, 4))) throw new BadFileError(DAMAGED);
    const id = head.readUInt16BE(4);
    // The name: a Pascal string padded so that it and its length byte take an even count.
    const nameLength = head[6]! + 1;
    const sizeAt = at + 6 + nameLength + (nameLength % 2);
    if (sizeAt + 4 > to) throw new BadFileError(DAMAGED);
    const size = (await src.read(sizeAt, 4)).readUInt32BE(0);
    const dataAt = sizeAt + 4;
    if (dataAt + size > to) throw new BadFileError(DAMAGED);
    if (KEPT_RESOURCES.has(id) || isPath(id) || (keepIcc && id === ICC_PROFILE)) {
      if (kept.length === MAX_KEPT) throw new TooComplexError(`psd: more than ${MAX_KEPT} image resources to keep`);
      if (id === VERSION_INFO && size > MAX_VERSION_INFO) throw new BadFileError(DAMAGED);
      const data = id === VERSION_INFO ? withoutNames(Buffer.from(await src.read(dataAt, size))) : ([dataAt, dataAt + size] as [number, number]);
      const dataLength = Buffer.isBuffer(data) ? data.length : size;
      const blockHead = Buffer.alloc(12);
      head.copy(blockHead, 0, 0, 6);
      blockHead.writeUInt32BE(dataLength, 8);
      kept.push({ head: blockHead, data, pad: dataLength % 2 === 1, length: 12 + dataLength + (dataLength % 2) });
    }
    at = Math.min(dataAt + size + (size % 2), to);
  }
  return kept;
}
/**
 * The version block (version, "has real merged data" flag, writer name, reader name, file
 * version; the names as a 32-bit count of UTF-16 units and the units) with both names empty.
 */
function withoutNames(data: Buffer): Buffer {
  const WRITER = 5;
  const writerUnits = data.length >= WRITER + 4 ? data.readUInt32BE(WRITER) : -1;
  const readerAt = WRITER + 4 + 2 * writerUnits;
  const readerUnits = writerUnits >= 0 && data.length >= readerAt + 4 ? data.readUInt32BE(readerAt) : -1;
  const fileVersionAt = readerAt + 4 + 2 * readerUnits;
  if (readerUnits < 0 || data.length < fileVersionAt + 4) throw new BadFileError(DAMAGED);
  return Buffer.concat([data.subarray(0, WRITER), Buffer.alloc(8), data.subarray(fileVersionAt)]);
}

