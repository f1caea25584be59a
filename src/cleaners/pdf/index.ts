import type { Cleaner } from "../types.js";
import { pdfCleaner } from "./pdf.js";

/** The pdf family's cleaners, in the order the registry tries them. */
export const pdfCleaners: readonly Cleaner[] = [pdfCleaner];
