import zlib from "node:zlib";
import { BadFileError } from "../errors.js";
import { RangeWriter } from "../range-writer.js";
import type { CleanContext, CleanOutcome, Cleaner } from "../types.js";
import { orientationOnlyExif, readOrientation } from "./exif-orientation.js";
import { PNG_SIGNATURE } from "./png-chunks.js";


/**
 * Chunks a PNG needs to look the same: the critical ones, transparency, the colour-space numbers
 * a viewer applies (gAMA, cHRM, sRGB, cICP, sBIT), and APNG's animation. Everything else goes:
 * text (tEXt/zTXt/iTXt, hence XMP), eXIf, tIME, pHYs (a DPI, like the JFIF density dropped from
 * JPEGs; no viewer applies its aspect ratio), bKGD/hIST/sPLT (hints, sPLT even carries a name),
 * C2PA (caBX) and every private chunk.
 */
const KEPT = new Set(["IHDR", "PLTE", "IDAT", "IEND", "tRNS", "gAMA", "cHRM", "sRGB", "cICP", "sBIT", "acTL", "fcTL", "fdAT"]);

/** ExifTool's names for what the kept chunks hold. */
const STRUCTURAL_TAGS = new Set([
  "ImageWidth", "ImageHeight", "BitDepth", "ColorType", "Compression", "Filter", "Interlace",
  "Palette", "Transparency", "Gamma", "WhitePointX", "WhitePointY", "RedX", "RedY", "GreenX", "GreenY",
  "BlueX", "BlueY", "SRGBRendering", "SignificantBits", "AnimationFrames", "AnimationPlays",
  "ColorPrimaries", "TransferCharacteristics", "MatrixCoefficients", "VideoFullRangeFlag",
]);

/**
 * PNG, cleaned by our own chunk filter rather than ExifTool: a PNG is a flat list of chunks, so
 * keeping a whitelist is exact, and much faster than ExifTool's `-all=` on PNG. Image data is
 * copied byte for byte, by offset, a few mebibytes at a time whatever the file's size. An EXIF
 * orientation cannot be baked in without re-encoding, so a non-trivial one is kept alone in a
 * fresh eXIf chunk.
 */
export const pngCleaner: Cleaner = {
  name: "png",
  fileTypes: ["PNG", "APNG"],
  async clean(ctx: CleanContext): Promise<CleanOutcome | void> {
    const written = await writePng(ctx, undefined);
    // An eXIf chunk after the image data (out of order, but read by viewers) is met only once
    // the output has passed the place its orientation goes: write again, knowing it.
    const { orientation } = written.used === written.found ? written : await writePng(ctx, written.found);
    if (keepsOrientation(ctx, orientation) && !ctx.keep.has("orientation")) return { alsoKept: ["orientation"] };
  },
  isStructural: (t) => t.group === "PNG" && STRUCTURAL_TAGS.has(t.tag),
};

function keepsOrientation(ctx: CleanContext, orientation: number | null): orientation is number {
  return orientation != null && (ctx.keep.has("orientation") || orientation !== 1);
}

/**
 * Walks the chunks up to IEND (bytes after it are not part of the image), copying the kept
 * ones. The orientation written is `known`, or else that of an eXIf chunk met before the image
 * data; `found` is the first eXIf chunk's, wherever it is.
 */
async function writePng(ctx: CleanContext, known: number | null | undefined): Promise<{ used: number | null; found: number | null; orientation: number | null }> {
  return RangeWriter.rewrite(ctx.input, ctx.output, "w", async (src, out) => {
    const sig = await src.read(0, PNG_SIGNATURE.length);
    if (!sig.equals(PNG_SIGNATURE)) throw damaged("it does not start like a PNG");
    out.bytes(PNG_SIGNATURE);
    let found: number | null | undefined;
    let used: number | null | undefined;
    let first: string | undefined;
    let last: string | undefined;
    let unknownCritical = false;
    let i = PNG_SIGNATURE.length;
    while (i + 12 <= src.size) {
      let head = src.peek(i, 8);
      if (head == null) {
        // Before the walk reads on, what it queued is written from the window that still holds it.
        await out.flush();
        head = await src.read(i, 8);
      }
      const length = head.readUInt32BE(0);
      const type = head.toString("latin1", 4, 8);
      if (!CHUNK_TYPE.test(type)) throw damaged("a chunk has an invalid type");
      const end = i + 12 + length;
      if (end > src.size) throw damaged("it is truncated");
      first ??= type;
      last = type;
      if (type === "eXIf" && found === undefined) {
        const data = i + 8;
        found = await readOrientation((at, n) => src.read(data + at, Math.min(n, length - at)), length);
      }
      if (type === "IDAT" && used === undefined) {
        used = known !== undefined ? known : (found ?? null);
        // eXIf must come before the image data.
        if (keepsOrientation(ctx, used)) out.bytes(chunk("eXIf", orientationOnlyExif(used)));
      }
      if (KEPT.has(type) || (type === "iCCP" && ctx.keep.has("colorProfile"))) out.copy(i, end);
      else if (/^[A-Z]/.test(type)) unknownCritical = true;
      if (out.full) await out.flush();
      i = end;
      if (type === "IEND") break;
    }
    if (first !== "IHDR") throw damaged("it has no header chunk");
    if (used === undefined) throw damaged("it holds no image data");
    if (last !== "IEND") throw damaged("it is truncated");
    // An unknown critical chunk (upper-case first letter) means "do not display without it".
    if (unknownCritical) throw damaged("it uses a critical chunk this service does not know");
    return { used, found: found ?? null, orientation: used };
  });
}

const CHUNK_TYPE = /^[A-Za-z]{4}$/;

/** A new chunk: length, type, data and the CRC over type and data (only ours need one computed). */
function chunk(type: string, data: Buffer): Buffer {
  const b = Buffer.alloc(12 + data.length);
  b.writeUInt32BE(data.length, 0);
  b.write(type, 4, "latin1");
  data.copy(b, 8);
  b.writeUInt32BE(zlib.crc32(b.subarray(4, 8 + data.length)), 8 + data.length);
  return b;
}
function damaged(why: string): BadFileError {
  return new BadFileError(`The PNG file is damaged: ${why}.`);
}
