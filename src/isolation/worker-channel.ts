import { AsyncLocalStorage } from "node:async_hooks";
import type { ExifToolAccess } from "../cleaners/types.js";
import type { RawRead } from "../metadata/read-task.js";
import type { ToolRun } from "../cleaners/run-tool.js";
import type { AnswerMessage, MainAnswer, MainRequest, RequestMessage } from "./messages.js";
import { deserializeError } from "./serialize-error.js";

/** A task process's end of its task's line to the service. */
export interface WorkerChannel {
  call(request: MainRequest): Promise<MainAnswer>;
  /** Whether the service stopped the task (deadline, client gone). */
  stopped(): boolean;
  close(): void;
}

/** Thrown in a task the service stopped, at its next check: nobody waits for its result. */
export class TaskStopped extends Error {
  constructor() {
    super("the task was stopped");
  }
}

/** The line of one task, as its process sees it: `send` posts to the service, which answers through `answer`. */
export interface TaskLine extends WorkerChannel {
  answer(message: AnswerMessage): void;
  stop(): void;
}

export function openTaskLine(send: (request: RequestMessage) => void): TaskLine {
  let next = 0;
  let stopped = false;
  const pending = new Map<number, { resolve(v: MainAnswer): void; reject(e: Error): void }>();
  return {
    call(request) {
      if (stopped) return Promise.reject(new TaskStopped());
      const id = next++;
      return new Promise<MainAnswer>((resolve, reject) => {
        pending.set(id, { resolve, reject });
        send({ id, request });
      });
    },
    answer(m) {
      const p = pending.get(m.id);
      if (p == null) return;
      pending.delete(m.id);
      if (m.ok) p.resolve(m.value);
      else p.reject(deserializeError(m.error));
    },
    stop() {
      stopped = true;
    },
    stopped: () => stopped,
    close() {
      for (const p of pending.values()) p.reject(new Error("the task ended"));
      pending.clear();
    },
  };
}

/**
 * The channel of the task running in this async context. Helper programs are started through it
 * (run-tool.ts) without every cleaner passing it down: a task process runs one task at a time,
 * and the async context keeps tasks apart even if that changes.
 */
const current = new AsyncLocalStorage<WorkerChannel>();

export function withChannel<T>(channel: WorkerChannel, work: () => Promise<T>): Promise<T> {
  return current.run(channel, work);
}

export function currentChannel(): WorkerChannel | undefined {
  return current.getStore();
}

/**
 * Ends the task running in this async context (TaskStopped) if the service stopped it; for the
 * loops that read or parse a file a chunk at a time, so that a stopped task gives its process
 * back within a chunk instead of being killed (a new process costs ~200 ms of CPU). The stop is a
 * message, seen once the loop awaits its next chunk. Nothing outside a task is ever stopped.
 */
export function throwIfTaskStopped(): void {
  if (current.getStore()?.stopped() === true) throw new TaskStopped();
}

/** ExifTool as cleaners see it, from inside a task process. */
export function exiftoolOverChannel(channel: WorkerChannel): ExifToolAccess {
  return {
    read: async (file, opts) => (await channel.call({ op: "read", file, embedded: opts?.embedded === true, numeric: opts?.numeric === true, imageHash: opts?.imageHash === true })) as RawRead,
    write: async (input, output, args) => (await channel.call({ op: "write", input, output, args: [...args] })) as string[],
  };
}

export async function runToolOverChannel(channel: WorkerChannel, cmd: string, args: readonly string[], opts: { timeoutMs: number; maxOutputBytes?: number }): Promise<ToolRun> {
  const r = (await channel.call({ op: "tool", cmd, args: [...args], opts })) as ToolRun;
  // The process boundary's serialization turns a Buffer into a plain Uint8Array.
  return { ...r, stdout: Buffer.from(r.stdout.buffer, r.stdout.byteOffset, r.stdout.byteLength) };
}
