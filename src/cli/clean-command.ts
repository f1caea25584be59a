import fsp from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { InvalidOptionError, parseKeepList, parseUnknownMembers } from "../cleaners/options.js";
import { loadConfig } from "../config.js";
import { createWorkerPool } from "../isolation/worker-pool.js";
import { createExifToolPool } from "../metadata/exiftool-pool.js";
import { cleanOne, type FileReport } from "./clean-one.js";
import type { Placement } from "./destination.js";
import { exitOnInterrupt } from "./interrupt.js";
import { createProgress } from "./progress.js";
import { runBounded } from "./run-bounded.js";
import { Summary } from "./summary.js";
import { removeNow, TempFiles } from "./temp-files.js";
import { walk } from "./walk.js";

export const CLEAN_USAGE = `Usage: exifapi clean [options] PATH...

Cleans files and folders (recursively) with the service's own cleaners and verification.
Clean copies go next to the originals as NAME.cleaned.EXT unless told otherwise.

Options:
  --out DIR                  write the copies under DIR, mirroring the folders given
  --in-place                 replace each original, only once its clean copy is verified
  --keep LIST                comma-separated: orientation, colorProfile, copyright, comments, trackedChanges
  --unknown-members MODE     archives' members no cleaner handles: refuse (default), omit, keep
  --jobs N                   files cleaned at once (default: the number of cores)
  --json                     one JSON line per file on stdout (the summary goes to stderr)
  --strict                   exit 1 when any file was skipped, not only when one failed`;

class UsageError extends Error {}

interface CleanArgs {
  paths: string[];
  placement: Placement;
  keep: ReturnType<typeof parseKeepList>;
  unknownMembers: ReturnType<typeof parseUnknownMembers>;
  jobs: number;
  json: boolean;
  strict: boolean;
}

function parseCleanArgs(args: string[]): CleanArgs {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    strict: true,
    options: {
      out: { type: "string" },
      "in-place": { type: "boolean" },
      keep: { type: "string" },
      "unknown-members": { type: "string" },
      jobs: { type: "string" },
      json: { type: "boolean" },
      strict: { type: "boolean" },
    },
  });
  if (positionals.length === 0) throw new UsageError("clean needs at least one file or folder");
  if (values.out != null && values["in-place"] === true) throw new UsageError("--out and --in-place exclude each other");
  const jobs = values.jobs == null ? os.availableParallelism() : Number(values.jobs);
  if (!Number.isInteger(jobs) || jobs < 1 || jobs > 256) throw new UsageError("--jobs takes a whole number from 1 to 256");
  const placement: Placement = values.out != null ? { kind: "out", dir: path.normalize(values.out) } : values["in-place"] === true ? { kind: "in-place" } : { kind: "beside" };
  return {
    paths: positionals,
    placement,
    keep: parseKeepList(values.keep),
    unknownMembers: parseUnknownMembers(values["unknown-members"]),
    jobs,
    json: values.json === true,
    strict: values.strict === true,
  };
}

/** `exifapi clean`: resolves to the exit code. */
export async function cleanCommand(argv: string[]): Promise<number> {
  let args: CleanArgs;
  try {
    args = parseCleanArgs(argv);
  } catch (err) {
    if (err instanceof UsageError || err instanceof InvalidOptionError || (err as { code?: string }).code?.startsWith("ERR_PARSE_ARGS") === true) {
      process.stderr.write(`exifapi clean: ${(err as Error).message}\n\n${CLEAN_USAGE}\n`);
      return 2;
    }
    throw err;
  }
  const config = loadConfig();
  const pool = await createExifToolPool({
    // One ExifTool per job unless the environment says otherwise.
    EXIFTOOL_PROCS: process.env["EXIFTOOL_PROCS"] != null ? config.EXIFTOOL_PROCS : args.jobs,
    EXIFTOOL_TASK_TIMEOUT_SECONDS: config.EXIFTOOL_TASK_TIMEOUT_SECONDS,
  });
  // One task process per job at most, each under the service's heap limit: a file that exhausts one fails alone.
  const workers = createWorkerPool({ processes: args.jobs, heapMb: config.WORKER_HEAP_MB, exiftool: pool.accessUnder });
  const workDir = await fsp.mkdtemp(path.join(os.tmpdir(), "exifapi-clean-"));
  const temps = new TempFiles();
  const progress = createProgress();
  const summary = new Summary();
  let stopping = false;

  // Ctrl-C stops at once: no new file starts, the temp files beside destinations and the run's
  // folder go synchronously (nothing else runs in between), and the exit takes the ExifTool
  // processes and helpers with it (they die with their parent). Finished copies stay: each was
  // renamed into place whole.
  exitOnInterrupt((signal) => {
    stopping = true;
    progress.stop();
    temps.removeAllNow();
    removeNow(workDir);
    process.stderr.write(`\nexifapi clean: interrupted (${signal}); ${summary.cleaned} file(s) were cleaned before it.\n`);
  });

  const exclude = args.placement.kind === "out" ? [args.placement.dir] : [];
  if (process.stderr.isTTY === true) void countAhead(args.paths, exclude, progress);

  const out = (line: string) => process.stdout.write(`${line}\n`);
  try {
    await runBounded(
      walk(args.paths, { exclude }),
      args.jobs,
      async (found) => {
        const report: FileReport =
          found.kind === "passed"
            ? found.reason === "not found"
              ? { path: found.path, outcome: "failed", reason: "not found", detail: "No such file or folder." }
              : { path: found.path, outcome: "skipped", reason: found.reason }
            : await cleanOne(found.path, found.relative, { exiftool: pool.accessUnder, workers, timeoutMs: config.REQUEST_TIMEOUT_SECONDS * 1000, keep: args.keep, unknownMembers: args.unknownMembers, placement: args.placement, workDir, temps, findings: args.json });
        if (stopping) return;
        const bytes = found.kind === "file" ? found.size : 0;
        summary.add(report, bytes);
        if (found.kind === "file") progress.done(bytes);
        if (args.json) out(JSON.stringify(report));
        else if (process.stderr.isTTY !== true) out(describe(report));
        else if (report.outcome === "failed") progress.log(describe(report));
      },
      () => stopping,
    );
  } finally {
    progress.stop();
    await workers.close();
    await pool.close();
    await fsp.rm(workDir, { recursive: true, force: true });
  }
  const text = summary.text();
  if (args.json) process.stderr.write(`${text}\n`);
  else out(text);
  if (summary.failed > 0) return 1;
  return args.strict && summary.skipped > 0 ? 1 : 0;
}

/** Counts files and bytes for the bar while the cleaning walk runs (a second lazy walk). */
async function countAhead(paths: readonly string[], exclude: readonly string[], progress: ReturnType<typeof createProgress>): Promise<void> {
  for await (const f of walk(paths, { exclude })) if (f.kind === "file") progress.found(f.size);
  progress.foundAll();
}

function describe(r: FileReport): string {
  switch (r.outcome) {
    case "cleaned":
      return `cleaned  ${r.path} -> ${r.output}`;
    case "skipped":
      return `skipped  ${r.path} (${r.fileType != null ? `${r.reason}: ${r.fileType}` : r.reason})`;
    case "failed":
      return `failed   ${r.path}: ${r.detail}`;
  }
}
