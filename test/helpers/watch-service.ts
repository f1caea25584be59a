import fs from "node:fs/promises";
import { Worker } from "node:worker_threads";
import { expect } from "vitest";
import { descendantPids, ownKb, taskProcessPids, tempFiles } from "./fuzz-proc.js";
import { type RemoveOutcome, removeViaApi } from "./remove-api.js";
import type { RunningServer } from "./server.js";

export interface Watched<T> {
  result: T;
  /** The slowest /healthz answer while `work` ran (a failed probe counts as infinite). */
  slowestHealthMs: number;
  /** The highest RSS seen of the service and its children together (task processes: their own pages), in MB. */
  peakTreeMb: number;
}

async function rssMb(pid: number): Promise<number> {
  const status = await fs.readFile(`/proc/${pid}/status`, "utf8").catch(() => "");
  const m = /^VmRSS:\s+(\d+) kB/m.exec(status);
  return m == null ? 0 : Number(m[1]) / 1024;
}

/** The service's tree: its process, its children and theirs; of its task processes, their own pages (see fuzz-proc.ts serviceKb). */
async function treeMb(pid: number): Promise<number> {
  const tasks = new Set(await taskProcessPids(pid));
  let total = await rssMb(pid);
  for (const child of await descendantPids(pid)) total += tasks.has(child) ? (await ownKb(child, "VmRSS")) / 1024 : await rssMb(child);
  return total;
}

/**
 * Probes /healthz every 100 ms until told to stop, then posts the slowest answer (a failed probe
 * counts as infinite). It runs in a thread of its own: `work` often builds and sends a big upload
 * on the test's thread, and a probe sharing that event loop would time the test's stalls, not
 * the service's. Its first request, untimed, posts "ready": a new thread's first fetch loads
 * and compiles the fetch machinery in that thread, 0.6-1.5 s on a loaded machine, which was timed
 * as the service's (the same service then answered in 0.2-0.4 s).
 */
const PROBE = `
const { parentPort, workerData } = require("node:worker_threads");
let done = false;
let slowest = 0;
parentPort.once("message", () => { done = true; });
(async () => {
  await fetch(workerData.url).then((r) => r.arrayBuffer(), () => undefined);
  parentPort.postMessage("ready");
  while (!done) {
    const started = performance.now();
    const ok = await fetch(workerData.url, { signal: AbortSignal.timeout(5000) }).then((r) => r.ok, () => false);
    slowest = Math.max(slowest, ok ? performance.now() - started : Number.POSITIVE_INFINITY);
    await new Promise((r) => setTimeout(r, 100));
  }
  parentPort.postMessage(slowest);
})();
`;

/**
 * Runs `work` against the service while probing /healthz and sampling the memory of the service
 * and its children, as an operator's monitoring would.
 */
export async function watchService<T>(server: RunningServer, work: () => Promise<T>): Promise<Watched<T>> {
  let peakTreeMb = 0;
  let done = false;
  const probe = new Worker(PROBE, { eval: true, workerData: { url: `${server.baseUrl}/healthz` } });
  const failed = new Promise<never>((_, reject) => probe.once("error", reject));
  failed.catch(() => undefined); // raced below
  const message = (): Promise<unknown> => Promise.race([new Promise((resolve) => probe.once("message", resolve)), failed]);
  const sample = async (): Promise<void> => {
    while (!done) {
      peakTreeMb = Math.max(peakTreeMb, await treeMb(server.process.pid!));
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  try {
    await message(); // ready
    const slowest = message() as Promise<number>;
    const sampling = sample();
    const result = await work();
    done = true;
    probe.postMessage("stop");
    const slowestHealthMs = await slowest;
    await sampling;
    return { result, slowestHealthMs, peakTreeMb };
  } finally {
    done = true;
    await probe.terminate();
  }
}

/**
 * A removal of `file` through the API, watched as above and timed; it must leave no temp file
 * behind (checked for up to 10 s: a refused request's work may still be cleaning up).
 */
export async function watchRemoval(server: RunningServer, file: string): Promise<Watched<RemoveOutcome> & { ms: number }> {
  const started = Date.now();
  const watched = await watchService(server, () => removeViaApi(server, file));
  const ms = Date.now() - started;
  await expect.poll(() => tempFiles(server.dataDir), { timeout: 10_000 }).toEqual([]);
  return { ...watched, ms };
}
