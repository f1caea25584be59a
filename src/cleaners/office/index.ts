import type { Cleaner } from "../types.js";

/** The office family's cleaners, in the order the registry tries them. */
export const officeCleaners: readonly Cleaner[] = [];
