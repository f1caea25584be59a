import { type CleanRequest, type CleanResult, cleanFile } from "../cleaners/clean-file.js";

/**
 * The one place the command line runs detect -> clean -> verify: the service's own functions
 * (src/cleaners/clean-file.ts), in this process. The files are the user's own, so they are not
 * sent through the service's worker threads.
 */
export function cleanThrough(req: CleanRequest): Promise<CleanResult> {
  return cleanFile(req);
}
