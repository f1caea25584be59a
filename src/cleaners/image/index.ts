import { refusal } from "../refusal.js";
import type { Cleaner } from "../types.js";
import { bmpCleaner } from "./bmp.js";
import { gifCleaner } from "./gif.js";
import { heifCleaner } from "./heif.js";
import { icoCleaner } from "./ico.js";
import { j2cCleaner } from "./j2c.js";
import { jpeg2000Cleaner, jxlCodestreamCleaner } from "./jpeg2000.js";
import { jpegCleaner } from "./jpeg.js";
import { metafileCleaner } from "./metafile.js";
import { netpbmCleaner } from "./netpbm.js";
import { pcxCleaner } from "./pcx.js";
import { pngCleaner } from "./png.js";
import { psdCleaner } from "./psd.js";
import { svgCleaner } from "./svg.js";
import { tgaCleaner } from "./tga.js";
import { tiffCleaner } from "./tiff.js";
import { webpCleaner } from "./webp.js";

/** An XMP sidecar is metadata and nothing else: a "clean" copy would be an empty file. */
const xmpSidecar = refusal(
  "xmp-sidecar",
  ["XMP"],
  "This is an XMP sidecar file: it holds nothing but metadata about another file, so once the metadata is removed " +
    "nothing is left to hand back. Delete the file instead.",
);

/** The image family's cleaners, in the order the registry tries them. */
export const imageCleaners: readonly Cleaner[] = [
  jpegCleaner, pngCleaner, tiffCleaner, gifCleaner, webpCleaner, heifCleaner, svgCleaner,
  psdCleaner, jpeg2000Cleaner, j2cCleaner, jxlCodestreamCleaner, bmpCleaner, icoCleaner, netpbmCleaner, pcxCleaner, tgaCleaner, metafileCleaner,
  xmpSidecar,
];
