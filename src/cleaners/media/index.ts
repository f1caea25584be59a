import type { Cleaner } from "../types.js";

/** The media family's cleaners, in the order the registry tries them. */
export const mediaCleaners: readonly Cleaner[] = [];
