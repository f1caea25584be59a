import type { FoundTag } from "../types.js";
import { isPath } from "./psd-resources.js";

/**
 * The PSD header, layer records and kept resources as ExifTool names them (`-u` included): what
 * Photoshop and other readers need to rebuild the document (size, depth, colour mode,
 * resolution, layer geometry, blending, visibility and names, alpha channels; layer and channel
 * names are part of the document, like an SVG's title).
 */
const STRUCTURAL_TAGS: ReadonlySet<string> = new Set([
  "NumChannels", "ImageHeight", "ImageWidth", "BitDepth", "ColorMode", "Compression", "XResolution", "YResolution",
  "DisplayedUnitsX", "DisplayedUnitsY", "LayerCount", "LayerRectangles", "LayerBlendModes", "LayerOpacities",
  "LayerVisible", "LayerNames", "LayerUnicodeNames", "LayerIDs", "LayerGroups", "LayerColors", "LayerSections", "HasRealMergedData",
  "GlobalAngle", "GlobalAltitude", "AlphaChannelsNames", "UnicodeAlphaNames", "AlphaIdentifiers", "DisplayInfo",
  "TargetLayerID", "LayersGroupInfo", "LayerSelectionIDs", "LayerGroupsEnabledID", "ICC_Untagged",
  "IndexedColorTableCount", "TransparentIndex", "PixelAspectRatio", "ClippingPathName",
  "ChannelColorSpace", "ChannelColorData", "ChannelOpacity", "ChannelColorIndicates",
]);
/** The version block's names, which the cleaning empties. */
const EMPTIED: ReadonlySet<string> = new Set(["WriterName", "ReaderName"]);
/** ExifTool has no names for the path resources: it calls them by their ids ("Photoshop_0x07d0"). */
const isPathTag = (tag: string): boolean => /^Photoshop_0x[0-9a-f]{4}$/.test(tag) && isPath(Number.parseInt(tag.slice(12), 16));

export function isPsdStructural(t: FoundTag): boolean {
  return t.group === "Photoshop" && (STRUCTURAL_TAGS.has(t.tag) || (EMPTIED.has(t.tag) && t.value === "") || isPathTag(t.tag));
}
