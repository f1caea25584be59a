import { TooComplexError } from "../cleaners/errors.js";
import type { Screened } from "../cleaners/screen.js";
import type { CleanedCopy } from "../cleaners/clean-file.js";
import type { ExifToolAccess } from "../cleaners/types.js";
import type { Finding } from "../metadata/findings/index.js";
import type { AttachedFindingsJob, CleanJob, FindingsJob, JobResult, ScreenJob, TaskOrder } from "./jobs.js";
import type { FindingsRead, FromTaskProcess } from "./messages.js";
import { serveTask, type TaskNeeds } from "./serve-task.js";
import { deserializeError } from "./serialize-error.js";
import { createTaskProcesses } from "./task-processes.js";
import { createToolSpawner } from "./tool-spawner.js";

/**
 * Task processes where the client's bytes are parsed (task-process.ts). Each call rejects with
 * the cleaners' error types; a task whose process ends under it (out of heap, out of stack, an
 * abort) is a `TooComplexError`, and only that task fails. When `signal` fires, every program the
 * task started is killed and the task is stopped: it ends at its next check, or its process is
 * killed (STOP_GRACE_MS); the call rejects with the signal's reason once the task is over.
 */
export interface WorkerPool {
  /**
   * Runs the type's cleaner on `job.input`, writing `job.output`; `needs.weigh` takes room in the
   * budget for a file inside that weighs more than its size, before it is read; `needs.final` is
   * called once the output is written for good (the cleaner's own checks of it may still run).
   */
  clean(job: CleanJob, signal: AbortSignal, needs?: Pick<TaskNeeds, "weigh" | "final">): Promise<CleanedCopy>;
  /** What the file gives away, from its ExifTool read (`job.tags`, or `tags` when it comes) and a look into the file. */
  findings(job: FindingsJob, signal: AbortSignal, tags?: Promise<FindingsRead>): Promise<Finding[]>;
  /** What a PDF's attached files give away, as its cleaner listed them. */
  attachedFindings(job: AttachedFindingsJob, signal: AbortSignal): Promise<Finding[]>;
  /**
   * Refuses (TooComplexError) a file past the limits of its shape, before ExifTool reads it; resolves
   * to whether a view of the file was written and the file's weight (see checkShape). `needs.weigh`
   * takes room in the budget for a file read whole before the screen ends (a PDF it decrypts).
   */
  screen(job: ScreenJob, signal: AbortSignal, needs?: Pick<TaskNeeds, "weigh">): Promise<Screened>;
  close(): Promise<void>;
}

export interface WorkerPoolOptions {
  /** Task processes at most (one file each); the work budget keeps the queue in front of them short. */
  processes: number;
  /** V8 old-generation heap of each task process. */
  heapMb: number;
  /** ExifTool for one task, whose reads and writes stop with `signal`. */
  exiftool: (signal: AbortSignal) => ExifToolAccess;
  /** Told of a task process that ended outside any task (no request waits on it; the next task gets a new one). */
  onIdleError?: (err: unknown) => void;
}

/**
 * How long a stopped task (deadline, client gone) has to end at one of its checks (its next
 * question to the service, its next chunk read: see worker-channel.ts) before its process is
 * killed. Ending there keeps the process: after 20 removals of an 11 MB DOCX their clients hung
 * up on mid-work, the next small removal waited 0.6-1.0 s (new workers loading their modules)
 * when each stop ended a worker, 20-40 ms once they were kept. A task that runs on without a
 * check (a runaway parse) is still ended, a moment later.
 */
const STOP_GRACE_MS = 1000;

/** How long an idle task process is kept: a new one costs ~200 ms of CPU before its first task. */
const IDLE_MS = 60_000;

export function createWorkerPool(opts: WorkerPoolOptions): WorkerPool {
  const processes = createTaskProcesses({
    max: opts.processes,
    heapMb: opts.heapMb,
    idleMs: IDLE_MS,
    onIdleExit: (how) => opts.onIdleError?.(new Error(`an idle task process ended (${how})`)),
  });
  const tools = createToolSpawner();
  let tasks = 0;

  async function run<T>(order: TaskOrder, signal: AbortSignal, needs?: TaskNeeds): Promise<T> {
    const worker = await processes.take(signal);
    const task = ++tasks;
    const ended = new AbortController();
    const taskSignal = AbortSignal.any([signal, ended.signal]);
    const question = serveTask((answer) => worker.send({ kind: "answer", task, ...answer }), opts.exiftool(taskSignal), tools, taskSignal, needs);
    let grace: NodeJS.Timeout | undefined;
    const onAbort = (): void => {
      worker.send({ kind: "stop", task });
      grace = setTimeout(() => worker.kill(), STOP_GRACE_MS);
    };
    try {
      const result = await new Promise<JobResult<T>>((resolve, reject) => {
        worker.listen(
          (m: FromTaskProcess) => {
            if (m.task !== task) return;
            if (m.kind === "call") question(m);
            else resolve(m.result as JobResult<T>);
          },
          (how) => reject(new TooComplexError(`the task process ended (${how})`)),
        );
        // Stopped while it waited for a process: it does not start.
        if (signal.aborted) return reject(signal.reason);
        signal.addEventListener("abort", onAbort, { once: true });
        worker.send({ kind: "task", task, ...order });
      });
      if (signal.aborted) throw signal.reason;
      if (!result.ok) throw deserializeError(result.error);
      return result.value;
    } catch (err) {
      if (signal.aborted) throw signal.reason;
      throw err;
    } finally {
      clearTimeout(grace);
      signal.removeEventListener("abort", onAbort);
      // Whatever ended the task (an answer, a crash, the deadline), its programs stop with it.
      ended.abort();
      processes.give(worker);
    }
  }

  return {
    clean: (job, signal, needs) => run<CleanedCopy>({ name: "clean", job }, signal, needs),
    findings: (job, signal, tags) => run<Finding[]>({ name: "findings", job }, signal, tags != null ? { tags } : {}),
    attachedFindings: (job, signal) => run<Finding[]>({ name: "attachedFindings", job }, signal),
    screen: (job, signal, needs) => run<Screened>({ name: "screen", job }, signal, needs),
    close: async () => {
      await processes.close();
      await tools.close();
    },
  };
}
