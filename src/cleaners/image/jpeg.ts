import fsp from "node:fs/promises";
import path from "node:path";
import type { CleanContext, CleanOutcome, Cleaner } from "../types.js";
import { orientationOnlyExif, readOrientation } from "./exif-orientation.js";
import { bakeOrientation } from "./jpegtran.js";
import { isFrameHeader, parseJpeg, serializeJpeg, SOS, type JpegSegment } from "./jpeg-segments.js";

const APP1 = 0xe1;
const APP2 = 0xe2;
const APP14 = 0xee;
const EXIF_HEADER = Buffer.from("Exif\0\0", "latin1");
const ICC_HEADER = Buffer.from("ICC_PROFILE\0", "latin1");
const ADOBE_HEADER = Buffer.from("Adobe", "latin1");

/**
 * JPEG, cleaned by our own segment filter rather than ExifTool: it keeps only the segments a
 * decoder needs (a whitelist, so unknown APPn, COM, JFIF/JFXX thumbnails, MPF and every byte
 * after EOI go) and copies the image data byte for byte. An EXIF orientation is baked into the
 * pixels with jpegtran's perfect lossless transforms, or kept when that is impossible.
 */
export const jpegCleaner: Cleaner = {
  name: "jpeg",
  fileTypes: ["JPEG"],
  async clean(ctx: CleanContext): Promise<CleanOutcome | void> {
    const { segments } = parseJpeg(await fsp.readFile(ctx.input));
    const keepIcc = ctx.keep.has("colorProfile");
    const orientation = exifOrientation(segments);
    if (ctx.keep.has("orientation") || orientation == null || orientation === 1) {
      const kept = ctx.keep.has("orientation") ? orientation : null;
      await fsp.writeFile(ctx.output, serializeJpeg(strip(segments, keepIcc, kept)));
      return;
    }
    const stripped = path.join(ctx.workDir, "stripped.jpg");
    const rotated = path.join(ctx.workDir, "rotated.jpg");
    await fsp.writeFile(stripped, serializeJpeg(strip(segments, keepIcc, null)));
    if (await bakeOrientation(stripped, rotated, orientation, keepIcc)) {
      // jpegtran writes a fresh JFIF header of its own: filter once more.
      const again = parseJpeg(await fsp.readFile(rotated));
      await fsp.writeFile(ctx.output, serializeJpeg(strip(again.segments, keepIcc, null)));
      return;
    }
    await fsp.writeFile(ctx.output, serializeJpeg(strip(segments, keepIcc, orientation)));
    return { alsoKept: ["orientation"] };
  },
  // The Adobe APP14 segment says how to read the colour channels (RGB/YCbCr/CMYK/YCCK).
  isStructural: (t) => t.group === "APP14",
};

/** The orientation a viewer applies: IFD0 of the first EXIF APP1, as libjpeg-based viewers read it. */
function exifOrientation(segments: readonly JpegSegment[]): number | null {
  const exif = segments.find((s) => s.marker === APP1 && startsWith(s.payload, EXIF_HEADER));
  return exif == null ? null : readOrientation(exif.payload.subarray(EXIF_HEADER.length));
}

/**
 * The segments a decoder needs, in their order: frame and scan headers, tables, restart interval,
 * the Adobe colour transform (rewritten to hold nothing else), the ICC profile when kept, and an
 * EXIF block holding only the orientation when that must stay.
 */
function strip(segments: readonly JpegSegment[], keepIcc: boolean, orientation: number | null): JpegSegment[] {
  const out: JpegSegment[] = [];
  if (orientation != null) out.push({ marker: APP1, payload: Buffer.concat([EXIF_HEADER, orientationOnlyExif(orientation)]) });
  for (const s of segments) {
    if (isCodingSegment(s.marker)) out.push(s);
    else if (s.marker === APP2 && keepIcc && startsWith(s.payload, ICC_HEADER)) out.push(s);
    else if (s.marker === APP14 && startsWith(s.payload, ADOBE_HEADER) && s.payload.length >= 12) {
      out.push({ marker: APP14, payload: adobeSegment(s.payload[11]!) });
    }
  }
  return out;
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

function startsWith(b: Buffer, prefix: Buffer): boolean {
  return b.length >= prefix.length && b.subarray(0, prefix.length).equals(prefix);
}
