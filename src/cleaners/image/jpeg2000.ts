import fsp from "node:fs/promises";
import path from "node:path";
import { UnsupportedTypeError } from "../errors.js";
import { topLevelBoxes } from "../media/iso-boxes.js";
import { cleanMotionJp2, isMotionJp2 } from "../media/motion-jp2.js";
import type { CleanContext, CleanOutcome, Cleaner, FoundTag } from "../types.js";
import { rewriteWithoutMetadata } from "./exiftool-rewrite.js";
import { JXL_PICTURE_BOXES, keepPictureBoxes, PICTURE_BOXES } from "./jp2-boxes.js";
import { blankCodestreamComments } from "./jp2-codestream-comments.js";

/**
 * The signature, file type, header and colour boxes: what a decoder reads to show the picture,
 * the default display resolution (`resd`, like JFIF's density) and the capture resolution (`resc`,
 * the grid a scanner or camera sampled at, like a TIFF's XResolution), both in the header box.
 */
const STRUCTURAL_TAGS: ReadonlySet<string> = new Set([
  "MajorBrand", "MinorVersion", "CompatibleBrands", "ImageHeight", "ImageWidth", "NumberOfComponents", "BitsPerComponent",
  "Compression", "ColorSpecMethod", "ColorSpecPrecedence", "ColorSpecApproximation", "ColorSpace",
  "DisplayXResolution", "DisplayYResolution", "DisplayXResolutionUnit", "DisplayYResolutionUnit",
  "CaptureXResolution", "CaptureYResolution", "CaptureXResolutionUnit", "CaptureYResolutionUnit",
]);

export const isJpeg2000Structural = (t: FoundTag): boolean => t.group === "Jpeg2000" && STRUCTURAL_TAGS.has(t.tag);

/**
 * What ExifTool calls the fields of a colour it has no name for: in a file of ours, after the
 * copy (jp2-boxes.ts), only H.273's code points (method 5), cut to their 7 bytes. Not so in a
 * PDF's pictures, whose boxes are not rebuilt.
 */
const isCleanedColourFields = (t: FoundTag): boolean => t.group === "Jpeg2000" && t.tag === "ColorSpecData";

/**
 * JPEG 2000 (JP2/JPX) and JPEG XL containers, rewritten by ExifTool box by box: xml boxes, XMP
 * and EXIF uuid or Exif boxes and IPR go; the codestream boxes are copied unchanged.
 * ExifTool keeps every box it does not write (labels, JPX association boxes, unknown UUID boxes,
 * any private type): a second pass of our own keeps only the boxes that show the picture
 * (jp2-boxes.ts; a JPEG XL's too, where ExifTool keeps its C2PA manifest and its JPEG
 * reconstruction data), and a third blanks the codestreams' comments
 * (jp2-codestream-comments.ts). A Motion JPEG 2000 file, which ExifTool also calls JP2, is a
 * movie: see motion-jp2.ts.
 */
export const jpeg2000Cleaner: Cleaner = {
  name: "jpeg2000",
  fileTypes: ["JP2", "JPX", "JXL"],
  async clean(ctx: CleanContext): Promise<CleanOutcome | void> {
    const rewritten = path.join(ctx.workDir, "exiftool-rewritten");
    if (ctx.fileType === "JXL") {
      await rewriteWithoutMetadata({ ...ctx, output: rewritten });
      return keepPictureBoxes(rewritten, ctx.output, JXL_PICTURE_BOXES);
    }
    if (await isMotionJp2(ctx.input)) return cleanMotionJp2(ctx);
    const unread = await unreadBoxes(ctx.input);
    if (unread != null) throw new UnsupportedTypeError(`${ctx.fileType} with ${unread}`);
    await rewriteWithoutMetadata({ ...ctx, output: rewritten });
    await keepPictureBoxes(rewritten, ctx.output, PICTURE_BOXES, !ctx.keep.has("colorProfile"));
    await blankCodestreamComments(ctx.output);
  },
  isStructural: (t) => isJpeg2000Structural(t) || isCleanedColourFields(t),
};

/** Top-level JPX boxes that hold the picture in a form this cleaner does not read, with the words that name them. */
const UNREAD_BOXES: ReadonlyMap<string, string> = new Map([
  // A codestream split into fragments, anywhere in this file or in others: ExifTool cannot rewrite
  // such a file ("Can't yet handle fragmented JPX files"), and the comments of a codestream in
  // pieces are not walked here.
  ["ftbl", "fragment tables"],
  // Boxes compressed or encrypted inside a binary filter box: a codestream or header among them
  // would be lost with the filter box, metadata kept with it.
  ["bfil", "binary-filtered boxes"],
]);

/** The words naming the first top-level box of the file that UNREAD_BOXES lists, or null. */
async function unreadBoxes(file: string): Promise<string | null> {
  const fh = await fsp.open(file, "r");
  try {
    const found = (await topLevelBoxes(fh, (await fh.stat()).size))?.find((b) => UNREAD_BOXES.has(b.type));
    return found == null ? null : UNREAD_BOXES.get(found.type)!;
  } finally {
    await fh.close();
  }
}

/**
 * A bare JPEG XL codestream has no box to hold metadata (that needs the container): it is handed
 * back as it is, and verification still re-reads it.
 */
export const jxlCodestreamCleaner: Cleaner = {
  name: "jxl-codestream",
  fileTypes: ["JXL Codestream"],
  clean: (ctx: CleanContext) => fsp.copyFile(ctx.input, ctx.output),
  isStructural: isJpeg2000Structural,
};
