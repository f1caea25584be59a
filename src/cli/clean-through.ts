import { type CleanRequest, type CleanResult, detect, startReread, verify } from "../cleaners/clean-file.js";
import type { WorkerPool } from "../isolation/worker-pool.js";
import type { RawRead, RawTags } from "../metadata/read-task.js";

/**
 * The one place the command line runs detect -> clean -> verify: the service's own steps
 * (src/cleaners/clean-file.ts), the cleaning in the service's task processes (src/isolation/), so
 * that a file built to exhaust memory or stack fails alone and the rest of the batch goes on.
 * Detection and verification are ExifTool reads, made here as in the service. `before` is the read
 * the findings came from, as in the service's removal.
 */
export async function cleanThrough(req: CleanRequest, before: RawTags, workers: WorkerPool, signal: AbortSignal): Promise<CleanResult> {
  const detected = await detect(before);
  const job = { input: req.input, output: req.output, workDir: req.workDir, fileType: detected.fileType, keep: [...req.keep], unknownMembers: req.unknownMembers ?? "refuse" };
  // As in the service: the re-read starts once the cleaner's output is final, beside its own checks.
  const started: { reread: Promise<RawRead> | null } = { reread: null };
  const final = (): void => {
    started.reread ??= startReread(req.exiftool, detected.fileType, req.keep, req.output);
    started.reread?.catch(() => undefined);
  };
  try {
    const outcome = await workers.clean(job, signal, { final });
    return await verify(req.exiftool, detected, before, req.output, req.keep, outcome, started.reread);
  } finally {
    await started.reread?.catch(() => undefined);
  }
}
