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
 * Runs the service's ExifTool tasks so that none outlives its request, and none is tried twice on
 * a file that already took ExifTool to its time limit.
 *
 * - When the request's signal fires (deadline or client gone), its task stops: a task running in a
 *   process has that process ended (the only way to stop ExifTool mid-file; the pool starts a new
 *   one), a task still queued is dropped the moment a process takes it. The caller is answered
 *   at once.
 * - A failed task is tried once more (a process can die for reasons of its own), except after a
 *   timeout or too much output: a file that held ExifTool for its whole task timeout, or made it
 *   print past its cap, will do so again.
 *
 * A task is never rejected while it waits in the queue: batch-cluster would still hand it to a
 * process, and the process, believing itself idle, would pass that task's output to the next one.
 */
export function createTaskRunner(exiftool: ExifTool): RunTask {
  const processes = new Set<PoolProcess>();
  const timedOut = new WeakSet<object>();
  exiftool.on("childStart", (proc) => processes.add(proc));
  exiftool.on("childEnd", (proc) => processes.delete(proc));
  exiftool.on("taskTimeout", (_ms, task) => timedOut.add(task));

  function stop(task: ExifToolTask<unknown>, reason: unknown): void {
    const proc = [...processes].find((p) => p.currentTask === task);
    if (proc == null) return;
    task.reject(reason instanceof Error ? reason : new Error(String(reason)));
    void proc.end(false, "timeout");
  }

  function once<T>(make: () => ExifToolTask<T>, signal: AbortSignal | undefined): Promise<T> {
    let task: ExifToolTask<T> | undefined;
    const build = (): ExifToolTask<T> => {
      // Called when the pool queues the task: one whose request already ended is not queued.
      signal?.throwIfAborted();
      const t = make();
      task = t;
      if (signal != null) {
        const start = t.onStart.bind(t);
        // A task whose request ended while it waited is stopped as soon as a process takes it.
        t.onStart = (opts) => {
          start(opts);
          if (signal.aborted) stop(t, signal.reason);
        };
      }
      return t;
    };
    const run = exiftool.enqueueTask(build, false);
    if (signal == null) return run;
    return new Promise<T>((resolve, reject) => {
      const onAbort = (): void => {
        if (task != null) stop(task, signal.reason);
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
