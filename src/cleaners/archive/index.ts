import type { Cleaner } from "../types.js";
import { tarArchiveCleaner } from "./tar.js";
import { zipArchiveCleaner } from "./zip.js";

/** Archives, cleaned member by member (contract, "Archives"). */
export const archiveCleaners: readonly Cleaner[] = [zipArchiveCleaner, tarArchiveCleaner];
