import type { Logger } from "pino";
import type { BlobStore } from "./store/blobs.js";
import type { CleanedFileStore } from "./store/cleaned-files.js";
import type { ExtractionStore } from "./store/extractions.js";

const BATCH = 100;

export interface SweeperDeps {
  cleanedFiles: CleanedFileStore;
  blobs: BlobStore;
  extractions: ExtractionStore;
  /** Extraction results older than this go; null keeps them forever (RESULT_TTL_HOURS=0). */
  resultTtlMs: number | null;
  log: Logger;
  intervalMs: number;
}

/**
 * Deletes expired cleaned files from storage, then their records, and extraction results past
 * their time to live. Safe to run on every instance at once: deleting a blob or a record twice
 * is harmless.
 */
export function startSweeper(deps: SweeperDeps): { stop(): Promise<void> } {
  let running: Promise<void> | null = null;
  const sweepDownloads = async (): Promise<void> => {
    for (;;) {
      const expired = await deps.cleanedFiles.listExpired(new Date(), BATCH);
      for (const f of expired) {
        await deps.blobs.delete(f.storageKey);
        await deps.cleanedFiles.delete(f.uuid);
      }
      if (expired.length > 0) deps.log.info({ deleted: expired.length }, "expired downloads deleted");
      if (expired.length < BATCH) return;
    }
  };
  const sweepResults = async (ttlMs: number): Promise<void> => {
    const cutoff = new Date(Date.now() - ttlMs);
    let total = 0;
    for (;;) {
      const deleted = await deps.extractions.deleteCreatedBefore(cutoff, BATCH);
      total += deleted;
      if (deleted < BATCH) break;
    }
    if (total > 0) deps.log.info({ deleted: total }, "expired extraction results deleted");
  };
  const sweep = async (): Promise<void> => {
    await sweepDownloads();
    if (deps.resultTtlMs != null) await sweepResults(deps.resultTtlMs);
  };
  const tick = (): void => {
    if (running != null) return;
    running = sweep()
      .catch((err: unknown) => deps.log.error({ err }, "sweeping expired downloads and results failed"))
      .finally(() => {
        running = null;
      });
  };
  tick();
  const timer = setInterval(tick, deps.intervalMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
