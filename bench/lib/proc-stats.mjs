// @ts-check
import fs from "node:fs";

const TICK_MS = 10; // USER_HZ is 100 on every Linux we run on (getconf CLK_TCK)

/**
 * @typedef {object} ProcStat
 * @property {number} pid
 * @property {number} ppid
 * @property {string} comm
 * @property {number} cpuMs        utime + stime
 * @property {number} childCpuMs   cutime + cstime: reaped children
 */

/** @param {number} pid @returns {ProcStat | null} */
export function readStat(pid) {
  let text;
  try {
    text = fs.readFileSync(`/proc/${pid}/stat`, "latin1");
  } catch {
    return null;
  }
  // comm is in parentheses and may hold spaces: split after the last ')'.
  const close = text.lastIndexOf(")");
  const comm = text.slice(text.indexOf("(") + 1, close);
  const f = text.slice(close + 2).split(" ");
  const n = (/** @type {number} */ i) => Number(f[i] ?? 0);
  // Fields after comm, 0-based: state=0 ppid=1 ... utime=11 stime=12 cutime=13 cstime=14
  return { pid, ppid: n(1), comm, cpuMs: (n(11) + n(12)) * TICK_MS, childCpuMs: (n(13) + n(14)) * TICK_MS };
}

/** @param {number} pid @param {"VmRSS" | "VmHWM" | "RssFile"} field @returns {number} bytes (0 if gone) */
export function readMem(pid, field) {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(fs.readFileSync(`/proc/${pid}/status`, "latin1"));
    return m == null ? 0 : Number(m[1]) * 1024;
  } catch {
    return 0;
  }
}

/**
 * Every live descendant of `root` (not root itself). This kernel has no /proc/PID/task/T/children,
 * so the tree is rebuilt from every process's parent id.
 * @param {number} root @returns {number[]}
 */
export function descendants(root) {
  /** @type {Map<number, number[]>} */
  const kids = new Map();
  for (const name of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    const s = readStat(Number(name));
    if (s == null) continue;
    const list = kids.get(s.ppid) ?? [];
    list.push(s.pid);
    kids.set(s.ppid, list);
  }
  /** @type {number[]} */
  const out = [];
  const queue = [...(kids.get(root) ?? [])];
  while (queue.length > 0) {
    const pid = /** @type {number} */ (queue.shift());
    out.push(pid);
    queue.push(...(kids.get(pid) ?? []));
  }
  return out;
}

/**
 * CPU used so far by a process and, separately, by everything it started: live descendants'
 * own time plus what reaped ones left in their parents' cutime/cstime. Taken before and after
 * a load point, the difference splits the cost between Node and its tools.
 * @param {number} root
 * @returns {{ selfMs: number, childrenMs: number }}
 */
export function cpuOfTree(root) {
  const self = readStat(root);
  if (self == null) return { selfMs: 0, childrenMs: 0 };
  let childrenMs = self.childCpuMs;
  for (const pid of descendants(root)) {
    const s = readStat(pid);
    if (s != null) childrenMs += s.cpuMs + s.childCpuMs;
  }
  return { selfMs: self.cpuMs, childrenMs };
}

/** @param {number} pid @returns {boolean} whether it is one of the service's task processes (src/isolation/task-processes.ts) */
function isTaskProcess(pid) {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, "latin1").includes("task-process.js");
  } catch {
    return false;
  }
}

/**
 * The service's memory in `field`: its process's, and what each of its task processes holds of its
 * own. A task process's file-backed pages are node's binary and libraries, the same physical pages
 * as the service's: they count once, in the service's process. With VmHWM, a sum of peaks reached at
 * different moments: at least the service's peak.
 * @param {number} root @param {"VmRSS" | "VmHWM"} field @param {number[]} [tasks] its task processes
 */
export function serviceMem(root, field, tasks = descendants(root).filter(isTaskProcess)) {
  return tasks.reduce((sum, pid) => sum + Math.max(0, readMem(pid, field) - readMem(pid, "RssFile")), readMem(root, field));
}

/**
 * Samples the resident memory of the service (its process and task processes, see serviceMem) and of
 * its other descendants every `everyMs` while a load point runs; `stop()` gives the peaks seen (the
 * processes' own VmHWM catches what sampling misses).
 * @param {number} root @param {number} everyMs
 */
export function memorySampler(root, everyMs = 100) {
  let selfPeak = 0;
  let childrenPeak = 0;
  let totalPeak = 0;
  const sample = () => {
    const others = descendants(root);
    const tasks = others.filter(isTaskProcess);
    const self = serviceMem(root, "VmRSS", tasks);
    let children = 0;
    for (const pid of others) if (!tasks.includes(pid)) children += readMem(pid, "VmRSS");
    selfPeak = Math.max(selfPeak, self);
    childrenPeak = Math.max(childrenPeak, children);
    totalPeak = Math.max(totalPeak, self + children);
  };
  sample();
  const timer = setInterval(sample, everyMs);
  return {
    stop() {
      clearInterval(timer);
      sample();
      return { selfPeak, childrenPeak, totalPeak };
    },
  };
}
