// @ts-check
import fsp from "node:fs/promises";
import { uploader } from "./http-clients.mjs";
import { measurePoint } from "./measure.mjs";
import { exiftoolStripOnce, mat2Once } from "./references.mjs";

/** @typedef {import("./corpus.mjs").CorpusFile} CorpusFile */
/** @typedef {import("./measure.mjs").Point} Point */

/**
 * @typedef {object} Targets
 * @property {import("./service.mjs").Service} service
 * @property {{ origin: string, pid: number }} spawnServer
 * @property {{ origin: string, pid: number }} floor
 * @property {{ read: (file: string) => Promise<void>, pids: () => number[] }} raw
 * @property {number} procs
 * @property {number} seconds
 * @property {readonly number[]} concurrencies
 * @property {string} tmpDir
 * @property {(msg: string) => void} log
 */

/** @param {Point} p */
export const describe = (p) =>
  `${p.endpoint} ${p.fileId} ${p.impl} c=${p.load.concurrency}: ${p.load.rps.toFixed(1)} req/s p50 ${p.load.p50.toFixed(1)} ms` +
  (p.load.errors > 0 ? ` (${p.load.errors} errors: ${p.load.firstError})` : "");

/**
 * Extraction of one file: at each concurrency, raw stay_open, exifapi, the naive wrapper and the
 * upload floor back to back, so that the machine's load at that moment weighs on all alike.
 * @param {Targets} t @param {CorpusFile} file
 * @returns {Promise<Point[]>}
 */
export async function extractSweep(t, file) {
  const data = await fsp.readFile(file.path);
  const maxC = Math.max(...t.concurrencies);
  const api = uploader(t.service.baseUrl, maxC, data, file);
  const naive = uploader(t.spawnServer.origin, maxC, data, file);
  const floor = uploader(t.floor.origin, maxC, data, file);
  const headers = { "x-api-key": t.service.apiKey };
  const tasks = {
    "raw stay_open": { task: () => t.raw.read(file.path), cpu: /** @type {const} */ ({ kind: "pids", pids: t.raw.pids }) },
    exifapi: {
      task: async () => {
        const body = await api.post("/api/v1/extract", headers);
        if (body.success !== true) throw new Error("extract did not succeed");
      },
      cpu: /** @type {const} */ ({ kind: "tree", pid: t.service.pid }),
    },
    "spawn-per-request": {
      task: async () => {
        await naive.post("/", {});
      },
      cpu: /** @type {const} */ ({ kind: "tree", pid: t.spawnServer.pid }),
    },
    "upload floor": {
      task: async () => {
        await floor.post("/extract", {});
      },
      cpu: /** @type {const} */ ({ kind: "tree", pid: t.floor.pid }),
    },
  };
  /** @type {Point[]} */
  const points = [];
  try {
    // Warm-up: first requests pay for JIT, connections and ExifTool's module loading.
    for (const { task } of Object.values(tasks)) for (let i = 0; i < 2; i++) await task().catch(() => undefined);
    for (const concurrency of t.concurrencies) {
      for (const [impl, { task, cpu }] of Object.entries(tasks)) {
        const p = await measurePoint({ endpoint: "extract", fileId: file.id, fileBytes: file.size, impl, procs: t.procs, concurrency, seconds: t.seconds, task, cpu });
        t.log(describe(p));
        points.push(p);
      }
    }
  } finally {
    await api.close();
    await naive.close();
    await floor.close();
  }
  return points;
}

/**
 * Removal of one file: exifapi's whole round (upload, clean, verify, store, then download the
 * cleaned copy), the same round on the upload floor (upload into a file, download it back), and
 * the per-file tools a user would run instead.
 * @param {Targets} t @param {CorpusFile} file
 * @param {{ exiftoolStrip: boolean, mat2: boolean, refConcurrencies: readonly number[] }} refs
 * @returns {Promise<Point[]>}
 */
export async function removeSweep(t, file, refs) {
  const data = await fsp.readFile(file.path);
  const api = uploader(t.service.baseUrl, Math.max(...t.concurrencies), data, file);
  const floor = uploader(t.floor.origin, Math.max(...t.concurrencies), data, file);
  const headers = { "x-api-key": t.service.apiKey };
  /** @param {ReturnType<typeof uploader>} client @param {string} urlPath @param {Record<string, string>} h */
  const round = async (client, urlPath, h) => {
    const body = await client.post(urlPath, h);
    if (body.success !== true) throw new Error("remove did not succeed");
    await client.download(new URL(body.downloadUrl).pathname);
  };
  const exifapi = () => round(api, "/api/v1/remove", headers);
  const floorRound = () => round(floor, "/remove", {});
  /** @type {Point[]} */
  const points = [];
  const base = { endpoint: "remove", fileId: file.id, fileBytes: file.size, procs: t.procs, seconds: t.seconds };
  try {
    for (let i = 0; i < 2; i++) await Promise.all([exifapi().catch(() => undefined), floorRound().catch(() => undefined)]);
    /** @type {[string, () => Promise<void>][]} */
    const others = [];
    /** @type {[string, () => Promise<void>][]} */
    const candidates = [];
    if (refs.exiftoolStrip) candidates.push(["exiftool -all=", () => exiftoolStripOnce(file, t.tmpDir)]);
    if (refs.mat2) candidates.push(["mat2", () => mat2Once(file, t.tmpDir)]);
    // A tool that cannot clean this type at all is tried once and reported, not hammered.
    for (const [impl, task] of candidates) {
      const failure = await task().then(() => null, (err) => (err instanceof Error ? err.message : String(err)));
      if (failure == null) others.push([impl, task]);
      else {
        t.log(`remove ${file.id} ${impl}: cannot clean this file (${failure})`);
        const load = { concurrency: 1, ok: 0, errors: 1, firstError: failure, seconds: 0, rps: 0, p50: NaN, p95: NaN, p99: NaN };
        points.push({ endpoint: "remove", fileId: file.id, fileBytes: file.size, impl, procs: t.procs, load, cpuPerRequest: null, memPeak: null });
      }
    }
    for (const concurrency of t.concurrencies) {
      const p = await measurePoint({ ...base, impl: "exifapi", concurrency, task: exifapi, cpu: { kind: "tree", pid: t.service.pid } });
      t.log(describe(p));
      points.push(p);
      const f = await measurePoint({ ...base, impl: "upload floor", concurrency, task: floorRound, cpu: { kind: "tree", pid: t.floor.pid } });
      t.log(describe(f));
      points.push(f);
      if (!refs.refConcurrencies.includes(concurrency)) continue;
      for (const [impl, task] of others) {
        const r = await measurePoint({ ...base, impl, concurrency, task, cpu: { kind: "reaped" } });
        t.log(describe(r));
        points.push(r);
      }
    }
  } finally {
    await api.close();
    await floor.close();
  }
  return points;
}
