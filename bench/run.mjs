// @ts-check
/**
 * `make bench` / `make bench-quick` (with --quick): exifapi against its references, in one run,
 * on the same files and the same number of ExifTool processes. See bench/README.md.
 */
import fsp from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { bigUploads, concurrentPngRemovals } from "./lib/big-file.mjs";
import { CORPUS_IDS, ensureCorpus } from "./lib/corpus.mjs";
import { serviceMem } from "./lib/proc-stats.mjs";
import { rawStayOpen, startSpawnServer, startUploadFloor } from "./lib/references.mjs";
import { writeReport } from "./lib/write-report.mjs";
import { startService } from "./lib/service.mjs";
import { soak } from "./lib/soak.mjs";
import { countSpawns } from "./lib/spawn-count.mjs";
import { extractSweep, removeSweep } from "./lib/sweeps.mjs";
import { have, ROOT } from "./lib/tools.mjs";
import { verdicts } from "./lib/verdicts.mjs";

const USAGE = `usage: node bench/run.mjs [--quick]
  (no option)  the whole bench, about 25 minutes: writes bench/results.md
  --quick      a ~60-second subset: writes bench/tmp/results-quick.md
Narrowed by environment variables (bench/README.md, "Knobs"), e.g. one corpus file:
  BENCH_EXTRACT=pdf BENCH_REMOVE=pdf BENCH_SKIP_BIG=1 BENCH_SOAK_SECONDS=0 node bench/run.mjs
Corpus ids: ${CORPUS_IDS.join(", ")}
`;
const args = process.argv.slice(2);
// Anything else (--help too) only prints the usage: an option the bench did not know started the
// whole 25-minute run on a machine others share.
if (args.some((a) => a !== "--quick")) {
  process.stdout.write(USAGE);
  process.exit(args.every((a) => a === "--help" || a === "-h" || a === "--quick") ? 0 : 2);
}
const quick = args.includes("--quick");
const env = process.env;
// Unset: the default list; set but empty (`BENCH_REMOVE=`): none, to narrow a run to one endpoint.
const list = (/** @type {string | undefined} */ v, /** @type {string[]} */ d) => (v == null ? d : v === "" ? [] : v.split(","));

const procs = Number(env["BENCH_PROCS"] ?? os.availableParallelism());
const seconds = Number(env["BENCH_SECONDS"] ?? (quick ? 2 : 3));
const concurrencies = list(env["BENCH_CONCURRENCY"], quick ? ["1", "4"] : ["1", "2", "4", "8", "16"]).map(Number);
const extractIds = list(env["BENCH_EXTRACT"], quick ? ["jpg-1mp"] : CORPUS_IDS);
const removeIds = list(env["BENCH_REMOVE"], quick ? ["jpg-1mp", "png", "pdf"] : CORPUS_IDS);
const runBig = !quick && env["BENCH_SKIP_BIG"] !== "1";
/** What ExifTool can write with -all= (it cannot write MP3, FLAC or ZIP-based documents). */
const STRIPPABLE = new Set(["jpg-1mp", "jpg-12mp", "jpg-48mp", "png", "heic", "pdf", "mp4-10mb", "mp4-100mb"]);
/** mat2 on the big ones would take minutes per point and says nothing new. */
const MAT2_FILES = new Set(quick ? ["jpg-1mp"] : ["jpg-1mp", "jpg-12mp", "png", "heic", "pdf", "mp3", "flac", "mp4-10mb", "docx"]);

const tmpDir = path.join(ROOT, "bench", "tmp");
const log = (/** @type {string} */ m) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${m}\n`);

async function main() {
  const started = new Date();
  const loadBefore = os.loadavg();
  const t0 = performance.now();
  await fsp.mkdir(tmpDir, { recursive: true });
  const corpus = await ensureCorpus([...new Set([...extractIds, ...removeIds, ...(runBig ? ["mp4-100mb", "jpg-1mp", "mp3", "flac"] : [])])], log);
  const file = (/** @type {string} */ id) => /** @type {import("./lib/corpus.mjs").CorpusFile} */ (corpus.get(id));
  const mat2 = await have("mat2");
  if (!mat2) log("mat2 is not installed: its reference is skipped (apt-get install mat2 to include it)");

  log(`starting exifapi, the naive wrapper and the raw pool with ${procs} ExifTool process(es)`);
  const profDir = env["BENCH_CPU_PROF"];
  // BENCH_CPU_PROF=DIR: the service writes a V8 CPU profile there when it stops.
  const nodeArgs = profDir == null || profDir === "" ? [] : ["--cpu-prof", `--cpu-prof-dir=${path.resolve(profDir)}`];
  const service = await startService({ dataDir: path.join(tmpDir, "data"), procs, nodeArgs });
  const spawnServer = await startSpawnServer(tmpDir).catch(async (err) => {
    await service.stop();
    throw err;
  });
  const floor = await startUploadFloor(tmpDir).catch(async (err) => {
    await spawnServer.stop();
    await service.stop();
    throw err;
  });
  const raw = await rawStayOpen(procs).catch(async (err) => {
    await floor.stop();
    await spawnServer.stop();
    await service.stop();
    throw err;
  });
  const targets = { service, spawnServer, floor, raw, procs, seconds, concurrencies, tmpDir, log };
  /** @type {import("./lib/measure.mjs").Point[]} */
  const points = [];
  let serviceHwm = 0;
  try {
    for (const id of extractIds) points.push(...(await extractSweep(targets, file(id))));
    for (const id of removeIds) {
      // Issue 12 compares with the tools at c=1 and c=4.
      const refs = { exiftoolStrip: STRIPPABLE.has(id), mat2: mat2 && MAT2_FILES.has(id), refConcurrencies: [1, 4] };
      points.push(...(await removeSweep(targets, file(id), refs)));
    }
  } finally {
    serviceHwm = serviceMem(service.pid, "VmHWM");
    await raw.close();
    await floor.stop();
    await spawnServer.stop();
    await service.stop();
  }

  log("counting the processes each removal starts");
  // Only files of this run: a narrowed quick run (BENCH_REMOVE=mp4-10mb) has no PDF to count.
  const spawnIds = (quick ? ["pdf"] : removeIds.filter((id) => id !== "mp4-100mb")).filter((id) => corpus.has(id));
  const spawns = await countSpawns({ files: spawnIds.map(file), requests: quick ? 3 : 5, procs, tmpDir });

  const soakSeconds = Number(env["BENCH_SOAK_SECONDS"] ?? (quick ? 0 : 600));
  const soaked = soakSeconds > 0 ? await soak({ file: await ensureCorpus(["jpg-1mp"], log).then((m) => /** @type {import("./lib/corpus.mjs").CorpusFile} */ (m.get("jpg-1mp"))), seconds: soakSeconds, procs, tmpDir, log }) : null;

  const big = runBig ? await bigUploads({ mp4: file("mp4-100mb"), jpeg: file("jpg-1mp"), mp3: file("mp3"), flac: file("flac"), procs, tmpDir, log }) : [];
  const concurrentPng = runBig ? await concurrentPngRemovals({ procs, tmpDir, log }) : null;

  const vs = verdicts({ points, spawns, big, concurrentPng, soak: soaked, mat2 });
  // Only a whole `make bench` replaces the committed report; a narrowed run writes beside the quick one.
  const narrowed = ["BENCH_EXTRACT", "BENCH_REMOVE", "BENCH_CONCURRENCY", "BENCH_SKIP_BIG", "BENCH_SOAK_SECONDS"].some((k) => env[k] != null);
  const out = quick ? path.join(tmpDir, "results-quick.md") : narrowed ? path.join(tmpDir, "results-narrowed.md") : path.join(ROOT, "bench", "results.md");
  await writeReport(out, {
    quick, started, loadBefore, loadAfter: os.loadavg(), minutes: (performance.now() - t0) / 60_000,
    procs, seconds, points, spawns, big, concurrentPng, soak: soaked, verdicts: vs, mat2, serviceHwm,
  });
  process.stdout.write("\n");
  for (const v of vs) process.stdout.write(`${v.verdict.padEnd(4)}  ${v.target}: ${v.detail}\n`);
  process.stdout.write(`\nReport: ${path.relative(process.cwd(), out)}\n`);
}

main().catch((err) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
