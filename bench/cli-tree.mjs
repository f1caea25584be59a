// @ts-check
/**
 * `exifapi clean` on a tree of small JPEGs (issue 16): files per second, and whether memory and
 * open files stay flat as the run goes (RSS and fd count of the node process, sampled every
 * 250 ms, read at 10%, 50% and 90% of the files). mat2 runs on the same files when installed.
 * Not part of `make test` or `make bench` (about 10-20 minutes on 2 shared cores):
 *
 *   npm run build && node bench/cli-tree.mjs            # BENCH_TREE_FILES=10000, BENCH_PROCS=cores
 *   BENCH_MAT2_FILES=1000 node bench/cli-tree.mjs       # mat2 on the first 1000 (0: skip it)
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import fsp from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { readMem, descendants } from "./lib/proc-stats.mjs";
import { CONVERT, EXIFTOOL, ROOT, have, run } from "./lib/tools.mjs";

const FILES = Number(process.env["BENCH_TREE_FILES"] ?? 10_000);
const JOBS = Number(process.env["BENCH_PROCS"] ?? os.availableParallelism());
const MAT2_FILES = Number(process.env["BENCH_MAT2_FILES"] ?? FILES);
const PER_FOLDER = 100;
const WORK = path.join(ROOT, "bench", "tmp", "cli-tree");
const SRC = path.join(WORK, "src");
const OUT = path.join(WORK, "out");

/** A 320x240 photo as a phone leaves it: EXIF with GPS, IPTC, XMP and a thumbnail (~20 KB). */
async function makeTree() {
  await fsp.rm(WORK, { recursive: true, force: true });
  await fsp.mkdir(SRC, { recursive: true });
  const base = path.join(WORK, "base.jpg");
  await run(CONVERT, ["-seed", "3", "-size", "320x240", "plasma:fractal", "-quality", "85", base]);
  await run(EXIFTOOL, [
    "-q", "-overwrite_original", "-EXIF:Make=Phone", "-EXIF:Model=Phone 12", "-EXIF:Artist=Jane Roe",
    "-EXIF:DateTimeOriginal=2024:03:15 10:30:00", "-GPSLatitude=48.8584", "-GPSLatitudeRef=N",
    "-GPSLongitude=2.2945", "-GPSLongitudeRef=E", "-IPTC:By-line=Jane Roe", "-XMP-dc:Creator=Jane Roe", base,
  ]);
  for (let i = 0; i < FILES; i++) {
    const dir = path.join(SRC, `folder ${String(Math.floor(i / PER_FOLDER)).padStart(3, "0")}`);
    if (i % PER_FOLDER === 0) await fsp.mkdir(dir);
    await fsp.copyFile(base, path.join(dir, `photo ${i}.jpg`));
  }
  return (await fsp.stat(base)).size;
}

/** @typedef {{ t: number, done: number, rss: number, treeRss: number, fds: number }} Sample */

/** @param {number} pid */
function fdCount(pid) {
  try {
    return fs.readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return 0;
  }
}

async function runExifapi() {
  const started = performance.now();
  const child = spawn(process.execPath, [path.join(ROOT, "bin", "exifapi"), "clean", "--json", "--jobs", String(JOBS), "--out", OUT, SRC], {
    stdio: ["ignore", "pipe", "ignore"],
  });
  const pid = /** @type {number} */ (child.pid);
  let done = 0;
  child.stdout.on("data", (/** @type {Buffer} */ c) => {
    for (const b of c) if (b === 10) done++;
  });
  /** @type {Sample[]} */
  const samples = [];
  const timer = setInterval(() => {
    const rss = readMem(pid, "VmRSS");
    const treeRss = rss + descendants(pid).reduce((sum, p) => sum + readMem(p, "VmRSS"), 0);
    samples.push({ t: (performance.now() - started) / 1000, done, rss, treeRss, fds: fdCount(pid) });
  }, 250);
  const code = await new Promise((resolve) => child.on("exit", resolve));
  clearInterval(timer);
  const seconds = (performance.now() - started) / 1000;
  if (code !== 0) throw new Error(`exifapi clean exited with ${code}`);
  return { seconds, done, samples };
}

/** @param {Sample[]} samples @param {number} fraction */
function at(samples, fraction) {
  return samples.find((s) => s.done >= FILES * fraction) ?? samples[samples.length - 1];
}

async function runMat2() {
  if (MAT2_FILES <= 0 || !(await have("mat2"))) return null;
  const files = [];
  for (let i = 0; i < Math.min(MAT2_FILES, FILES); i++) {
    files.push(path.join(SRC, `folder ${String(Math.floor(i / PER_FOLDER)).padStart(3, "0")}`, `photo ${i}.jpg`));
  }
  const version = (await run("mat2", ["--version"])).stdout.toString("utf8").trim();
  const started = performance.now();
  // mat2 writes NAME.cleaned.jpg beside each file; batches keep the command line short.
  for (let i = 0; i < files.length; i += 500) await run("mat2", files.slice(i, i + 500), { timeoutMs: 3_600_000 });
  return { version, files: files.length, seconds: (performance.now() - started) / 1000 };
}

const mb = (/** @type {number} */ n) => `${(n / 1024 / 1024).toFixed(0)} MB`;

const size = await makeTree();
const load = os.loadavg().map((l) => l.toFixed(1)).join(" ");
const ex = await runExifapi();
const peak = ex.samples.reduce((m, s) => Math.max(m, s.rss), 0);
const peakTree = ex.samples.reduce((m, s) => Math.max(m, s.treeRss), 0);
// Module loading opens many files at once before the first file is cleaned: not the run's.
const maxFds = ex.samples.filter((s) => s.done > 0).reduce((m, s) => Math.max(m, s.fds), 0);
const points = [0.1, 0.5, 0.9].map((f) => at(ex.samples, f));
const mat2 = await runMat2();
const lines = [
  `exifapi clean, ${FILES} JPEGs of ${(size / 1024).toFixed(0)} KB in ${Math.ceil(FILES / PER_FOLDER)} folders, --jobs ${JOBS} (as many ExifTool processes), ${os.availableParallelism()} cores, load average before ${load}:`,
  `- ${(ex.done / ex.seconds).toFixed(1)} files/s (${ex.seconds.toFixed(0)} s for ${ex.done} files)`,
  `- node RSS at 10/50/90% of the files: ${points.map((p) => mb(p?.rss ?? 0)).join(" / ")}; peak ${mb(peak)}; with its ExifTool processes peak ${mb(peakTree)}`,
  `- open files of the node process at 10/50/90%: ${points.map((p) => p?.fds ?? 0).join(" / ")}; most ${maxFds} once the first file was done`,
  mat2 == null ? "- mat2: not installed (apt-get install mat2) or BENCH_MAT2_FILES=0" : `- ${mat2.version}, one process, first ${mat2.files} files of the same tree: ${(mat2.files / mat2.seconds).toFixed(1)} files/s`,
];
process.stdout.write(`${lines.join("\n")}\n`);
await fsp.rm(WORK, { recursive: true, force: true });
