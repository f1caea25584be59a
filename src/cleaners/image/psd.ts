import type { CleanContext, Cleaner } from "../types.js";
import { rewriteWithoutMetadata } from "./exiftool-rewrite.js";

/**
 * The PSD header and layer records as ExifTool names them: what Photoshop and other readers need
 * to rebuild the document (size, depth, colour mode, resolution, layer geometry, blending,
 * visibility and names; layer names are part of the document, like an SVG's title).
 */
const STRUCTURAL_TAGS: ReadonlySet<string> = new Set([
  "NumChannels", "ImageHeight", "ImageWidth", "BitDepth", "ColorMode", "Compression", "XResolution", "YResolution",
  "DisplayedUnitsX", "DisplayedUnitsY", "LayerCount", "LayerRectangles", "LayerBlendModes", "LayerOpacities",
  "LayerVisible", "LayerNames", "LayerUnicodeNames", "LayerIDs", "LayerGroups", "LayerColors", "LayerSections", "HasRealMergedData",
  "GlobalAngle", "GlobalAltitude",
]);

/**
 * The Photoshop resources ExifTool writes but `-all=` (or `-Photoshop:all=`) leaves in a PSD:
 * named one by one. The lighting angle and altitude of layer effects stay (they render them).
 */
const RESOURCES = ["CopyrightFlag", "IPTCDigest", "PhotoshopThumbnail", "PhotoshopBGRThumbnail", "PhotoshopQuality", "URL", "URL_List"].map(
  (t) => `-Photoshop:${t}=`,
);

/**
 * Photoshop documents, rewritten by ExifTool: the image resources that are metadata (EXIF, XMP,
 * IPTC, ICC unless kept, the thumbnails, URL, copyright flag) go. Layers and the merged image are
 * copied unchanged.
 */
export const psdCleaner: Cleaner = {
  name: "psd",
  fileTypes: ["PSD", "PSB"],
  clean: (ctx: CleanContext) => rewriteWithoutMetadata(ctx, RESOURCES),
  isStructural: (t) => t.group === "Photoshop" && STRUCTURAL_TAGS.has(t.tag),
};
