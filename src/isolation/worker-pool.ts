import { MessageChannel, type MessagePort } from "node:worker_threads";
import { fileURLToPath } from "node:url";
import { Piscina } from "piscina";
import { TooComplexError } from "../cleaners/errors.js";
import type { Screened } from "../cleaners/screen.js";
import type { CleanedCopy } from "../cleaners/clean-file.js";
import type { ExifToolAccess } from "../cleaners/types.js";
import type { Finding } from "../metadata/findings/index.js";
import type { AttachedFindingsJob, CleanJob, FindingsJob, JobResult, ScreenJob, TaskLine } from "./jobs.js";
import type { FindingsRead } from "./messages.js";
import { serveTask, type TaskNeeds } from "./serve-task.js";
import { deserializeError } from "./serialize-error.js";
import { createToolSpawner } from "./tool-spawner.js";

/**
 * Worker threads where the client's bytes are parsed. Each call rejects with the cleaners' error
 * types; a worker that runs out of heap or stack is a `TooComplexError`. When `signal` fires,
 * every program the task started is killed and the task is stopped: it ends at its next check,
 * or its thread is terminated (STOP_GRACE_MS); the call rejects with the signal's reason once
 * the task is over.
 */
export interface WorkerPool {
  /**
   * Runs the type's cleaner on `job.input`, writing `job.output`; `needs.weigh` takes room in the
   * budget for a file inside that weighs more than its size, before it is read; `needs.final` is
   * called once the output is written for good (the cleaner's own checks of it may still run).
   */
  clean(job: Omit<CleanJob, keyof TaskLine>, signal: AbortSignal, needs?: Pick<TaskNeeds, "weigh" | "final">): Promise<CleanedCopy>;
  /** What the file gives away, from its ExifTool read (`job.tags`, or `tags` when it comes) and a look into the file. */
  findings(job: Omit<FindingsJob, keyof TaskLine>, signal: AbortSignal, tags?: Promise<FindingsRead>): Promise<Finding[]>;
  /** What a PDF's attached files give away, as its cleaner listed them. */
  attachedFindings(job: Omit<AttachedFindingsJob, keyof TaskLine>, signal: AbortSignal): Promise<Finding[]>;
  /**
   * Refuses (TooComplexError) a file past the limits of its shape, before ExifTool reads it; resolves
   * to whether a view of the file was written and the file's weight (see checkShape). `needs.weigh`
   * takes room in the budget for a file read whole before the screen ends (a PDF it decrypts).
   */
  screen(job: Omit<ScreenJob, keyof TaskLine>, signal: AbortSignal, needs?: Pick<TaskNeeds, "weigh">): Promise<Screened>;
  close(): Promise<void>;
}

export interface WorkerPoolOptions {
  /** Workers at most (one file each); the work budget keeps the queue in front of them short. */
  threads: number;
  /** V8 old-generation heap of each worker. */
  heapMb: number;
  /** ExifTool for one task, whose reads and writes stop with `signal`. */
  exiftool: (signal: AbortSignal) => ExifToolAccess;
  /** Told of a worker thread's failure outside any task (its thread is replaced; no request waits on it). */
  onIdleError?: (err: unknown) => void;
}

/**
 * How long a stopped task (deadline, client gone) has to end at one of its checks (its next
 * question to the main thread, its next chunk read: see worker-channel.ts) before its thread is
 * terminated. Ending there keeps the thread: after 20 removals of an 11 MB DOCX their clients hung
 * up on mid-work, the next small removal waited 0.6-1.0 s (new threads loading their modules)
 * when each stop ended a thread, 20-40 ms now. A task that runs on without a check (a runaway
 * parse) is still ended, a moment later.
 */
const STOP_GRACE_MS = 1000;

const WORKER = fileURLToPath(new URL("./worker-entry.cjs", import.meta.url));

export function createWorkerPool(opts: WorkerPoolOptions): WorkerPool {
  const pool = new Piscina({
    filename: WORKER,
    // No thread kept at idle: one holds ~40 MB (service 115 -> 155 MB), which left a 1 GB-class
    // removal a few MB short of its 300 MB bound. The first request after an idle minute waits
    // for a thread to load its modules (~150 ms of CPU).
    minThreads: 0,
    maxThreads: opts.threads,
    idleTimeout: 60_000,
    resourceLimits: { maxOldGenerationSizeMb: opts.heapMb, maxYoungGenerationSizeMb: 32, stackSizeMb: 4 },
  });
  // Piscina emits a failure of a thread between tasks (an uncaught exception, a module that fails
  // to load) as "error" on the pool: with no listener, Node would end the whole service for it.
  pool.on("error", (err: unknown) => opts.onIdleError?.(err));
  const tools = createToolSpawner();

  async function run<T>(name: string, job: object, signal: AbortSignal, needs?: TaskNeeds): Promise<T> {
    signal.throwIfAborted();
    const ended = new AbortController();
    const taskSignal = AbortSignal.any([signal, ended.signal]);
    const { port1, port2 } = new MessageChannel();
    serveTask(port1, opts.exiftool(taskSignal), tools, taskSignal, needs);
    const stop = new Int32Array(new SharedArrayBuffer(4));
    const kill = new AbortController();
    let grace: NodeJS.Timeout | undefined;
    const onAbort = (): void => {
      Atomics.store(stop, 0, 1);
      grace = setTimeout(() => kill.abort(signal.reason), STOP_GRACE_MS);
    };
    signal.addEventListener("abort", onAbort, { once: true });
    try {
      const task: TaskLine = { ...job, port: port2, stop };
      const result = (await pool.run(task, { name, transferList: [port2], signal: kill.signal })) as JobResult<T>;
      if (signal.aborted) throw signal.reason;
      if (!result.ok) throw deserializeError(result.error);
      return result.value;
    } catch (err) {
      if (signal.aborted) throw signal.reason;
      if (isWorkerOutOfMemory(err)) throw new TooComplexError("the worker ran out of memory", err);
      throw err;
    } finally {
      clearTimeout(grace);
      signal.removeEventListener("abort", onAbort);
      // Whatever ended the task (an answer, a crash, the deadline), its programs stop with it.
      ended.abort();
      port1.close();
    }
  }

  return {
    clean: (job, signal, needs) => run<CleanedCopy>("cleanInWorker", job, signal, needs),
    findings: (job, signal, tags) => run<Finding[]>("findingsInWorker", job, signal, tags != null ? { tags } : {}),
    attachedFindings: (job, signal) => run<Finding[]>("attachedFindingsInWorker", job, signal),
    screen: (job, signal, needs) => run<Screened>("screenInWorker", job, signal, needs),
    close: async () => {
      await pool.destroy();
      await tools.close();
    },
  };
}

function isWorkerOutOfMemory(err: unknown): boolean {
  return err instanceof Error && (err as NodeJS.ErrnoException).code === "ERR_WORKER_OUT_OF_MEMORY";
}
