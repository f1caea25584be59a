import { type CleanRequest, type CleanResult, cleanFile } from "../cleaners/clean-file.js";
import { readBeforeCleaning } from "../metadata/read-for-cleaning.js";

/**
 * The one place the command line runs detect -> clean -> verify, as the service's remove route
 * does (the same first read, the same cleanFile), so that moving cleaning into worker threads
 * changes this function only.
 */
export async function cleanThrough(req: Omit<CleanRequest, "before">): Promise<CleanResult> {
  const before = await readBeforeCleaning(req.exiftool, req.input);
  return cleanFile({ ...req, before: before.tags });
}
