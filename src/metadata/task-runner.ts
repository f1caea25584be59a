import type { ExifTool, ExifToolTask } from "exiftool-vendored";
import { OutputTooLarge } from "./output-cap.js";

/** An ExifTool process of the pool, as much of batch-cluster's BatchProcess as is used here. */
interface PoolProcess {
  readonly currentTask: unknown;
  end(gracefully: boolean, reason: "timeout"): Promise<void>;
}

/** Runs one ExifTool task of a request; `signal` ends it when the request ends. */
export type RunTask = <T>(make: () => ExifToolTask<T>, signal?: AbortSignal) => Promise<T>;

/**
 * What a process runs in place of a task whose request ended while it waited: ExifTool's version,
 * answered at once (the command is written when a process takes the task; see `build`).
 */
const IDLE_COMMAND = "-ver\n-execute\n";

/**
 * How long a task whose request ended (client gone, deadline) may have run, in all, before its
 * process is ended. Ending it is the only way to stop ExifTool mid-file, and a new process costs
 * ~70 ms of CPU to start and as much again to load the modules of each type it reads, while the
 * next requests wait: a read that ends within this (nearly all do) keeps its process, its result
 * dropped. One still running past it is reading a slow file, which costs more to let finish.
 */
const ABANDONED_TASK_RUN_MS = 1000;

/**
 * Runs the service's ExifTool tasks so that none outlives its request for long, and none is tried
 * twice on a file that already took ExifTool to its time limit.
 *
 * - When the request's signal fires (deadline or client gone), the caller is answered at once. A
 *   task running in a process may go on until it has run ABANDONED_TASK_RUN_MS, its result unused,
 *   then has its process ended (the pool starts a new one); a task still queued runs IDLE_COMMAND
 *   instead when a process takes it.
 * - A failed task is tried once more (a process can die for reasons of its own), except after a
 *   timeout or too much output: a file that held ExifTool for its whole task timeout, or made it
 *   print past its cap, will do so again.
 *
 * A task is never rejected while it waits in the queue or runs: batch-cluster would still hand it
 * to a process (or take the process for idle), and the process would pass that task's output to
 * the next one. It is rejected only as its process is ended.
 */
export function createTaskRunner(exiftool: ExifTool): RunTask {
  const processes = new Set<PoolProcess>();
  const timedOut = new WeakSet<object>();
  const startedAt = new WeakMap<object, number>();
  exiftool.on("childStart", (proc) => processes.add(proc));
  exiftool.on("childEnd", (proc) => processes.delete(proc));
  exiftool.on("taskTimeout", (_ms, task) => timedOut.add(task));

  /** Ends the process running `task` if the task is still there once it has run ABANDONED_TASK_RUN_MS. */
  function abandon(task: ExifToolTask<unknown>, reason: unknown): void {
    const proc = [...processes].find((p) => p.currentTask === task);
    if (proc == null) return;
    const timer = setTimeout(
      () => {
        if (proc.currentTask !== task) return;
        task.reject(reason instanceof Error ? reason : new Error(String(reason)));
        void proc.end(false, "timeout");
      },
      Math.max(0, ABANDONED_TASK_RUN_MS - (performance.now() - (startedAt.get(task) ?? 0))),
    );
    const settled = (): void => clearTimeout(timer);
    task.promise.then(settled, settled);
  }

  function once<T>(make: () => ExifToolTask<T>, signal: AbortSignal | undefined): Promise<T> {
    let task: ExifToolTask<T> | undefined;
    const build = (): ExifToolTask<T> => {
      // Called when the pool queues the task: one whose request already ended is not queued.
      signal?.throwIfAborted();
      const t = make();
      task = t;
      if (signal != null) {
        // batch-cluster reads the command as a process takes the task.
        const command = t.command;
        Object.defineProperty(t, "command", { get: () => (signal.aborted ? IDLE_COMMAND : command) });
        const start = t.onStart.bind(t);
        t.onStart = (opts) => {
          startedAt.set(t, performance.now());
          start(opts);
        };
      }
      return t;
    };
    const run = exiftool.enqueueTask(build, false);
    if (signal == null) return run;
    return new Promise<T>((resolve, reject) => {
      const onAbort = (): void => {
        if (task != null) abandon(task, signal.reason);
        run.catch(() => undefined);
        reject(signal.reason);
      };
      signal.addEventListener("abort", onAbort, { once: true });
      run.then(
        (value) => {
          signal.removeEventListener("abort", onAbort);
          resolve(value);
        },
        (err: unknown) => {
          signal.removeEventListener("abort", onAbort);
          reject(err);
        },
      );
    });
  }

  return async <T>(make: () => ExifToolTask<T>, signal?: AbortSignal): Promise<T> => {
    let first: ExifToolTask<T> | undefined;
    const remember = (): ExifToolTask<T> => {
      first = make();
      return first;
    };
    try {
      return await once(remember, signal);
    } catch (err) {
      if (signal?.aborted === true || err instanceof OutputTooLarge || (first != null && timedOut.has(first))) throw err;
      return once(make, signal);
    }
  };
}
