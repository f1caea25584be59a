import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { ToolFailure, type ToolOptions, type ToolRun, ToolsUnavailable } from "../cleaners/run-tool.js";
import { SETPRIV } from "../process-limits.js";
import type { SerializedError } from "./messages.js";
import { deserializeError } from "./serialize-error.js";

/**
 * Starts helper programs (qpdf, djpeg, ffmpeg...) for the worker threads' tasks from a small
 * long-lived Node process rather than from the service itself. Every start is a fork of the
 * parent: forking the service (a few hundred MB of heap) cost ~3-5 ms of its main thread in
 * kernel time per program, and left its pages copy-on-write; forking this ~50 MB process costs a
 * fraction of that, off the main thread. Programs run exactly as `runToolHere` runs them there
 * (memory and file-size caps, timeout, output cap, killed with their task's signal).
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

export type SpawnerRequest = { op: "run"; id: number; cmd: string; args: string[]; opts: Omit<ToolOptions, "signal"> } | { op: "abort"; id: number };
export type SpawnerAnswer = { id: number; ok: true; value: ToolRun } | { id: number; ok: false; error: SerializedError };

const SCRIPT = fileURLToPath(new URL("./tool-spawner-process.js", import.meta.url));

interface Pending {
  resolve(run: ToolRun): void;
  reject(err: Error): void;
}

/** The spawner died before the program's answer came: the program never ran to its end. */
class SpawnerGone extends Error {}

interface Spawner {
  child: ChildProcess;
  pending: Map<number, Pending>;
}

export function createToolSpawner(): ToolSpawner {
  let current: Spawner | null = null;
  let next = 0;

  function start(): Spawner {
    // Not this process's execArgv (a --cpu-prof or --inspect of the service is not the spawner's).
    const child = spawn(SETPRIV, ["--pdeathsig", "KILL", "--", process.execPath, SCRIPT], {
      stdio: ["ignore", "inherit", "inherit", "ipc"],
      serialization: "advanced",
      windowsHide: true,
    });
    const s: Spawner = { child, pending: new Map() };
    child.on("message", (m: SpawnerAnswer) => {
      const p = s.pending.get(m.id);
      if (p == null) return;
      s.pending.delete(m.id);
      holdOpen(s);
      if (m.ok) p.resolve({ ...m.value, stdout: asBuffer(m.value.stdout) });
      else p.reject(deserializeError(m.error));
    });
    const gone = (why: string): void => {
      if (current === s) current = null;
      for (const p of s.pending.values()) p.reject(new SpawnerGone(`the helper-program spawner ${why}`));
      s.pending.clear();
    };
    child.on("exit", (code, signal) => gone(`exited (${signal ?? String(code)})`));
    child.on("error", (err) => gone(`failed: ${err.message}`));
    // An idle spawner does not keep a command-line run alive; holdOpen refs it while programs run.
    child.unref();
    holdOpen(s);
    return s;
  }

  function runOnce(cmd: string, args: readonly string[], opts: ToolOptions): Promise<ToolRun> {
    const { signal, ...limits } = opts;
    if (signal?.aborted === true) return Promise.reject(new ToolFailure(`${cmd} was not started: its task ended`));
    const s = current ?? (current = start());
    const id = next++;
    return new Promise<ToolRun>((resolve, reject) => {
      const onAbort = (): void => void send(s, { op: "abort", id });
      s.pending.set(id, {
        resolve: (r) => {
          signal?.removeEventListener("abort", onAbort);
          resolve(r);
        },
        reject: (e) => {
          signal?.removeEventListener("abort", onAbort);
          reject(e);
        },
      });
      holdOpen(s);
      signal?.addEventListener("abort", onAbort, { once: true });
      if (!send(s, { op: "run", id, cmd, args: [...args], opts: limits })) {
        s.pending.delete(id);
        signal?.removeEventListener("abort", onAbort);
        holdOpen(s);
        // Its exit may not have been seen yet: the next start must not pick it again.
        if (current === s) current = null;
        reject(new SpawnerGone(`${cmd} could not be started: the helper-program spawner is gone`));
      }
    });
  }

  return {
    async run(cmd, args, opts) {
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

/** The IPC channel keeps the event loop alive only while programs run. */
function holdOpen(s: Spawner): void {
  if (s.pending.size > 0) s.child.channel?.ref();
  else s.child.channel?.unref();
}

function send(s: Spawner, m: SpawnerRequest): boolean {
  if (!s.child.connected) return false;
  try {
    s.child.send(m);
    return true;
  } catch {
    return false;
  }
}

/** The advanced serialization hands a Buffer over as a plain Uint8Array. */
function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
