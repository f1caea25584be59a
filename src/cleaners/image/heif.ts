import { BadFileError } from "../errors.js";
import type { CleanContext, Cleaner } from "../types.js";

/**
 * ExifTool's names for the boxes that describe how to decode and display the picture: brands,
 * item layout, codec configuration, size, colour (nclx) and the irot/imir transforms, which are
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
]);

/**
 * HEIC/HEIF and AVIF, rewritten by ExifTool: its `-all=` drops the Exif and XMP items and their
 * data in `mdat`, which a hand-written rewriter would have to re-locate item by item.
 */
export const heifCleaner: Cleaner = {
  name: "heif",
  fileTypes: ["HEIC", "HEIF", "AVIF"],
  async clean(ctx: CleanContext): Promise<void> {
    const errors = await ctx.exiftool.write(ctx.input, ctx.output, ["-all=", ...(ctx.keep.has("colorProfile") ? ["--ICC_Profile:all"] : [])]);
    if (errors.length > 0) {
      throw new BadFileError("The image file is damaged: its structure could not be read.", new Error(errors.join("; ")));
    }
  },
  isStructural: (t) => t.group === "QuickTime" && STRUCTURAL_TAGS.has(t.tag),
};
