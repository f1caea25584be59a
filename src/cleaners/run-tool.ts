import { createToolSpawner, type ToolSpawner } from "../isolation/tool-spawner.js";
import { currentChannel, runToolOverChannel } from "../isolation/worker-channel.js";

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

/** Programs started outside a worker (a test calling a cleaner directly) have a spawner of their own. */
let ownSpawner: ToolSpawner | null = null;

/**
 * Runs a helper program (qpdf, ffmpeg...) with an argument array, never through a shell, with a
 * timeout, an output cap and an address-space cap (a PDF stream or a video built to inflate
 * without end makes the tool fail, not the machine swap), killed outright (SIGKILL, with whatever
 * it started) when the timeout or the output cap is hit or the signal aborts: see
 * isolation/tool-spawner.ts. Arguments holding CR, LF or NUL are refused.
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
  return (ownSpawner ??= createToolSpawner()).run(cmd, args, opts);
}
