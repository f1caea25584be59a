import type { Cleaner } from "../types.js";

/** The image family's cleaners, in the order the registry tries them. */
export const imageCleaners: readonly Cleaner[] = [];
