import { type CleanRequest, type CleanResult, detect, verify } from "../cleaners/clean-file.js";
import type { WorkerPool } from "../isolation/worker-pool.js";
import type { RawTags } from "../metadata/read-task.js";

/**
 * The one place the command line runs detect -> clean -> verify: the service's own steps
 * (src/cleaners/clean-file.ts), the cleaning in the service's worker threads (src/isolation/), so
 * that a file built to exhaust memory or stack fails alone and the rest of the batch goes on.
 * Detection and verification are ExifTool reads, made here as in the service. `before` is the read
 * the findings came from, as in the service's removal.
 */
export async function cleanThrough(req: CleanRequest, before: RawTags, workers: WorkerPool, signal: AbortSignal): Promise<CleanResult> {
  const detected = await detect(before);
  const job = { input: req.input, output: req.output, workDir: req.workDir, fileType: detected.fileType, keep: [...req.keep], unknownMembers: req.unknownMembers ?? "refuse" };
  const outcome = await workers.clean(job, signal);
  return verify(req.exiftool, detected, before, req.output, req.keep, outcome);
}
