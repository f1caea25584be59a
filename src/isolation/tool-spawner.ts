import { type ChildProcessByStdio, spawn } from "node:child_process";
import type { Readable, Writable } from "node:stream";
import { fileURLToPath } from "node:url";
import { TooComplexError } from "../cleaners/errors.js";
import { ToolFailure, type ToolOptions, type ToolRun, ToolsUnavailable } from "../cleaners/run-tool.js";
import { PERL, toolMemoryBytes } from "../process-limits.js";
import { abortFrame, answerReader, runFrame, type SpawnerAnswer } from "./spawner-frames.js";

/**
 * Starts helper programs (qpdf, djpeg, ffmpeg...) from a small long-lived Perl process
 * (tool-spawner.pl) rather than from the service itself. Every start is a fork of the parent:
 * forking the service (a few hundred MB of heap) cost ~3-5 ms of its main thread in kernel time per
 * program, and left its pages copy-on-write; forking a Perl process of a few MB costs a fraction of
 * that, and the spawner sets each program's limits itself between fork and exec (address space,
 * file size, no core file, parent-death signal, no new privileges, a process group of its own that
 * the timeout, the output cap or the task's end kills whole).
 *
 * The spawner is started on the first program and restarted after it dies. A program it was
 * running dies with it (parent-death signal) and is run once more on the new spawner: every program
 * here writes its output afresh (stdout, or a file it truncates), so a second run is the first one
 * over again. A program whose second spawner dies as well fails as ToolsUnavailable (the client is
 * told to retry). The spawner dies with the service (parent-death signal), and its programs with it.
 */
export interface ToolSpawner {
  run(cmd: string, args: readonly string[], opts: ToolOptions): Promise<ToolRun>;
  /** Ends the spawner process (and any program still running). */
  close(): Promise<void>;
}

const SCRIPT = fileURLToPath(new URL("./tool-spawner.pl", import.meta.url));
const DEFAULT_MAX_OUTPUT = 16 * 1024 * 1024;

interface Pending {
  cmd: string;
  signal: AbortSignal | undefined;
  resolve(run: ToolRun): void;
  reject(err: Error): void;
}

/** The spawner died before the program's answer came: the program never ran to its end. */
class SpawnerGone extends Error {}

interface Spawner {
  child: ChildProcessByStdio<Writable, Readable, null>;
  pending: Map<number, Pending>;
}

export function createToolSpawner(): ToolSpawner {
  let current: Spawner | null = null;
  let next = 0;

  function start(): Spawner {
    const child = spawn(PERL, [SCRIPT, String(process.pid)], { stdio: ["pipe", "pipe", "inherit"], windowsHide: true });
    const s: Spawner = { child, pending: new Map() };
    child.stdout.on(
      "data",
      answerReader((a) => {
        const p = s.pending.get(a.id);
        if (p == null) return;
        s.pending.delete(a.id);
        holdOpen(s);
        settle(a, p);
      }),
    );
    const gone = (why: string): void => {
      if (current === s) current = null;
      for (const p of s.pending.values()) p.reject(new SpawnerGone(`the helper-program spawner ${why}`));
      s.pending.clear();
    };
    child.on("exit", (code, signal) => gone(`exited (${signal ?? String(code)})`));
    child.on("error", (err) => gone(`failed: ${err.message}`));
    // Writing to a spawner that just died is an EPIPE here; its exit tells the waiting runs.
    child.stdin.on("error", () => undefined);
    // An idle spawner does not keep a command-line run alive; holdOpen refs it while programs run.
    child.unref();
    holdOpen(s);
    return s;
  }

  function runOnce(cmd: string, args: readonly string[], opts: ToolOptions): Promise<ToolRun> {
    const { signal, timeoutMs, maxOutputBytes = DEFAULT_MAX_OUTPUT, maxFileBytes } = opts;
    if (signal?.aborted === true) return Promise.reject(new ToolFailure(`${cmd} was not started: its task ended`));
    const s = current ?? (current = start());
    const id = next++;
    return new Promise<ToolRun>((resolve, reject) => {
      const onAbort = (): void => void send(s, abortFrame(id));
      const done = (): void => signal?.removeEventListener("abort", onAbort);
      s.pending.set(id, {
        cmd,
        signal,
        resolve: (r) => {
          done();
          resolve(r);
        },
        reject: (e) => {
          done();
          reject(e);
        },
      });
      holdOpen(s);
      signal?.addEventListener("abort", onAbort, { once: true });
      const limits = { timeoutMs, maxOutputBytes, memoryBytes: toolMemoryBytes(cmd), ...(maxFileBytes != null ? { fileBytes: maxFileBytes } : {}) };
      if (!send(s, runFrame(id, cmd, args, limits))) {
        s.pending.delete(id);
        done();
        holdOpen(s);
        // Its exit may not have been seen yet: the next start must not pick it again.
        if (current === s) current = null;
        reject(new SpawnerGone(`${cmd} could not be started: the helper-program spawner is gone`));
      }
    });
  }

  return {
    async run(cmd, args, opts) {
      // They can only come from a mistake or an attack, break the line-based logs we write
      // commands into, and a NUL would end the argument early on the spawner's line.
      if (args.some((a) => /[\r\n\0]/.test(a))) throw new ToolFailure(`${cmd}: refused an argument with a control character`);
      try {
        return await runOnce(cmd, args, opts);
      } catch (err) {
        if (!(err instanceof SpawnerGone)) throw err;
      }
      // A task that ended meanwhile is refused by runOnce before anything starts.
      try {
        return await runOnce(cmd, args, opts);
      } catch (err) {
        throw err instanceof SpawnerGone ? new ToolsUnavailable(`${cmd} lost its spawner twice in a row`, { cause: err }) : err;
      }
    },
    async close() {
      const s = current;
      current = null;
      if (s == null || s.child.exitCode != null || s.child.signalCode != null) return;
      const exited = new Promise((r) => s.child.once("exit", r));
      s.child.kill("SIGKILL");
      await exited;
    },
  };
}

/**
 * A non-zero exit is a result, not an error: what it means (bad input vs our failure) is the
 * caller's call. Past its time, its output or its file-size cap, or ended by a signal nobody sent
 * (a crash: qpdf's recursive page-tree walk ran out of stack on a tree 25,000 deep; an abort when
 * its memory cap made an allocation fail), the program says the file asks more than the budgets
 * allow.
 */
function settle(a: SpawnerAnswer, p: Pending): void {
  const { cmd } = p;
  if (a.kind === "exit") return p.resolve({ code: Number(a.value), stdout: a.stdout, stderr: a.stderr });
  if (a.kind === "nostart") return p.reject(new ToolFailure(`${cmd} could not be started: ${a.value}`));
  if (a.kind === "aborted" || p.signal?.aborted === true) return p.reject(new ToolFailure(`${cmd} did not finish: its task ended`));
  const why = a.kind === "signal" ? a.value : a.kind === "timeout" ? "its time" : "its output cap";
  p.reject(new TooComplexError(`${cmd} went past its limits (${why})`));
}

/** The spawner's pipes keep the event loop alive only while programs run. */
function holdOpen(s: Spawner): void {
  const streams = [s.child.stdin, s.child.stdout] as unknown as Array<{ ref(): void; unref(): void }>;
  for (const stream of streams) {
    if (s.pending.size > 0) stream.ref();
    else stream.unref();
  }
}

function send(s: Spawner, frame: Buffer): boolean {
  if (s.child.exitCode != null || s.child.signalCode != null || s.child.stdin.destroyed) return false;
  s.child.stdin.write(frame);
  return true;
}
