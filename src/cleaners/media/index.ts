import type { Cleaner } from "../types.js";
import { aacCleaner } from "./aac.js";
import { aviCleaner, matroskaCleaner, oggCleaner, quickTimeCleaner } from "./containers.js";
import { flacCleaner } from "./flac.js";
import { mp3Cleaner } from "./mp3.js";
import { wavCleaner } from "./wav.js";

/** The media family's cleaners, in the order the registry tries them. */
export const mediaCleaners: readonly Cleaner[] = [mp3Cleaner, aacCleaner, flacCleaner, wavCleaner, quickTimeCleaner, matroskaCleaner, aviCleaner, oggCleaner];
