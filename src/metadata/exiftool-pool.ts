import { spawn } from "node:child_process";
import { DefaultExiftoolArgs, ExifTool, exiftoolPath } from "exiftool-vendored";
import type { Config } from "../config.js";
import { EXIFTOOL_MEMORY_BYTES, PERL, withMemoryCap } from "../process-limits.js";
import type { ExifToolAccess } from "../cleaners/types.js";
import { exiftoolAccess } from "./exiftool-access.js";
import { capTaskOutput } from "./output-cap.js";
import { createTaskRunner } from "./task-runner.js";

export interface ExifToolPool {
  exiftool: ExifTool;
  /** The same pool through the narrow interface that reads and cleaning use. */
  access: ExifToolAccess;
  /** The same, for one request: its tasks stop when `signal` fires (see task-runner.ts). */
  accessUnder(signal: AbortSignal): ExifToolAccess;
  version: string;
  close(): Promise<void>;
}

/**
 * One long-lived pool of `-stay_open` ExifTool processes for the whole service.
 * It always runs the ExifTool bundled with exiftool-vendored (Debian's is older than
 * several security fixes), and refuses to start when that one does not answer.
 */
export async function createExifToolPool(config: Pick<Config, "EXIFTOOL_PROCS" | "EXIFTOOL_TASK_TIMEOUT_SECONDS">): Promise<ExifToolPool> {
  const exiftool = new ExifTool({
    maxProcs: config.EXIFTOOL_PROCS,
    // Recycling a process costs a ~150 ms spike; ExifTool does not leak across files.
    maxTasksPerProcess: 20_000,
    // No recycling by age either: batch-cluster's 5-minute default also refuses to start with a
    // task timeout above 5 minutes (it must not exceed the process age).
    maxProcAgeMillis: 0,
    minDelayBetweenSpawnMillis: 0,
    taskTimeoutMillis: config.EXIFTOOL_TASK_TIMEOUT_SECONDS * 1000,
    // Our own tasks are retried by task-runner.ts, never after a timeout; this is for the pool's.
    taskRetries: 1,
    checkPerl: true,
    // Files are read whole: no "-fast", which skips trailers and parts of some formats.
    readArgs: [],
    geolocation: false,
    // Our own factory only to start perl under an address-space cap (see process-limits.ts);
    // otherwise as exiftool-vendored's: no shell, no detached children, LANG=C.
    processFactory: async () => {
      const { cmd, args } = withMemoryCap(PERL, [await exiftoolPath(), ...DefaultExiftoolArgs], EXIFTOOL_MEMORY_BYTES);
      return spawn(cmd, args, { stdio: "pipe", shell: false, detached: false, env: { LANG: "C" } });
    },
  });
  capTaskOutput(exiftool);
  // Before the first process starts: the runner keeps track of them all.
  const run = createTaskRunner(exiftool);
  try {
    const version = await exiftool.version();
    return { exiftool, access: exiftoolAccess(run), accessUnder: (signal) => exiftoolAccess(run, signal), version, close: () => exiftool.end() };
  } catch (err) {
    await exiftool.end().catch(() => undefined);
    throw new Error(`ExifTool (bundled with exiftool-vendored) did not start: ${String(err)}`, { cause: err });
  }
}
