// @ts-check
import { execFile, spawn } from "node:child_process";
import fsp from "node:fs/promises";
import path from "node:path";
import { EXIFTOOL, ROOT } from "./tools.mjs";

/** @typedef {import("./corpus.mjs").CorpusFile} CorpusFile */

/**
 * Reference (a): raw ExifTool in -stay_open mode, fed directly. The pool is the service's own
 * (`createExifToolPool` from dist/, so the same exiftool-vendored options) and the task is the
 * service's own `readAll` (the same read arguments): the floor for extraction.
 * @param {number} procs
 */
export async function rawStayOpen(procs) {
  const { createExifToolPool } = await import(path.join(ROOT, "dist/metadata/exiftool-pool.js"));
  const { readAll } = await import(path.join(ROOT, "dist/metadata/read-task.js"));
  const pool = await createExifToolPool({ EXIFTOOL_PROCS: procs, EXIFTOOL_TASK_TIMEOUT_SECONDS: 60 });
  return {
    /** @param {string} file */
    async read(file) {
      const r = await readAll(pool.access, file, false);
      if (r.tags["File:FileType"] == null) throw new Error(`raw read of ${file} found no file type`);
    },
    /** The pids of its ExifTool processes, to count their CPU apart from everything else. */
    pids: () => /** @type {number[]} */ (pool.exiftool.pids),
    close: () => pool.close(),
  };
}

/**
 * A reference server of ours (bench/spawn-server.mjs, bench/upload-floor-server.mjs), started
 * as its own process.
 * @param {string} script @param {string} tmpDir
 * @returns {Promise<{ origin: string, pid: number, stop: () => Promise<void> }>}
 */
async function startReferenceServer(script, tmpDir) {
  const child = spawn(process.execPath, [path.join(ROOT, "bench", script), tmpDir], { stdio: ["pipe", "pipe", "inherit"] });
  const port = await new Promise((resolve, reject) => {
    child.stdout?.once("data", (/** @type {Buffer} */ b) => resolve(Number(b.toString().trim())));
    child.once("exit", (code) => reject(new Error(`${script} exited ${code}`)));
  });
  const pid = child.pid;
  if (pid == null) throw new Error(`${script} has no pid`);
  return {
    origin: `http://127.0.0.1:${port}`,
    pid,
    async stop() {
      if (child.exitCode != null) return;
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      await exited;
    },
  };
}

/** Reference (b): the naive wrapper. @param {string} tmpDir */
export const startSpawnServer = (tmpDir) => startReferenceServer("spawn-server.mjs", tmpDir);

/** Reference (d): the upload floor, what moving the bytes over HTTP alone costs. @param {string} tmpDir */
export const startUploadFloor = (tmpDir) => startReferenceServer("upload-floor-server.mjs", tmpDir);

/**
 * @param {string} cmd @param {string[]} args
 * @returns {Promise<void>}
 */
function exec(cmd, args) {
  return new Promise((resolve, reject) =>
    execFile(cmd, args, { maxBuffer: 16 * 1024 * 1024, timeout: 600_000 }, (err, _out, stderr) => (err == null ? resolve() : reject(new Error(`${path.basename(cmd)}: ${String(stderr).slice(0, 300) || err.message}`)))),
  );
}

let counter = 0;

/**
 * Reference (c): `exiftool -all=` spawned per file, writing a new file as a service would.
 * @param {CorpusFile} file @param {string} tmpDir
 */
export async function exiftoolStripOnce(file, tmpDir) {
  const out = path.join(tmpDir, `strip-${process.pid}-${counter++}${path.extname(file.name)}`);
  try {
    await exec("perl", [EXIFTOOL, "-q", "-all=", "-o", out, file.path]);
  } finally {
    await fsp.rm(out, { force: true });
  }
}

/**
 * Reference (c): mat2 per file, as its users run it (sandboxed by bubblewrap, the default).
 * mat2 writes NAME.cleaned.EXT next to its input, so each run gets a folder with a copy.
 * @param {CorpusFile} file @param {string} tmpDir
 */
export async function mat2Once(file, tmpDir) {
  const dir = path.join(tmpDir, `mat2-${process.pid}-${counter++}`);
  await fsp.mkdir(dir);
  try {
    const input = path.join(dir, file.name);
    await fsp.copyFile(file.path, input);
    await exec("mat2", [input]);
  } finally {
    await fsp.rm(dir, { recursive: true, force: true });
  }
}
