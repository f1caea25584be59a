import { execFile } from "node:child_process";
import { currentChannel, runToolOverChannel } from "../isolation/worker-channel.js";
import { toolMemoryBytes, withMemoryCap } from "../process-limits.js";
import { TooComplexError } from "./errors.js";

export interface ToolRun {
  /** The exit code (0 on success; tools such as qpdf use others for "done with warnings"). */
  code: number;
  stdout: Buffer;
  stderr: string;
}

export interface ToolOptions {
  timeoutMs: number;
  /** stdout and stderr are each cut off (and the tool killed) past this many bytes. */
  maxOutputBytes?: number;
  /** No file the tool writes may grow past this many bytes (RLIMIT_FSIZE): a dump that inflates. */
  maxFileBytes?: number;
  signal?: AbortSignal;
}

/** Thrown when a tool could not run to its end: not started, killed by the timeout or the output cap. */
export class ToolFailure extends Error {}

/**
 * Thrown when the service could not run a tool for a reason of its own that passes (the process
 * that starts the programs died, even on a second try): not the file's fault, the client may retry.
 */
export class ToolsUnavailable extends Error {}

/**
 * A run's result, or null when the program could not run to its end (past its limits, not
 * started): for a comparison or a finding that is then not made. The service's own passing failure
 * (ToolsUnavailable) is not swallowed: the answer would silently miss what the file gives away.
 */
export async function runOrNull(run: Promise<ToolRun>): Promise<ToolRun | null> {
  try {
    return await run;
  } catch (err) {
    if (err instanceof ToolsUnavailable) throw err;
    return null;
  }
}

const DEFAULT_MAX_OUTPUT = 16 * 1024 * 1024;

/**
 * Runs a helper program (qpdf, ffmpeg...) with an argument array, never through a shell, with a
 * timeout, an output cap and an address-space cap (a PDF stream or a video built to inflate
 * without end makes the tool fail, not the machine swap), killed outright (SIGKILL) when the
 * timeout or the output cap is hit or the signal aborts.
 * Arguments holding CR, LF or NUL are refused: they can only come from a mistake or an attack,
 * and they break the line-based logs we write commands into.
 *
 * A non-zero exit is returned, not thrown: what it means (bad input vs our failure) is the
 * caller's call.
 *
 * Inside a cleaning worker the main thread starts the program (see isolation/messages.ts), under
 * the task's deadline.
 */
export function runTool(cmd: string, args: readonly string[], opts: ToolOptions): Promise<ToolRun> {
  const channel = currentChannel();
  if (channel != null) {
    const limits = {
      timeoutMs: opts.timeoutMs,
      ...(opts.maxOutputBytes != null ? { maxOutputBytes: opts.maxOutputBytes } : {}),
      ...(opts.maxFileBytes != null ? { maxFileBytes: opts.maxFileBytes } : {}),
    };
    return runToolOverChannel(channel, cmd, args, limits);
  }
  return runToolHere(cmd, args, opts);
}

/** Starts the program from this thread (the main thread, or a process without workers). */
export function runToolHere(cmd: string, args: readonly string[], opts: ToolOptions): Promise<ToolRun> {
  const bad = args.find((a) => /[\r\n\0]/.test(a));
  if (bad != null) return Promise.reject(new ToolFailure(`${cmd}: refused an argument with a control character`));
  const capped = withMemoryCap(cmd, args, toolMemoryBytes(cmd), opts.maxFileBytes);
  return new Promise((resolve, reject) => {
    execFile(
      capped.cmd,
      capped.args,
      {
        encoding: "buffer",
        maxBuffer: opts.maxOutputBytes ?? DEFAULT_MAX_OUTPUT,
        timeout: opts.timeoutMs,
        killSignal: "SIGKILL",
        windowsHide: true,
        ...(opts.signal != null ? { signal: opts.signal } : {}),
      },
      (err, stdout, stderr) => {
        const errText = stderr.toString("utf8");
        if (err == null) return resolve({ code: 0, stdout, stderr: errText });
        // prlimit's own way of saying the tool itself could not be started.
        if (err.code === 127 && errText.startsWith("prlimit: failed to execute")) {
          return reject(new ToolFailure(`${cmd} could not be started: ${errText.trim()}`, { cause: err }));
        }
        if (typeof err.code === "number" && !err.killed && err.signal == null) {
          return resolve({ code: err.code, stdout, stderr: errText });
        }
        // Past its time, its output or its file-size cap, or ended by a signal we did not send (a
        // crash: qpdf's recursive page-tree walk ran out of stack on a tree 25,000 deep; an abort
        // when its memory cap made an allocation fail): the file asks more than the budgets allow.
        if (opts.signal?.aborted !== true && (err.killed || err.signal != null || err.code === "ERR_CHILD_PROCESS_STDIO_MAXBUFFER")) {
          return reject(new TooComplexError(`${cmd} went past its limits (${err.signal ?? String(err.code)})`, err));
        }
        reject(new ToolFailure(`${cmd} did not finish: ${err.message}`, { cause: err }));
      },
    );
  });
}
