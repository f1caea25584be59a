import fs from "node:fs/promises";
import { childPids } from "./fuzz-proc.js";
import type { RunningServer } from "./server.js";

export interface Watched<T> {
  result: T;
  /** The slowest /healthz answer while `work` ran (a failed probe counts as infinite). */
  slowestHealthMs: number;
  /** The highest RSS seen of the service and its children together, in MB. */
  peakTreeMb: number;
}

async function rssMb(pid: number): Promise<number> {
  const status = await fs.readFile(`/proc/${pid}/status`, "utf8").catch(() => "");
  const m = /^VmRSS:\s+(\d+) kB/m.exec(status);
  return m == null ? 0 : Number(m[1]) / 1024;
}

async function treeMb(pid: number): Promise<number> {
  let total = await rssMb(pid);
  for (const child of await childPids(pid)) total += await rssMb(child);
  return total;
}

/**
 * Runs `work` against the service while probing /healthz and sampling the memory of the service
 * and its children, as an operator's monitoring would.
 */
export async function watchService<T>(server: RunningServer, work: () => Promise<T>): Promise<Watched<T>> {
  let slowestHealthMs = 0;
  let peakTreeMb = 0;
  let done = false;
  const probe = async (): Promise<void> => {
    while (!done) {
      const started = performance.now();
      const ok = await fetch(`${server.baseUrl}/healthz`, { signal: AbortSignal.timeout(5000) }).then(
        (r) => r.ok,
        () => false,
      );
      slowestHealthMs = Math.max(slowestHealthMs, ok ? performance.now() - started : Number.POSITIVE_INFINITY);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const sample = async (): Promise<void> => {
    while (!done) {
      peakTreeMb = Math.max(peakTreeMb, await treeMb(server.process.pid!));
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const watchers = [probe(), sample()];
  try {
    const result = await work();
    return { result, slowestHealthMs, peakTreeMb };
  } finally {
    done = true;
    await Promise.all(watchers);
  }
}
