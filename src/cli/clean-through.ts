import { type CleanRequest, type CleanResult, clean, detect, verify } from "../cleaners/clean-file.js";
import type { RawTags } from "../metadata/read-task.js";

/**
 * The one place the command line runs detect -> clean -> verify: the service's own steps
 * (src/cleaners/clean-file.ts), in this process. The files are the user's own, so they are not
 * sent through the service's worker threads. `before` is the read the findings came from, as in
 * the service's removal.
 */
export async function cleanThrough(req: CleanRequest, before: RawTags): Promise<CleanResult> {
  const detected = detect(before);
  const outcome = await clean(req, detected);
  return verify(req.exiftool, detected, before, req.output, req.keep, outcome);
}
