import { fork, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { nodeChildEnv } from "../allocator.js";
import { withStack } from "../process-limits.js";
import type { FromTaskProcess, ToTaskProcess } from "./messages.js";

/** One task process, lent to one task at a time. */
export interface TaskProcess {
  send(message: ToTaskProcess): void;
  /** Its messages go to `onMessage` until the next `listen`; `onExit` is told if it ends meanwhile. */
  listen(onMessage: (m: FromTaskProcess) => void, onExit: (how: string) => void): void;
  kill(): void;
}

export interface TaskProcesses {
  /** A process free for one task: an idle one, a new one, or the first given back once all are lent. */
  take(signal: AbortSignal): Promise<TaskProcess>;
  /** Gives it back once its task ended (a process that ended is not kept). */
  give(process: TaskProcess): void;
  close(): Promise<void>;
}

export interface TaskProcessOptions {
  /** Processes at most (one task each). */
  max: number;
  /** V8 old-generation heap of each. */
  heapMb: number;
  /** How long an idle process is kept. */
  idleMs: number;
  /** Told of a process that ended while it had no task. */
  onIdleExit: (how: string) => void;
}

const ENTRY = fileURLToPath(new URL("./task-process.js", import.meta.url));

/** How much of a task process's stderr is kept (see lastWords). */
const STDERR_TAIL_CHARS = 4096;

/** The stack of a task process's main thread (the usual default, set whatever the service's is). */
const STACK_BYTES = 8 * 1024 * 1024;

/**
 * The V8 settings of a task process. Its stack: the 4 MB a task process had (deep documents
 * recurse), within STACK_BYTES. Its young generation: 3 semi-spaces of 8 MB, the 24-32 MB a worker
 * thread had (16 MB semi-spaces held ~20 MB more after a large file). Its heap grows fourfold
 * between full collections, as the service's does (server.ts): V8's own factor came down near 1.1
 * after bursts of large buffers, and brought a full collection with every file.
 */
function nodeFlags(heapMb: number): string[] {
  return [`--max-old-space-size=${heapMb}`, "--max-semi-space-size=8", "--stack-size=3900", "--heap-growing-percent=300"];
}

export function createTaskProcesses(opts: TaskProcessOptions): TaskProcesses {
  const idle: Lent[] = [];
  const waiting: { resolve(p: Lent): void; reject(e: unknown): void }[] = [];
  const all = new Set<Lent>();
  let closed = false;

  function start(): Lent {
    // Under setpriv and prlimit, as the helper programs (process-limits.ts): killed if the service
    // dies first. In a process group of its own: a Ctrl-C at the terminal is the service's to
    // handle (it lets the requests in work finish), not its task processes' to die of.
    const { cmd, args } = withStack(process.execPath, nodeFlags(opts.heapMb), STACK_BYTES);
    const child = fork(ENTRY, [], { execPath: cmd, execArgv: args, env: nodeChildEnv(), serialization: "advanced", detached: true, stdio: ["ignore", "ignore", "pipe", "ipc"] });
    const lent = new Lent(child);
    all.add(lent);
    lent.child.once("exit", (code, signal) => {
      all.delete(lent);
      const at = idle.indexOf(lent);
      if (at >= 0) idle.splice(at, 1);
      const how = `${signal != null ? `killed by ${signal}` : `exit code ${code ?? "?"}`}${lent.lastWords()}`;
      if (lent.onExit != null) lent.onExit(how);
      else if (at >= 0 && !lent.retired) opts.onIdleExit(how);
      lent.retire();
    });
    return lent;
  }

  return {
    take(signal) {
      signal.throwIfAborted();
      if (closed) return Promise.reject(new Error("the task processes are closed"));
      const ready = idle.pop();
      if (ready != null) return Promise.resolve(ready.lend());
      if (all.size < opts.max) return Promise.resolve(start().lend());
      return new Promise<TaskProcess>((resolve, reject) => {
        const onAbort = (): void => {
          const at = waiting.indexOf(entry);
          if (at >= 0) waiting.splice(at, 1);
          reject(signal.reason);
        };
        const entry = {
          resolve: (p: Lent): void => {
            signal.removeEventListener("abort", onAbort);
            resolve(p.lend());
          },
          reject,
        };
        waiting.push(entry);
        signal.addEventListener("abort", onAbort, { once: true });
      });
    },
    give(p) {
      const lent = p as Lent;
      lent.onExit = undefined;
      lent.onMessage = undefined;
      if (closed || lent.ended()) {
        // Its place is free: a task waiting for one gets a new process.
        if (!closed && waiting.length > 0 && all.size < opts.max) waiting.shift()?.resolve(start());
        return;
      }
      const next = waiting.shift();
      if (next != null) next.resolve(lent);
      else {
        idle.push(lent);
        lent.idleFor(opts.idleMs);
      }
    },
    async close() {
      closed = true;
      for (const w of waiting.splice(0)) w.reject(new Error("the task processes are closed"));
      await Promise.all([...all].map((lent) => lent.end()));
    },
  };
}

/** A task process with its state in the pool. */
class Lent implements TaskProcess {
  onMessage: ((m: FromTaskProcess) => void) | undefined;
  onExit: ((how: string) => void) | undefined;
  /** Ended on purpose (idle, closing): its exit is no failure. */
  retired = false;
  private idleTimer: NodeJS.Timeout | undefined;
  private readonly exited: Promise<void>;
  /** The end of what it wrote to stderr: V8's reason when it aborts ("Reached heap limit"). */
  private stderrTail = "";

  constructor(readonly child: ChildProcess) {
    this.exited = new Promise((resolve) => child.once("exit", () => resolve()));
    child.on("message", (m: FromTaskProcess) => this.onMessage?.(m));
    child.stderr?.setEncoding("utf8").on("data", (text: string) => {
      this.stderrTail = (this.stderrTail + text).slice(-STDERR_TAIL_CHARS);
    });
    // A failed fork (setpriv missing) or a send to a process that just ended: its exit, or the
    // task's own deadline, ends the task.
    child.on("error", () => undefined);
  }

  lend(): this {
    clearTimeout(this.idleTimer);
    return this;
  }

  idleFor(ms: number): void {
    this.idleTimer = setTimeout(() => void this.end(), ms);
    this.idleTimer.unref();
  }

  /** The line of its stderr that says why it aborted, if any, for the log (never for a client). */
  lastWords(): string {
    const lines = this.stderrTail.split("\n").map((l) => l.trim()).filter((l) => l !== "");
    const fatal = lines.find((l) => l.startsWith("FATAL ERROR")) ?? lines.at(-1);
    return fatal != null ? `: ${fatal}` : "";
  }

  ended(): boolean {
    return this.child.exitCode != null || this.child.signalCode != null;
  }

  retire(): void {
    this.retired = true;
    clearTimeout(this.idleTimer);
  }

  send(message: ToTaskProcess): void {
    if (this.child.connected) this.child.send(message);
  }

  listen(onMessage: (m: FromTaskProcess) => void, onExit: (how: string) => void): void {
    this.onMessage = onMessage;
    this.onExit = onExit;
    // It ended between being taken and being listened to: its exit was told to nobody.
    if (this.ended()) queueMicrotask(() => this.onExit?.("ended before its task"));
  }

  kill(): void {
    this.child.kill("SIGKILL");
  }

  end(): Promise<void> {
    this.retire();
    if (!this.ended()) this.child.kill("SIGKILL");
    return this.exited;
  }
}
