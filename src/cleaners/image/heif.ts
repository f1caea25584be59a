import { BadFileError } from "../errors.js";
import type { CleanContext, CleanOutcome, Cleaner } from "../types.js";
import { isMediaStructural } from "../media/structural.js";
import { scrubHeifBoxes } from "./heif-boxes.js";
import { blankHeifInPlace, blankHeifLeftovers, readHeifTop } from "./heif-in-place.js";
import { dropJpegThumbnails } from "./heif-jpeg-thumbnails.js";

/**
 * ExifTool's names for the boxes that describe how to decode and display the picture: brands,
 * item layout, codec configuration, size, colour (nclx), pixel shape and crop, and the irot/imir transforms, which are
 * the HEIF way of orienting a picture (EXIF orientation is ignored by HEIF readers).
 */
const STRUCTURAL_TAGS = new Set([
  "MajorBrand", "MinorVersion", "CompatibleBrands", "HandlerType", "PrimaryItemReference", "MetaImageSize",
  "ImageSpatialExtent", "ImagePixelDepth", "MediaData", "MediaDataSize", "MediaDataOffset", "Rotation", "ImageRotation", "Mirroring",
  "HEVCConfigurationVersion", "GeneralProfileSpace", "GeneralTierFlag", "GeneralProfileIDC",
  "GenProfileCompatibilityFlags", "ConstraintIndicatorFlags", "GeneralLevelIDC", "MinSpatialSegmentationIDC",
  "ParallelismType", "ChromaFormat", "BitDepthLuma", "BitDepthChroma", "AverageFrameRate", "ConstantFrameRate",
  "NumTemporalLayers", "TemporalIDNested", "AV1ConfigurationVersion", "SeqProfile", "SeqLevelIdx0", "SeqTier0",
  "HighBitDepth", "TwelveBit", "Monochrome", "ChromaSubsamplingX", "ChromaSubsamplingY", "ChromaSamplePosition", "InitialDelaySamples",
  "ColorProfiles", "ColorPrimaries", "TransferCharacteristics", "MatrixCoefficients", "VideoFullRangeFlag",
  "AuxiliaryImageType",
  // Numbers whose bytes past their fields heif-boxes.ts zeroes: an AV1 picture's operating point,
  // layer sizes and selected layer (Apple's and Xiph's layered AVIF), HDR mastering display and
  // light levels (Microsoft's HDR AVIF), and groups of alternative pictures or a stereo pair.
  "Unknown_a1op", "Unknown_a1lx", "Unknown_lsel", "Unknown_mdcv", "MaxContentLightLevel", "MaxPicAverageLightLevel",
  "Unknown_altr", "Unknown_ster",
  // The pixel aspect ratio (`pasp`) and clean aperture (`clap`) properties: how the picture is
  // shown, written by cameras and encoders (a 1:1 `pasp` by libavif).
  "PixelAspectRatio", "CleanAperture",
  // Padding, zeroed by scrubHeifBoxes; `idat` holds item data such as the grid layout of the
  // tiles an iPhone picture is made of (ExifTool names it MetaImageSize only in a HEIC).
  "Free", "Unknown_free", "Unknown_idat",
  // An image sequence's frames (heif-sequence.ts), whose sample entries ExifTool reads without
  // naming their boxes: coding constraints (`ccst`), an alpha plane's auxiliary type (`auxi`), the
  // reference to the track it belongs to (`auxl`), field order, pixel shape and crop; the movie's
  // rewrite checked their shapes (media/iso-moov.ts).
  "Unknown_ccst", "Unknown_auxi", "Unknown_auxl", "Unknown_fiel", "Unknown_pasp", "Unknown_clap",
]);

/** A sample entry's `colr` ExifTool has no name for, of the size of a colour description by numbers (`nclx`, `nclc`), never a profile. */
const NUMERIC_COLOUR = /^\(Binary data 1[01] bytes/;

/** The SEI user data overwritten in a HEIC's pictures, counted as a video's is, and the JPEG thumbnails dropped (`previews`). */
function seiOutcome(seiUserData: number, previews = 0): CleanOutcome | undefined {
  const hidden = { ...(seiUserData > 0 ? { seiUserData } : {}), ...(previews > 0 ? { previews } : {}) };
  return Object.keys(hidden).length > 0 ? { hidden } : undefined;
}

/**
 * HEIC/HEIF and AVIF: blanked in place where the file has the one plain shape heif-in-place.ts
 * knows and the copy then passes the structural proof (no ExifTool run at all); any other file is
 * rewritten by ExifTool, whose `-all=` drops the Exif and XMP items' data and re-locates the rest,
 * and what it leaves (the ICC profile, padding, items it has no name for, bytes no item points
 * at, SEI user data among an HEVC picture's units) is blanked in place afterwards (heif-boxes.ts,
 * heif-in-place.ts, heif-item-sei.ts), and JPEG thumbnail items are dropped (heif-jpeg-thumbnails.ts).
 * A file whose items then do not add up is refused as damaged: what ExifTool carried could not be found.
 */
export const heifCleaner: Cleaner = {
  name: "heif",
  fileTypes: ["HEIC", "HEIF", "AVIF", "HEIFS"],
  async clean(ctx: CleanContext): Promise<CleanOutcome | void> {
    const dropIcc = !ctx.keep.has("colorProfile");
    // The top level is walked once, for both plans (a still picture's, an image sequence's).
    const top = await readHeifTop(ctx.input);
    const inPlace = await blankHeifInPlace(top, ctx.input, ctx.output, ctx.fileType, dropIcc);
    if (inPlace != null) return seiOutcome(inPlace.seiUserData);
    // Image sequences only: the movie's cleaning (media/iso-rewrite.ts) is loaded when one comes.
    if (top?.others.has("moov") === true) {
      // A HEIF sequence (brand msf1) need not have a still picture (libheif writes none): its movie is all there is.
      if (top.meta == null && ctx.fileType === "HEIFS") return (await import("../media/containers.js")).heifMovieCleaner.clean(ctx);
      const { cleanHeifSequence } = await import("./heif-sequence.js");
      const outcome = await cleanHeifSequence(top, ctx.input, ctx.output, ctx.workDir, dropIcc);
      if (outcome != null) return outcome;
    }
    const errors = await ctx.exiftool.write(ctx.input, ctx.output, ["-all=", ...(ctx.keep.has("colorProfile") ? ["--ICC_Profile:all"] : [])]);
    if (errors.length > 0) {
      throw new BadFileError("The image file is damaged: its structure could not be read.", new Error(errors.join("; ")));
    }
    await scrubHeifBoxes(ctx.output, dropIcc);
    // Before the leftovers' blanking, which then zeroes the dropped thumbnails' bytes.
    const previews = await dropJpegThumbnails(ctx.output);
    const seiUserData = await blankHeifLeftovers(ctx.output);
    // Every real file tried (av1-avif's, libheif's and pillow_heif's samples: Apple, Sony, Xiaomi, Nokia) has items that add up.
    if (seiUserData == null) throw new BadFileError("The image file is damaged: its items' data and references do not add up.");
    return seiOutcome(seiUserData, previews);
  },
  // An image sequence's movie reads as an MP4's does.
  isStructural: (t) =>
    (t.group === "QuickTime" && (STRUCTURAL_TAGS.has(t.tag) || (t.tag === "Unknown_colr" && NUMERIC_COLOUR.test(String(t.value))))) ||
    isMediaStructural(t),
};
