import crypto from "node:crypto";
import fsp from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { loadConfig } from "../config.js";
import type { ExifToolAccess } from "../cleaners/types.js";
import { createExifToolPool } from "../metadata/exiftool-pool.js";
import { needsShapeCheck } from "../cleaners/screen.js";
import { TooComplexError } from "../cleaners/errors.js";
import { createWorkerPool, type WorkerPool } from "../isolation/worker-pool.js";
import type { Finding } from "../metadata/findings/index.js";
import { readAll } from "../metadata/read-task.js";
import { exitOnInterrupt } from "./interrupt.js";
import { runBounded } from "./run-bounded.js";
import { removeNow } from "./temp-files.js";
import { walk, type Found } from "./walk.js";

export const INSPECT_USAGE = `Usage: exifapi inspect [--json] [--jobs N] PATH...

Prints what each file gives away (its findings: location, people, device, time, ...), most
serious first, for files and folders (recursively). Writes nothing.

Options:
  --json      one JSON line per file on stdout: path, fileType, findings
  --jobs N    files read at once (default: the number of cores)`;

interface Inspected {
  path: string;
  fileType?: string;
  findings?: Finding[];
  /** Why it was not read: a link inside a folder, or not a regular file. */
  skipped?: string;
  error?: string;
}

/** `exifapi inspect`: resolves to the exit code (1 when a file could not be read). */
export async function inspectCommand(argv: string[]): Promise<number> {
  let values: { json?: boolean; jobs?: string };
  let paths: string[];
  try {
    const parsed = parseArgs({ args: argv, allowPositionals: true, strict: true, options: { json: { type: "boolean" }, jobs: { type: "string" } } });
    values = parsed.values;
    paths = parsed.positionals;
  } catch (err) {
    process.stderr.write(`exifapi inspect: ${(err as Error).message}\n\n${INSPECT_USAGE}\n`);
    return 2;
  }
  const jobs = values.jobs == null ? os.availableParallelism() : Number(values.jobs);
  if (paths.length === 0 || !Number.isInteger(jobs) || jobs < 1 || jobs > 256) {
    process.stderr.write(`${INSPECT_USAGE}\n`);
    return 2;
  }
  const config = loadConfig();
  const pool = await createExifToolPool({
    EXIFTOOL_PROCS: process.env["EXIFTOOL_PROCS"] != null ? config.EXIFTOOL_PROCS : jobs,
    EXIFTOOL_TASK_TIMEOUT_SECONDS: config.EXIFTOOL_TASK_TIMEOUT_SECONDS,
  });
  // Files are parsed in the service's task processes: one that exhausts its process fails alone.
  const workers = createWorkerPool({ processes: jobs, heapMb: config.WORKER_HEAP_MB, exiftool: pool.accessUnder });
  const timeoutMs = config.REQUEST_TIMEOUT_SECONDS * 1000;
  // Only links to the files, under generated names: ExifTool and the helper programs never see a
  // user's file name, and nothing is written beside the files.
  const workDir = await fsp.mkdtemp(path.join(os.tmpdir(), "exifapi-inspect-"));
  exitOnInterrupt(() => removeNow(workDir));
  let errors = 0;
  try {
    await runBounded(
      walk(paths, { exclude: [] }),
      jobs,
      async (found) => {
        const r = await inspectOne(found, { exiftool: pool.accessUnder, workers, workDir, timeoutMs });
        if (r.error != null) errors += 1;
        process.stdout.write(values.json === true ? `${JSON.stringify(r)}\n` : table(r));
      },
      () => false,
    );
  } finally {
    await workers.close();
    await pool.close();
    await fsp.rm(workDir, { recursive: true, force: true });
  }
  return errors > 0 ? 1 : 0;
}

interface InspectSettings {
  exiftool: (signal: AbortSignal) => ExifToolAccess;
  workers: WorkerPool;
  workDir: string;
  /** How long one file may take (REQUEST_TIMEOUT_SECONDS). */
  timeoutMs: number;
}

async function inspectOne(found: Found, s: InspectSettings): Promise<Inspected> {
  if (found.kind === "passed") return found.reason === "not found" ? { path: found.path, error: "not found" } : { path: found.path, skipped: found.reason };
  const id = crypto.randomUUID();
  const link = path.join(s.workDir, `in-${id}`);
  const scratchDir = path.join(s.workDir, `scratch-${id}`);
  // What ExifTool reads in the file's place when the screen writes a view of it (see checkShape).
  const view = path.join(s.workDir, `view-${id}`);
  const signal = AbortSignal.timeout(s.timeoutMs);
  try {
    await fsp.symlink(path.resolve(found.path), link);
    await fsp.mkdir(scratchDir);
    const screened = (await needsShapeCheck(link)) ? await s.workers.screen({ file: link, view }, signal) : null;
    const { tags } = await readAll(s.exiftool(signal), screened?.viewed === true ? view : link, false, undefined, screened?.decrypted);
    const type = tags["File:FileType"];
    return { path: found.path, ...(typeof type === "string" ? { fileType: type } : {}), findings: await s.workers.findings({ tags, file: link, scratchDir, locked: screened?.locked === true }, signal) };
  } catch (err) {
    if (err instanceof TooComplexError) return { path: found.path, error: "the file is too complex to process within this tool's limits" };
    return { path: found.path, error: err instanceof Error ? err.message : String(err) };
  } finally {
    await fsp.rm(link, { force: true });
    await fsp.rm(view, { force: true });
    await fsp.rm(scratchDir, { recursive: true, force: true });
  }
}

const VALUE_WIDTH = 48;
/** A longer title (one naming many files inside) runs past its column rather than pushing out every row's value. */
const TITLE_WIDTH = 100;

/** One file as a block: its name and type, then a row per finding (severity, kind, title, value). */
function table(r: Inspected): string {
  const head = `${r.path}${r.fileType != null ? `  (${r.fileType})` : ""}\n`;
  if (r.error != null) return `${head}  could not be read: ${r.error}\n\n`;
  if (r.skipped != null) return `${head}  not read (${r.skipped})\n\n`;
  const findings = r.findings ?? [];
  if (findings.length === 0) return `${head}  nothing found\n\n`;
  const rows = findings.map((f) => [f.severity, f.kind, f.title, shorten(f.value ?? "")]);
  const widths = [0, 1, 2].map((i) => Math.min(i === 2 ? TITLE_WIDTH : Infinity, Math.max(...rows.map((row) => row[i]!.length))));
  const lines = rows.map((row) => `  ${row.map((c, i) => (i < 3 ? c.padEnd(widths[i]!) : c)).join("  ").trimEnd()}`);
  return `${head}${lines.join("\n")}\n\n`;
}

function shorten(value: string): string {
  const one = value.replace(/\s+/g, " ");
  return one.length > VALUE_WIDTH ? `${one.slice(0, VALUE_WIDTH - 3)}...` : one;
}
