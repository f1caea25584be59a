import type { Cleaner } from "../types.js";
import { jpegCleaner } from "./jpeg.js";
import { pngCleaner } from "./png.js";

/** The image family's cleaners, in the order the registry tries them. */
export const imageCleaners: readonly Cleaner[] = [jpegCleaner, pngCleaner];
