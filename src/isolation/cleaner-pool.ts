import { MessageChannel } from "node:worker_threads";
import { fileURLToPath } from "node:url";
import { Piscina } from "piscina";
import { TooComplexError } from "../cleaners/errors.js";
import type { CleanOutcome, ExifToolAccess } from "../cleaners/types.js";
import type { CleanJob, CleanJobResult } from "./clean-job.js";
import { serveTask } from "./serve-task.js";
import { deserializeError } from "./serialize-error.js";

export interface CleanerPool {
  /**
   * Runs the type's cleaner on `job.input` in a worker thread. Rejects with the cleaners' error
   * types; a worker that runs out of heap or stack is a `TooComplexError`. When `signal` fires,
   * the worker is stopped and every program it started is killed.
   */
  clean(job: Omit<CleanJob, "port">, signal: AbortSignal): Promise<CleanOutcome>;
  close(): Promise<void>;
}

export interface CleanerPoolOptions {
  /** Workers at most (one file each); the work budget keeps the queue in front of them short. */
  threads: number;
  /** V8 old-generation heap of each worker. */
  heapMb: number;
  exiftool: ExifToolAccess;
}

const WORKER = fileURLToPath(new URL("./clean-worker.js", import.meta.url));

export function createCleanerPool(opts: CleanerPoolOptions): CleanerPool {
  const pool = new Piscina({
    filename: WORKER,
    // Started on the first file (an instance that only extracts never starts one), then kept a
    // while: a worker costs ~30 ms and ~40 MB to start.
    minThreads: 0,
    maxThreads: opts.threads,
    idleTimeout: 60_000,
    resourceLimits: { maxOldGenerationSizeMb: opts.heapMb, maxYoungGenerationSizeMb: 32, stackSizeMb: 4 },
  });
  return {
    async clean(job, signal) {
      const ended = new AbortController();
      const taskSignal = AbortSignal.any([signal, ended.signal]);
      const { port1, port2 } = new MessageChannel();
      serveTask(port1, opts.exiftool, taskSignal);
      try {
        const result = (await pool.run({ ...job, port: port2 } satisfies CleanJob, { transferList: [port2], signal })) as CleanJobResult;
        if (!result.ok) throw deserializeError(result.error);
        return result.outcome;
      } catch (err) {
        if (signal.aborted) throw signal.reason;
        if (isWorkerOutOfMemory(err)) throw new TooComplexError("the cleaner ran out of memory", err);
        throw err;
      } finally {
        // Whatever ended the task (an answer, a crash, the deadline), its programs stop with it.
        ended.abort();
        port1.close();
      }
    },
    close: () => pool.destroy(),
  };
}

function isWorkerOutOfMemory(err: unknown): boolean {
  return err instanceof Error && (err as NodeJS.ErrnoException).code === "ERR_WORKER_OUT_OF_MEMORY";
}
