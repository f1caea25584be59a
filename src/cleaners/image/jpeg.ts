import path from "node:path";
import { FileBytes } from "../file-bytes.js";
import { RangeWriter } from "../range-writer.js";
import type { CleanContext, CleanOutcome, Cleaner } from "../types.js";
import { inMemory, orientationOnlyExif, readOrientation } from "./exif-orientation.js";
import { bakeOrientation } from "./jpegtran.js";
import { APP1, APP14, APP2, APP3, SOS } from "./jpeg-markers.js";
import { isFrameHeader, type JpegSegment, SCAN_DATA, STOP, walkJpeg } from "./jpeg-segments.js";

const EXIF_HEADER = Buffer.from("Exif\0\0", "latin1");
const ICC_HEADER = Buffer.from("ICC_PROFILE\0", "latin1");
const ADOBE_HEADER = Buffer.from("Adobe", "latin1");
const JPS_HEADER = Buffer.from("_JPSJPS_", "latin1");
/** A stereo JPEG's descriptor: media type, flags, layout, separation (one byte each, as ExifTool reads them). */
const JPS_DESCRIPTOR = 4;
/** The JPS descriptor's fields, which tell stereo viewers how the two views are laid out. */
const JPS_TAGS: ReadonlySet<string> = new Set(["JPSSeparation", "JPSFlags", "JPSLayout", "JPSType"]);

/**
 * JPEG, cleaned by our own segment filter rather than ExifTool: it keeps only the segments a
 * decoder needs (a whitelist, so unknown APPn, COM, JFIF/JFXX thumbnails, MPF and every byte
 * after EOI go) and copies the image data byte for byte, by offset, a few mebibytes at a time
 * whatever the file's size. A stereo JPEG (JPS, as 3D cameras and viewers write) keeps its APP3
 * descriptor, which tells how the two views are laid out, without the comment that may follow it. An EXIF orientation is baked into the pixels with jpegtran's perfect
 * lossless transforms, or kept when that is impossible.
 */
export const jpegCleaner: Cleaner = {
  name: "jpeg",
  fileTypes: ["JPEG", "JPS"],
  async clean(ctx: CleanContext): Promise<CleanOutcome | void> {
    // The EXIF block comes before the image data in practice; one found only after it (out of
    // order, but read by viewers) means cleaning again, knowing its orientation.
    const early = await headerOrientation(ctx.input);
    const first = await cleanWith(ctx, early);
    return first.found === early ? first.outcome : (await cleanWith(ctx, first.found)).outcome;
  },
  // The Adobe APP14 segment says how to read the colour channels (RGB/YCbCr/CMYK/YCCK).
  isStructural: (t) => t.group === "APP14" || (t.group === "APP3" && JPS_TAGS.has(t.tag)),
};

/**
 * Cleans assuming the file's orientation is `orientation`; `found` is the one it really holds
 * (its first EXIF APP1's, as libjpeg-based viewers read it): when they differ the outcome is void.
 */
async function cleanWith(ctx: CleanContext, orientation: number | null): Promise<{ found: number | null; outcome: CleanOutcome | void }> {
  const keepIcc = ctx.keep.has("colorProfile");
  if (ctx.keep.has("orientation") || orientation == null || orientation === 1) {
    const kept = ctx.keep.has("orientation") ? orientation : null;
    return { found: await strip(ctx.input, ctx.output, keepIcc, kept), outcome: undefined };
  }
  const stripped = path.join(ctx.workDir, "stripped.jpg");
  const rotated = path.join(ctx.workDir, "rotated.jpg");
  const found = await strip(ctx.input, stripped, keepIcc, null);
  if (found !== orientation) return { found, outcome: undefined };
  if (await bakeOrientation(stripped, rotated, orientation, keepIcc)) {
    // jpegtran writes a fresh JFIF header of its own: filter once more.
    await strip(rotated, ctx.output, keepIcc, null);
    return { found, outcome: undefined };
  }
  await strip(ctx.input, ctx.output, keepIcc, orientation);
  return { found, outcome: { alsoKept: ["orientation"] } };
}

/** The orientation of an EXIF APP1 before the first scan, or null when there is none there. */
async function headerOrientation(file: string): Promise<number | null> {
  const src = await FileBytes.open(file);
  try {
    let orientation: number | null = null;
    await walkJpeg(src, async (s) => {
      if (s.marker === SOS) return STOP;
      if (!(await isExif(src, s))) return;
      orientation = await exifOrientation(src, s);
      return STOP;
    });
    return orientation;
  } finally {
    await src.close();
  }
}

/**
 * Writes the segments a decoder needs, in their order: frame and scan headers, tables, restart
 * interval, the Adobe colour transform (rewritten to hold nothing else), the ICC profile when
 * kept, and first an EXIF block holding only the orientation when that must stay. Resolves to
 * the orientation of the input's first EXIF APP1.
 */
async function strip(input: string, output: string, keepIcc: boolean, orientation: number | null): Promise<number | null> {
  return RangeWriter.rewrite(input, output, "w", async (src, out) => {
    out.bytes(Buffer.from([0xff, 0xd8]));
    if (orientation != null) out.bytes(segment(APP1, Buffer.concat([EXIF_HEADER, orientationOnlyExif(orientation)])));
    let found: number | null | undefined;
    let stereo = false;
    await walkJpeg(src, async (s) => {
      // The picture's data is written while the walk's window still holds it: read once.
      if (s.marker === SCAN_DATA) {
        out.copy(s.start, s.end);
        return out.flush();
      }
      if (isCodingSegment(s.marker)) out.copy(s.start, s.end);
      else if (s.marker === APP1 && found === undefined && (await isExif(src, s))) found = await exifOrientation(src, s);
      else if (s.marker === APP3 && !stereo && s.payloadLength >= JPS_HEADER.length + 2 + JPS_DESCRIPTOR && (await startsWith(src, s, JPS_HEADER))) {
        stereo = true;
        const descriptor = stereoDescriptor(await src.read(s.payloadAt, JPS_HEADER.length + 2 + JPS_DESCRIPTOR));
        if (descriptor != null) out.bytes(segment(APP3, descriptor));
      } else if (s.marker === APP2 && keepIcc && (await startsWith(src, s, ICC_HEADER))) out.copy(s.start, s.end);
      else if (s.marker === APP14 && s.payloadLength >= 12 && (await startsWith(src, s, ADOBE_HEADER))) {
        out.bytes(segment(APP14, adobeSegment((await src.read(s.payloadAt + 11, 1))[0]!)));
      }
      if (out.full) await out.flush();
    });
    out.bytes(Buffer.from([0xff, 0xd9]));
    return found ?? null;
  });
}

function isExif(src: FileBytes, s: JpegSegment): Promise<boolean> {
  return s.marker === APP1 ? startsWith(src, s, EXIF_HEADER) : Promise.resolve(false);
}

/** The orientation in IFD0 of an EXIF APP1 (a segment is at most 64 KiB: read whole). */
async function exifOrientation(src: FileBytes, s: JpegSegment): Promise<number | null> {
  const tiff = (await src.read(s.payloadAt, s.payloadLength)).subarray(EXIF_HEADER.length);
  return readOrientation(inMemory(tiff), tiff.length);
}

/**
 * SOFn, DHT, DAC, DQT, DNL, DRI, DHP, EXP, SOS, and JPEG-LS's SOF55/LSE: what decoding needs.
 * Everything else (APPn, COM, JPGn extensions) is metadata or unused.
 */
function isCodingSegment(marker: number): boolean {
  return isFrameHeader(marker) || [0xc4, 0xcc, 0xdb, 0xdc, 0xdd, 0xde, 0xdf, SOS, 0xf7, 0xf8].includes(marker);
}

/** A canonical Adobe APP14: version 100, no flags, the original colour transform. */
function adobeSegment(transform: number): Buffer {
  const b = Buffer.alloc(12);
  b.write("Adobe", 0, "latin1");
  b.writeUInt16BE(100, 5);
  b[11] = transform;
  return b;
}

/**
 * A JPS APP3 payload of the identifier and the descriptor only (`head`: the original's first 14
 * bytes), or null when the descriptor is shorter than its four fields (the bytes after would be the comment's).
 */
function stereoDescriptor(head: Buffer): Buffer | null {
  if (head.readUInt16BE(JPS_HEADER.length) < JPS_DESCRIPTOR) return null;
  const b = Buffer.from(head);
  b.writeUInt16BE(JPS_DESCRIPTOR, JPS_HEADER.length);
  return b;
}

/** A whole segment of ours: marker, length, payload. */
function segment(marker: number, payload: Buffer): Buffer {
  const head = Buffer.from([0xff, marker, 0, 0]);
  head.writeUInt16BE(payload.length + 2, 2);
  return Buffer.concat([head, payload]);
}

async function startsWith(src: FileBytes, s: JpegSegment, prefix: Buffer): Promise<boolean> {
  return s.payloadLength >= prefix.length && (await src.read(s.payloadAt, prefix.length)).equals(prefix);
}
