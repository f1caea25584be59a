import { BadFileError } from "../errors.js";
import type { FileBytes } from "../file-bytes.js";
import { RangeWriter } from "../range-writer.js";
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

/** A RIFF chunk by its place in the file: its header at `at`, its data right after. */
interface Chunk {
  id: string;
  at: number;
  size: number;
}

/**
 * WebP, cleaned by our own RIFF chunk filter: bitstreams are copied as they are, by offset, a
 * few mebibytes at a time whatever the file's size, and the VP8X header's flags are updated to
 * match what is left. An EXIF orientation cannot be applied without re-encoding, so a
 * non-trivial one is kept alone in a fresh EXIF chunk.
 */
export const webpCleaner: Cleaner = {
  name: "webp",
  // ExifTool names the variant: simple or extended (VP8X) layout, lossy or lossless bitstream.
  fileTypes: ["WEBP", "WEBP (lossless)", "Extended WEBP", "Extended WEBP (lossless)"],
  async clean(ctx: CleanContext): Promise<CleanOutcome | void> {
    const keepOrientation = await RangeWriter.rewrite(ctx.input, ctx.output, "w", async (src, out) => {
      const head = await src.read(0, 12);
      if (head.length < 12 || head.toString("latin1", 0, 4) !== "RIFF" || head.toString("latin1", 8, 12) !== "WEBP") {
        throw damaged("it does not start like a WebP");
      }
      // The RIFF size bounds the file: what follows it is not part of the image.
      const end = Math.min(src.size, 8 + head.readUInt32LE(4));
      const keepIcc = ctx.keep.has("colorProfile");
      let icc = false;
      let image = false;
      let exif: Chunk | undefined;
      await walkChunks(src, 12, end, async (c) => {
        icc ||= c.id === "ICCP";
        image ||= c.id === "VP8 " || c.id === "VP8L" || c.id === "ANMF";
        exif ??= c.id === "EXIF" ? c : undefined;
      });
      if (!image) throw damaged("it holds no image data");
      const orientation = exif == null ? null : await exifOrientation(src, exif);
      const keep = orientation != null && (ctx.keep.has("orientation") || orientation !== 1);

      out.bytes(Buffer.from("RIFF\0\0\0\0WEBP", "latin1"));
      await walkChunks(src, 12, end, async (c) => {
        if (c.id === "VP8X") out.bytes(encodeChunk("VP8X", vp8x(await src.read(c.at + 8, Math.min(c.size, 10)), keepIcc && icc, keep)));
        else if (c.id === "ICCP" && keepIcc) copyChunk(out, c);
        else if (c.id === "ANMF") await frame(src, out, c);
        else if (IMAGE_CHUNKS.has(c.id)) copyChunk(out, c);
        if (out.full) await out.flush();
      });
      if (keep) out.bytes(encodeChunk("EXIF", orientationOnlyExif(orientation)));
      const size = Buffer.alloc(4);
      size.writeUInt32LE(out.length - 8);
      await out.patch(4, size);
      return keep ? orientation : null;
    });
    if (keepOrientation != null && !ctx.keep.has("orientation")) return { alsoKept: ["orientation"] };
  },
  isStructural: (t) => t.group === "RIFF" && STRUCTURAL_TAGS.has(t.tag),
};

/** Some writers put the JPEG-style "Exif\0\0" header in front of the TIFF structure. */
async function exifOrientation(src: FileBytes, c: Chunk): Promise<number | null> {
  const skip = (await src.read(c.at + 8, Math.min(c.size, 6))).toString("latin1") === "Exif\0\0" ? 6 : 0;
  const from = c.at + 8 + skip;
  const size = c.size - skip;
  return readOrientation((at, n) => src.read(from + at, Math.min(n, size - at)), size);
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

/** An ANMF chunk: its 16-byte frame header, then only the chunks that draw the frame. */
async function frame(src: FileBytes, out: RangeWriter, c: Chunk): Promise<void> {
  if (c.size < 16) throw damaged("an animation frame is too short");
  const from = c.at + 8 + 16;
  const to = c.at + 8 + c.size;
  let size = 16;
  await walkChunks(src, from, to, async (inner) => {
    if (FRAME_CHUNKS.has(inner.id)) size += 8 + inner.size + (inner.size % 2);
  });
  out.bytes(chunkHeader("ANMF", size));
  out.copy(c.at + 8, from);
  await walkChunks(src, from, to, async (inner) => {
    if (FRAME_CHUNKS.has(inner.id)) copyChunk(out, inner);
  });
}

/** Each chunk in [from, to) in order; a chunk running past `to` means the file is truncated. */
async function walkChunks(src: FileBytes, from: number, to: number, visit: (c: Chunk) => Promise<void>): Promise<void> {
  for (let at = from; at + 8 <= to; ) {
    const head = src.peek(at, 8) ?? (await src.read(at, 8));
    const c = { id: head.toString("latin1", 0, 4), at, size: head.readUInt32LE(4) };
    if (at + 8 + c.size > to) throw damaged("it is truncated");
    await visit(c);
    at += 8 + c.size + (c.size % 2);
  }
}

/** A chunk as it is, with a zero pad byte after an odd length (whatever byte the source had there). */
function copyChunk(out: RangeWriter, c: Chunk): void {
  out.copy(c.at, c.at + 8 + c.size);
  if (c.size % 2 === 1) out.bytes(Buffer.alloc(1));
}

function chunkHeader(id: string, size: number): Buffer {
  const head = Buffer.alloc(8);
  head.write(id, 0, "latin1");
  head.writeUInt32LE(size, 4);
  return head;
}

function encodeChunk(id: string, data: Buffer): Buffer {
  return Buffer.concat([chunkHeader(id, data.length), data, Buffer.alloc(data.length % 2)]);
}

function damaged(why: string): BadFileError {
  return new BadFileError(`The WebP file is damaged: ${why}.`);
}
