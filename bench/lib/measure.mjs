// @ts-check
import { closedLoop } from "./closed-loop.mjs";
import { cpuOfTree, memorySampler, readStat } from "./proc-stats.mjs";

/**
 * @typedef {object} Point
 * @property {string} endpoint   "extract" | "remove"
 * @property {string} fileId
 * @property {number} fileBytes
 * @property {string} impl       "exifapi" | "raw stay_open" | "spawn-per-request" | "exiftool -all=" | "mat2"
 * @property {number} procs
 * @property {import("./closed-loop.mjs").LoadResult} load
 * @property {{ nodeMs: number, childrenMs: number } | null} cpuPerRequest
 * @property {{ selfPeak: number, childrenPeak: number, totalPeak: number } | null} memPeak
 */

/**
 * Where the CPU of an implementation is: a process tree (the service, the naive wrapper), the
 * bench's own reaped children (tools it spawns per file), or given pids (the raw pool).
 * @typedef {{ kind: "tree", pid: number } | { kind: "reaped" } | { kind: "pids", pids: () => number[] } | { kind: "none" }} CpuSource
 */

/** @param {CpuSource} src @returns {{ selfMs: number, childrenMs: number }} */
function cpuNow(src) {
  switch (src.kind) {
    case "tree":
      return cpuOfTree(src.pid);
    case "reaped":
      return { selfMs: 0, childrenMs: readStat(process.pid)?.childCpuMs ?? 0 };
    case "pids":
      return { selfMs: 0, childrenMs: src.pids().reduce((sum, pid) => sum + (readStat(pid)?.cpuMs ?? 0), 0) };
    case "none":
      return { selfMs: 0, childrenMs: 0 };
  }
}

/**
 * Runs one load point and takes the CPU used (before/after) and the memory peaks (sampled) of
 * the implementation under load.
 * @param {Omit<Point, "load" | "cpuPerRequest" | "memPeak"> & { concurrency: number, seconds: number, task: () => Promise<void>, cpu: CpuSource }} p
 * @returns {Promise<Point>}
 */
export async function measurePoint(p) {
  const before = cpuNow(p.cpu);
  const sampler = p.cpu.kind === "tree" ? memorySampler(p.cpu.pid, 100) : null;
  const load = await closedLoop({ concurrency: p.concurrency, seconds: p.seconds, task: p.task });
  const memPeak = sampler?.stop() ?? null;
  const after = cpuNow(p.cpu);
  const cpuPerRequest =
    p.cpu.kind === "none" || load.ok === 0
      ? null
      : { nodeMs: (after.selfMs - before.selfMs) / load.ok, childrenMs: (after.childrenMs - before.childrenMs) / load.ok };
  return { endpoint: p.endpoint, fileId: p.fileId, fileBytes: p.fileBytes, impl: p.impl, procs: p.procs, load, cpuPerRequest, memPeak };
}
