import fsp from "node:fs/promises";
import path from "node:path";
import { UnsupportedTypeError } from "../errors.js";
import { topLevelBoxes } from "../media/iso-boxes.js";
import { cleanMotionJp2, isMotionJp2 } from "../media/motion-jp2.js";
import type { CleanContext, CleanOutcome, Cleaner, FoundTag } from "../types.js";
import { rewriteWithoutMetadata } from "./exiftool-rewrite.js";
import { dropMetadataBoxes } from "./jp2-boxes.js";
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
 * JPEG 2000 (JP2/JPX) and JPEG XL containers, rewritten by ExifTool box by box: xml boxes, XMP
 * and EXIF uuid or Exif boxes, IPR and JUMBF go; the codestream boxes are copied unchanged.
 * ExifTool keeps JPEG 2000's labels, JPX association boxes and unknown UUID boxes: a second
 * pass of our own drops them (jp2-boxes.ts), and a third blanks the codestreams' comments
 * (jp2-codestream-comments.ts). A Motion JPEG 2000 file, which ExifTool also calls JP2, is a
 * movie: see motion-jp2.ts.
 */
export const jpeg2000Cleaner: Cleaner = {
  name: "jpeg2000",
  fileTypes: ["JP2", "JPX", "JXL"],
  async clean(ctx: CleanContext): Promise<CleanOutcome | void> {
    if (ctx.fileType === "JXL") return rewriteWithoutMetadata(ctx);
    if (await isMotionJp2(ctx.input)) return cleanMotionJp2(ctx);
    if (await hasFragmentTable(ctx.input)) throw new UnsupportedTypeError(`${ctx.fileType} with fragment tables`);
    const rewritten = path.join(ctx.workDir, "exiftool-rewritten");
    await rewriteWithoutMetadata({ ...ctx, output: rewritten });
    await dropMetadataBoxes(rewritten, ctx.output);
    await blankCodestreamComments(ctx.output);
  },
  isStructural: isJpeg2000Structural,
};

/**
 * Whether a codestream of the file is split into fragments (`ftbl`, JPX), anywhere in this file or
 * in others: ExifTool cannot rewrite such a file ("Can't yet handle fragmented JPX files"), and the
 * comments of a codestream in pieces are not walked here.
 */
async function hasFragmentTable(file: string): Promise<boolean> {
  const fh = await fsp.open(file, "r");
  try {
    return (await topLevelBoxes(fh, (await fh.stat()).size))?.some((b) => b.type === "ftbl") === true;
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
