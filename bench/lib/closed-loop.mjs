// @ts-check
import { performance } from "node:perf_hooks";

/**
 * @typedef {object} LoadResult
 * @property {number} concurrency
 * @property {number} ok
 * @property {number} errors
 * @property {string | null} firstError
 * @property {number} seconds
 * @property {number} rps
 * @property {number} p50  ms
 * @property {number} p95  ms
 * @property {number} p99  ms
 */

/** @param {number[]} sorted @param {number} q */
function quantile(sorted, q) {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return /** @type {number} */ (sorted[i]);
}

/**
 * A closed-loop load: `concurrency` workers each run `task` back to back until `seconds` have
 * passed (and at least `minRequests` were done in all, so that slow cases still give a
 * number). Requests in flight at the deadline are finished and counted; throughput is what
 * completed over the time it took.
 * @param {{ concurrency: number, seconds: number, minRequests?: number, task: () => Promise<void> }} opts
 * @returns {Promise<LoadResult>}
 */
export async function closedLoop({ concurrency, seconds, minRequests = 3, task }) {
  /** @type {number[]} */
  const latencies = [];
  let errors = 0;
  /** @type {string | null} */
  let firstError = null;
  let started = 0;
  const t0 = performance.now();
  const deadline = t0 + seconds * 1000;
  const worker = async () => {
    while (performance.now() < deadline || started < minRequests) {
      started++;
      const s = performance.now();
      try {
        await task();
        latencies.push(performance.now() - s);
      } catch (err) {
        errors++;
        firstError ??= err instanceof Error ? err.message : String(err);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const elapsed = (performance.now() - t0) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    concurrency,
    ok: latencies.length,
    errors,
    firstError,
    seconds: elapsed,
    rps: latencies.length / elapsed,
    p50: quantile(latencies, 0.5),
    p95: quantile(latencies, 0.95),
    p99: quantile(latencies, 0.99),
  };
}
