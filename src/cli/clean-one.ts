import crypto from "node:crypto";
import fs from "node:fs";
import fsp from "node:fs/promises";
import path from "node:path";
import { BadFileError, TooComplexError, UnsupportedTypeError } from "../cleaners/errors.js";
import type { ExifToolAccess, KeepOption, UnknownMembers } from "../cleaners/types.js";
import { refuseLocked } from "../cleaners/pdf/locked.js";
import { needsShapeCheck } from "../cleaners/screen.js";
import type { WorkerPool } from "../isolation/worker-pool.js";
import type { Finding } from "../metadata/findings/index.js";
import { readBeforeCleaning } from "../metadata/read-for-cleaning.js";
import type { TagValue } from "../metadata/shape.js";
import { cleanThrough } from "./clean-through.js";
import { destinationOf, type Placement } from "./destination.js";
import type { TempFiles } from "./temp-files.js";
import { tempNameFor } from "./walk.js";

export interface CleanSettings {
  /** ExifTool for one file: its tasks stop when `signal` fires. */
  exiftool: (signal: AbortSignal) => ExifToolAccess;
  /** Where the file's bytes are parsed: the service's task processes. */
  workers: WorkerPool;
  /** How long one file may take, everything included (REQUEST_TIMEOUT_SECONDS). */
  timeoutMs: number;
  keep: ReadonlySet<KeepOption>;
  unknownMembers: UnknownMembers;
  placement: Placement;
  /** The run's private folder (generated names only). */
  workDir: string;
  temps: TempFiles;
  /** Whether to work out each file's findings (what the original gave away) for the report. */
  findings: boolean;
}

/** What happened to one file: a line of `--json`, and a count of the summary. */
export type FileReport = FileOutcome & { findings?: Finding[] };

type FileOutcome =
  | {
      path: string;
      outcome: "cleaned";
      output: string;
      fileType: string;
      removed: Record<string, number>;
      remaining: Record<string, Record<string, TagValue>>;
    }
  | { path: string; outcome: "skipped"; reason: SkipReason; fileType?: string; detail?: string }
  | { path: string; outcome: "failed"; reason: FailReason; fileType?: string; detail: string };

export type SkipReason = "unsupported type" | "link" | "special file";
export type FailReason = "bad file" | "too complex" | "not found" | "error";

/**
 * Cleans one file with the service's detect/clean/verify. Cleaners see generated names only: the
 * original is reached through a link in the run's folder, the clean copy is written there, then
 * moved to a hidden temp name beside its destination and renamed over it: a destination is
 * either absent, as before, or the complete verified copy. The original is only ever read,
 * unless `--in-place` renames the verified copy over it.
 */
export async function cleanOne(file: string, relative: string, s: CleanSettings): Promise<FileReport> {
  const id = crypto.randomUUID();
  const input = path.join(s.workDir, `in-${id}`);
  const output = path.join(s.workDir, `out-${id}`);
  // What ExifTool reads in the file's place when the screen writes a view of it (see checkShape).
  const view = path.join(s.workDir, `view-${id}`);
  const scratchDir = path.join(s.workDir, `scratch-${id}`);
  // The cleaning creates this folder inside the run's, never the run's itself (see clean-file.ts).
  const cleanDir = path.join(s.workDir, `clean-${id}`);
  const final = destinationOf(file, relative, s.placement);
  const staged = tempNameFor(final, id);
  let findings: Finding[] | undefined;
  const withFindings = <T extends object>(r: T): T & { findings?: Finding[] } => (findings != null ? { ...r, findings } : r);
  const signal = AbortSignal.timeout(s.timeoutMs);
  const exiftool = s.exiftool(signal);
  try {
    await fsp.symlink(path.resolve(file), input);
    const screened = (await needsShapeCheck(input)) ? await s.workers.screen({ file: input, view }, signal) : null;
    refuseLocked(screened);
    const before = await readBeforeCleaning(exiftool, screened?.viewed === true ? view : input, undefined, screened?.decrypted);
    if (s.findings) {
      await fsp.mkdir(scratchDir);
      findings = await s.workers.findings({ tags: before.tags, file: input, scratchDir }, signal);
    }
    const result = await cleanThrough({ exiftool, input, output, workDir: cleanDir, keep: s.keep, unknownMembers: s.unknownMembers }, before.tags, s.workers, signal);
    const { mode } = await fsp.stat(file);
    await fsp.mkdir(path.dirname(final), { recursive: true });
    s.temps.add(staged);
    moveAcrossNow(output, staged);
    fs.chmodSync(staged, mode & 0o7777);
    await fsp.rename(staged, final);
    s.temps.delete(staged);
    return withFindings({ path: file, outcome: "cleaned", output: final, fileType: result.fileType, removed: result.removed, remaining: result.remaining });
  } catch (err) {
    return withFindings(failure(file, err));
  } finally {
    await fsp.rm(input, { force: true });
    await fsp.rm(output, { force: true });
    await fsp.rm(view, { force: true });
    await fsp.rm(scratchDir, { recursive: true, force: true });
    await fsp.rm(cleanDir, { recursive: true, force: true });
    if (s.temps.delete(staged)) await fsp.rm(staged, { force: true });
  }
}

/**
 * A rename when the run's folder is on the destination's file system, else a copy: synchronous,
 * because Ctrl-C's handler (temp-files.ts) runs between two turns of the event loop and removes
 * the temp files listed then. A rename or copy still running on libuv's threads would make the
 * temp file after that removal, and leave it beside the destination (seen in a CI run).
 */
function moveAcrossNow(from: string, to: string): void {
  try {
    fs.renameSync(from, to);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EXDEV") throw err;
    fs.copyFileSync(from, to);
  }
}

function failure(file: string, err: unknown): FileOutcome {
  if (err instanceof UnsupportedTypeError) return { path: file, outcome: "skipped", reason: "unsupported type", fileType: err.fileType };
  if (err instanceof BadFileError) return { path: file, outcome: "failed", reason: "bad file", detail: err.reason };
  if (err instanceof TooComplexError || isTimeout(err)) return { path: file, outcome: "failed", reason: "too complex", detail: "The file is too complex to process within this tool's limits." };
  return { path: file, outcome: "failed", reason: "error", detail: err instanceof Error ? err.message : String(err) };
}

/** The file's own deadline passed (AbortSignal.timeout's reason). */
function isTimeout(err: unknown): boolean {
  return err instanceof DOMException && err.name === "TimeoutError";
}
