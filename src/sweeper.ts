import type { Logger } from "pino";
import type { BlobStore } from "./store/blobs.js";
import type { CleanedFileStore } from "./store/cleaned-files.js";

/**
 * Deletes expired cleaned files from storage, then their records. Safe to run on every instance
 * at once: deleting a blob or a record twice is harmless.
 */
export function startSweeper(deps: { cleanedFiles: CleanedFileStore; blobs: BlobStore; log: Logger; intervalMs: number }): { stop(): Promise<void> } {
  let running: Promise<void> | null = null;
  const sweep = async (): Promise<void> => {
    for (;;) {
      const expired = await deps.cleanedFiles.listExpired(new Date(), 100);
      for (const f of expired) {
        await deps.blobs.delete(f.storageKey);
        await deps.cleanedFiles.delete(f.uuid);
      }
      if (expired.length > 0) deps.log.info({ deleted: expired.length }, "expired downloads deleted");
      if (expired.length < 100) return;
    }
  };
  const tick = (): void => {
    if (running != null) return;
    running = sweep()
      .catch((err: unknown) => deps.log.error({ err }, "sweeping expired downloads failed"))
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
