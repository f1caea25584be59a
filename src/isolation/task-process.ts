import { releaseHeapIfGrown } from "./heap-release.js";
import type { JobResult } from "./jobs.js";
import type { FromTaskProcess, ToTaskProcess } from "./messages.js";
import { serializeError } from "./serialize-error.js";
import { openTaskLine, type TaskLine } from "./worker-channel.js";

/**
 * A task process: the isolation boundary. The service forks it (worker-pool.ts) under a V8 heap
 * cap, and it runs the tasks that parse a client's bytes, one at a time. Whatever a file does to
 * it (a heap grown past the cap, one array grown until V8 aborts, a crash in a native module), only
 * this process ends: its task fails, and the service forks another for the next. Task processes
 * did not give that: a thread that reached its heap limit by growing one array aborted the whole
 * service (nodejs/node#47224).
 *
 * The task modules are imported on the first task, so that a build that fails to load fails that
 * task (a 500), not the process before it could say so.
 */

type Task = Extract<ToTaskProcess, { kind: "task" }>;

let current: { task: number; line: TaskLine } | undefined;

process.on("message", (m: ToTaskProcess) => {
  if (m.kind === "task") {
    void run(m);
    return;
  }
  if (current == null || m.task !== current.task) return;
  if (m.kind === "stop") current.line.stop();
  else current.line.answer(m);
});

// The service is gone (its end of the channel closed): no task of this process has a reader.
process.on("disconnect", () => process.exit(0));

async function run(m: Task): Promise<void> {
  const line = openTaskLine((request) => send({ kind: "call", task: m.task, ...request }));
  current = { task: m.task, line };
  const result = await import("./worker.js").then(
    (tasks) => tasks.runTask(m, line),
    (err: unknown): JobResult<unknown> => ({ ok: false, error: serializeError(err) }),
  );
  current = undefined;
  send({ kind: "result", task: m.task, result });
  // After the answer: the service does not wait for the collection.
  releaseHeapIfGrown();
}

function send(message: FromTaskProcess): void {
  if (process.connected) process.send?.(message);
}
