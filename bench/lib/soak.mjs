// @ts-check
import fsp from "node:fs/promises";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { closedLoop } from "./closed-loop.mjs";
import { uploader } from "./http-clients.mjs";
import { readMem } from "./proc-stats.mjs";
import { startService } from "./service.mjs";

/** @typedef {import("./corpus.mjs").CorpusFile} CorpusFile */

/**
 * @typedef {object} Soak
 * @property {number} minutes
 * @property {number} requests
 * @property {number} errors
 * @property {number} firstRss  service VmRSS after the first minute (warm: JIT, pools, SQLite cache)
 * @property {number} lastRss   service VmRSS at the end
 * @property {number[]} timeline  VmRSS every 30 s
 * @property {{ min: number, max: number }[]} perMinute  lowest and highest VmRSS of each minute, sampled every 2 s
 * @property {(number | null)[]} liveHeap  the main thread's V8 heap after its last full collection of each minute of the
 *   service's life (bytes; null for a minute without one), from `--trace-gc`
 */

/**
 * The same steady load for `seconds` on a fresh service: 1 MP JPEGs, extraction and removal
 * alternating, at concurrency 8. What the first minute reaches is the working set. Within a
 * minute RSS swings by tens of MB (the main heap grows up to fourfold its live size between full
 * collections), so a leak shows as a rising floor: each minute's lowest sample. The service runs with
 * `--trace-gc`, so the report can tell a growing JavaScript heap from memory outside it.
 * @param {{ file: CorpusFile, seconds: number, procs: number, tmpDir: string, log: (m: string) => void }} o
 * @returns {Promise<Soak>}
 */
export async function soak(o) {
  const service = await startService({ dataDir: path.join(o.tmpDir, "data-soak"), procs: o.procs, nodeArgs: ["--trace-gc"] });
  const api = uploader(service.baseUrl, 8, await fsp.readFile(o.file.path), o.file);
  const headers = { "x-api-key": service.apiKey };
  let n = 0;
  const task = async () => {
    if (n++ % 2 === 0) {
      await api.post("/api/v1/extract", headers);
      return;
    }
    const body = await api.post("/api/v1/remove", headers);
    await api.download(new URL(body.downloadUrl).pathname);
  };
  /** @type {number[]} */
  const samples = [];
  const t0 = performance.now();
  const timer = setInterval(() => samples.push(readMem(service.pid, "VmRSS")), 2_000);
  try {
    const warm = await closedLoop({ concurrency: 8, seconds: Math.min(60, o.seconds / 5), task });
    const firstRss = readMem(service.pid, "VmRSS");
    const rest = await closedLoop({ concurrency: 8, seconds: o.seconds - Math.min(60, o.seconds / 5), task });
    const lastRss = readMem(service.pid, "VmRSS");
    const r = {
      minutes: (performance.now() - t0) / 60_000,
      requests: warm.ok + rest.ok,
      errors: warm.errors + rest.errors,
      firstRss,
      lastRss,
      timeline: samples.filter((_, i) => i % 15 === 14),
      perMinute: perMinute(samples),
      liveHeap: liveHeapPerMinute(await fsp.readFile(service.logFile, "utf8")),
    };
    o.log(`soak: ${r.requests} requests in ${r.minutes.toFixed(1)} min, RSS ${(firstRss / 2 ** 20).toFixed(0)} -> ${(lastRss / 2 ** 20).toFixed(0)} MB`);
    return r;
  } finally {
    clearInterval(timer);
    await api.close();
    await service.stop();
  }
}

/** @param {number[]} samples every 2 s @returns {{ min: number, max: number }[]} */
function perMinute(samples) {
  const minutes = [];
  for (let i = 0; i + 30 <= samples.length; i += 30) {
    const w = samples.slice(i, i + 30);
    minutes.push({ min: Math.min(...w), max: Math.max(...w) });
  }
  return minutes;
}

/**
 * The main isolate's heap size after each minute's last full collection, read from `--trace-gc`
 * lines (`[pid:0xISOLATE] 61234 ms: Mark-Compact 120.1 (150.2) -> 36.0 (151.0) MB, ...`). Worker
 * threads trace too, under their own isolate address; the main thread's is the one whose heap
 * after a full collection is the largest (~35 MB against the workers' ~10).
 * @param {string} log
 * @returns {(number | null)[]}
 */
function liveHeapPerMinute(log) {
  /** @type {Map<string, { ms: number, after: number }[]>} */
  const byIsolate = new Map();
  for (const m of log.matchAll(/^\[\d+:(0x[0-9a-f]+)\]\s+(\d+) ms: Mark-Compact [\d.]+ \([\d.]+\) -> ([\d.]+) \(/gm)) {
    const list = byIsolate.get(m[1] ?? "") ?? [];
    list.push({ ms: Number(m[2]), after: Number(m[3]) * 2 ** 20 });
    byIsolate.set(m[1] ?? "", list);
  }
  const main = [...byIsolate.values()].sort((a, b) => Math.max(...b.map((c) => c.after)) - Math.max(...a.map((c) => c.after)))[0] ?? [];
  /** @type {(number | null)[]} */
  const minutes = [];
  for (const c of main) {
    const i = Math.floor(c.ms / 60_000);
    while (minutes.length <= i) minutes.push(null);
    minutes[i] = c.after;
  }
  return minutes;
}
