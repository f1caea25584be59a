import type { Cleaner } from "../types.js";
import { gifCleaner } from "./gif.js";
import { heifCleaner } from "./heif.js";
import { jpegCleaner } from "./jpeg.js";
import { pngCleaner } from "./png.js";
import { svgCleaner } from "./svg.js";
import { tiffCleaner } from "./tiff.js";
import { webpCleaner } from "./webp.js";

/** The image family's cleaners, in the order the registry tries them. */
export const imageCleaners: readonly Cleaner[] = [jpegCleaner, pngCleaner, tiffCleaner, gifCleaner, webpCleaner, heifCleaner, svgCleaner];
