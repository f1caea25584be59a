import fsp from "node:fs/promises";
import { BadFileError } from "../errors.js";
import type { CleanContext, CleanOutcome, Cleaner } from "../types.js";
import { orientationOnlyExif, readOrientation } from "./exif-orientation.js";

/** Chunks that draw the picture; EXIF, XMP, ICCP (unless kept) and unknown chunks go. */
const IMAGE_CHUNKS = new Set(["VP8 ", "VP8L", "ALPH", "ANIM", "ANMF"]);
/** Inside an animation frame, only its alpha and bitstream. */
const FRAME_CHUNKS = new Set(["ALPH", "VP8 ", "VP8L"]);

const ICC_FLAG = 0x20;
const EXIF_FLAG = 0x08;
const XMP_FLAG = 0x04;

const STRUCTURAL_TAGS = new Set([
  "VP8Version", "ImageWidth", "ImageHeight", "HorizontalScale", "VerticalScale", "WebP_Flags",
  "AlphaIsUsed", "BackgroundColor", "AnimationLoopCount", "FrameCount", "Duration",
  "AlphaPreprocessing", "AlphaFiltering", "AlphaCompression",
]);

interface Chunk {
  id: string;
  data: Buffer;
}

/**
 * WebP, cleaned by our own RIFF chunk filter: bitstreams are copied as they are, and the VP8X
 * header's flags are updated to match what is left. An EXIF orientation cannot be applied
 * without re-encoding, so a non-trivial one is kept alone in a fresh EXIF chunk.
 */
export const webpCleaner: Cleaner = {
  name: "webp",
  // ExifTool names the variant: simple or extended (VP8X) layout, lossy or lossless bitstream.
  fileTypes: ["WEBP", "WEBP (lossless)", "Extended WEBP", "Extended WEBP (lossless)"],
  async clean(ctx: CleanContext): Promise<CleanOutcome | void> {
    const chunks = parseRiff(await fsp.readFile(ctx.input));
    const keepIcc = ctx.keep.has("colorProfile");
    const exif = chunks.find((c) => c.id === "EXIF");
    const orientation = exif == null ? null : readOrientation(exifTiff(exif.data));
    const keepOrientation = orientation != null && (ctx.keep.has("orientation") || orientation !== 1);
    const out: Chunk[] = [];
    for (const c of chunks) {
      if (c.id === "VP8X") out.push({ id: c.id, data: vp8x(c.data, keepIcc && chunks.some((k) => k.id === "ICCP"), keepOrientation) });
      else if (c.id === "ICCP" && keepIcc) out.push(c);
      else if (c.id === "ANMF") out.push({ id: c.id, data: frame(c.data) });
      else if (IMAGE_CHUNKS.has(c.id)) out.push(c);
    }
    if (keepOrientation) out.push({ id: "EXIF", data: orientationOnlyExif(orientation) });
    await fsp.writeFile(ctx.output, serializeRiff(out));
    if (keepOrientation && !ctx.keep.has("orientation")) return { alsoKept: ["orientation"] };
  },
  isStructural: (t) => t.group === "RIFF" && STRUCTURAL_TAGS.has(t.tag),
};

/** Some writers put the JPEG-style "Exif\0\0" header in front of the TIFF structure. */
function exifTiff(data: Buffer): Buffer {
  return data.toString("latin1", 0, 6) === "Exif\0\0" ? data.subarray(6) : data;
}

function vp8x(data: Buffer, icc: boolean, exif: boolean): Buffer {
  if (data.length < 10) throw damaged("its extended header is too short");
  const copy = Buffer.from(data.subarray(0, 10));
  let flags = copy[0]! & ~(ICC_FLAG | EXIF_FLAG | XMP_FLAG);
  if (icc) flags |= ICC_FLAG;
  if (exif) flags |= EXIF_FLAG;
  copy[0] = flags;
  return copy;
}

/** An ANMF payload: its 16-byte frame header, then only the chunks that draw the frame. */
function frame(data: Buffer): Buffer {
  if (data.length < 16) throw damaged("an animation frame is too short");
  const inner = parseChunks(data, 16).filter((c) => FRAME_CHUNKS.has(c.id));
  return Buffer.concat([data.subarray(0, 16), ...inner.map(encodeChunk)]);
}

function parseRiff(buf: Buffer): Chunk[] {
  if (buf.length < 12 || buf.toString("latin1", 0, 4) !== "RIFF" || buf.toString("latin1", 8, 12) !== "WEBP") {
    throw damaged("it does not start like a WebP");
  }
  // The RIFF size bounds the file: what follows it is not part of the image.
  const end = Math.min(buf.length, 8 + buf.readUInt32LE(4));
  const chunks = parseChunks(buf.subarray(0, end), 12);
  if (!chunks.some((c) => c.id === "VP8 " || c.id === "VP8L" || c.id === "ANMF")) throw damaged("it holds no image data");
  return chunks;
}

function parseChunks(buf: Buffer, from: number): Chunk[] {
  const chunks: Chunk[] = [];
  let i = from;
  while (i + 8 <= buf.length) {
    const id = buf.toString("latin1", i, i + 4);
    const size = buf.readUInt32LE(i + 4);
    if (i + 8 + size > buf.length) throw damaged("it is truncated");
    chunks.push({ id, data: buf.subarray(i + 8, i + 8 + size) });
    i += 8 + size + (size % 2);
  }
  return chunks;
}

function encodeChunk(c: Chunk): Buffer {
  const head = Buffer.alloc(8);
  head.write(c.id, 0, "latin1");
  head.writeUInt32LE(c.data.length, 4);
  return Buffer.concat([head, c.data, Buffer.alloc(c.data.length % 2)]);
}

function serializeRiff(chunks: readonly Chunk[]): Buffer {
  const body = Buffer.concat([Buffer.from("WEBP", "latin1"), ...chunks.map(encodeChunk)]);
  const head = Buffer.alloc(8);
  head.write("RIFF", 0, "latin1");
  head.writeUInt32LE(body.length, 4);
  return Buffer.concat([head, body]);
}

function damaged(why: string): BadFileError {
  return new BadFileError(`The WebP file is damaged: ${why}.`);
}
