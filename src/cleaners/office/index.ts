import type { Cleaner } from "../types.js";
import { ooxmlCleaner } from "./ooxml.js";
import { openDocumentCleaner } from "./opendocument.js";

/** The office family's cleaners, in the order the registry tries them. */
export const officeCleaners: readonly Cleaner[] = [ooxmlCleaner, openDocumentCleaner];
