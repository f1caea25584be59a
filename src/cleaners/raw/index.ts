import type { Cleaner } from "../types.js";
import { rawCleaner } from "./raw.js";
import { rawRefusals } from "./refusals.js";

/** The camera raw family's cleaners. */
export const rawCleaners: readonly Cleaner[] = [rawCleaner, ...rawRefusals];
