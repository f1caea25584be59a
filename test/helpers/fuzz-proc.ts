import fs from "node:fs/promises";
import path from "node:path";

/** What /proc tells about the service under test and its children (Linux only). */

/**
 * The fields of /proc/PID/stat after the command name (so `[0]` is the state, `[1]` the parent,
 * `[11]`-`[14]` utime, stime, cutime and cstime in clock ticks of 10 ms); null once the process is gone.
 */
async function statFields(pid: number | string): Promise<string[] | null> {
  const stat = await fs.readFile(`/proc/${pid}/stat`, "utf8").catch(() => null);
  // The command name (2nd field) is in parentheses and may hold spaces: count from its end.
  return stat == null ? null : stat.slice(stat.lastIndexOf(")") + 2).split(" ");
}

/** Pids whose parent is `pid`. */
export async function childPids(pid: number): Promise<number[]> {
  const out: number[] = [];
  for (const entry of await fs.readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const fields = await statFields(entry);
    if (fields != null && Number(fields[1]) === pid) out.push(Number(entry));
  }
  return out;
}

/** Every process under `pid`: its children, theirs, and so on (helper programs run under the spawner). */
export async function descendantPids(pid: number): Promise<number[]> {
  const out: number[] = [];
  for (let queue = [pid]; queue.length > 0; ) {
    const children = (await Promise.all(queue.map(childPids))).flat();
    out.push(...children);
    queue = children;
  }
  return out;
}

/** The children of `serverPid` whose command line passes `test`. */
async function childrenRunning(serverPid: number, test: (cmdline: string) => boolean): Promise<number[]> {
  const pids: number[] = [];
  for (const child of await childPids(serverPid)) {
    if (test(await fs.readFile(`/proc/${child}/cmdline`, "utf8").catch(() => ""))) pids.push(child);
  }
  return pids;
}

/** The running ExifTool processes of the service: perl children. */
export const exiftoolPids = (serverPid: number): Promise<number[]> => childrenRunning(serverPid, (c) => c.includes("exiftool") && c.includes("-stay_open"));

async function statusKb(pid: number, field: "VmRSS" | "VmHWM" | "RssFile"): Promise<number> {
  const status = await fs.readFile(`/proc/${pid}/status`, "utf8");
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status);
  if (m == null) throw new Error(`no ${field} for ${pid}`);
  return Number(m[1]);
}

export const rssKb = (pid: number): Promise<number> => statusKb(pid, "VmRSS");
/** The highest RSS the process had, since it started or since `resetPeakRss`. */
export const peakRssKb = (pid: number): Promise<number> => statusKb(pid, "VmHWM");
/**
 * Starts the process's peak RSS (VmHWM) over from its RSS now (Linux's clear_refs, "5"): what
 * the process reaches next is then judged by itself, not by an earlier peak. The process's own
 * memory only; its children keep theirs.
 */
export const resetPeakRss = (pid: number): Promise<void> => fs.writeFile(`/proc/${pid}/clear_refs`, "5");

/** The service's task processes (isolation/task-processes.ts), where the clients' bytes are parsed. */
export const taskProcessPids = (serverPid: number): Promise<number[]> => childrenRunning(serverPid, (c) => c.includes("task-process.js"));

/**
 * The service's memory: its process's, and what each task process holds of its own. A task
 * process's file-backed pages are node's binary and libraries, the same physical pages as the
 * service's (42 of a new one's 60 MB of RSS): they count once, in the service's process.
 */
async function serviceKb(serverPid: number, field: "VmRSS" | "VmHWM"): Promise<number> {
  let total = await statusKb(serverPid, field);
  for (const pid of await taskProcessPids(serverPid)) total += await ownKb(pid, field);
  return total;
}

/** What a task process holds in `field` of its own: its file-backed pages are the service's (see serviceKb); 0 once it ended. */
export const ownKb = (pid: number, field: "VmRSS" | "VmHWM"): Promise<number> =>
  Promise.all([statusKb(pid, field), statusKb(pid, "RssFile")]).then(([kb, file]) => kb - file, () => 0);

/** The RSS of the service: its process's and its task processes' own (see serviceKb). */
export const serviceRssKb = (serverPid: number): Promise<number> => serviceKb(serverPid, "VmRSS");
/**
 * The peak RSS of the service: the peaks of its process and of its live task processes (their own
 * pages, see serviceKb), added. The sum of peaks reached at different moments is at least their
 * peak together, so a bound on it holds for the service; a task process that ended (killed for its
 * deadline, or aborted) is not counted.
 */
export const servicePeakRssKb = (serverPid: number): Promise<number> => serviceKb(serverPid, "VmHWM");
/** resetPeakRss for the service's process and its task processes. */
export async function resetServicePeakRss(serverPid: number): Promise<void> {
  for (const pid of [serverPid, ...(await taskProcessPids(serverPid))]) await resetPeakRss(pid).catch(() => undefined);
}

export async function fdCount(pid: number): Promise<number> {
  return (await fs.readdir(`/proc/${pid}/fd`)).length;
}

/** The soft "Max address space" limit of a process, in bytes (null: unlimited). */
export async function addressSpaceLimit(pid: number): Promise<number | null> {
  const limits = await fs.readFile(`/proc/${pid}/limits`, "utf8");
  const m = /^Max address space\s+(\S+)/m.exec(limits);
  if (m == null || m[1] === "unlimited") return null;
  return Number(m[1]);
}

/** Every file under the service's temp folder (DATA_DIR/tmp), recursively. */
export async function tempFiles(dataDir: string): Promise<string[]> {
  const root = path.join(dataDir, "tmp");
  const entries = await fs.readdir(root, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((e) => !e.isDirectory()).map((e) => path.join(e.parentPath, e.name));
}

/** CPU time the process has used so far (its own threads, workers too; not its children), in ms. */
export async function cpuMs(pid: number): Promise<number> {
  const fields = await statFields(pid);
  if (fields == null) throw new Error(`no process ${pid}`);
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/**
 * CPU time used so far by the service and the processes under it (ExifTool, helper programs still
 * running), in ms by pid: a difference of two readings is the work done between them, whatever
 * the machine's load (children that ended in between are not counted).
 */
export async function treeCpuMs(pid: number): Promise<Map<number, number>> {
  const out = new Map<number, number>();
  for (const p of [pid, ...(await descendantPids(pid))]) {
    const ms = await cpuMs(p).catch(() => null);
    if (ms != null) out.set(p, ms);
  }
  return out;
}

/** The CPU time of `after` past `before` (two treeCpuMs readings), in ms. */
export function cpuSpentMs(before: Map<number, number>, after: Map<number, number>): number {
  let spent = 0;
  for (const [p, ms] of after) spent += ms - (before.get(p) ?? 0);
  return spent;
}

/**
 * CPU time `pid` and every process under it have used so far, those they ended and reaped
 * included (utime, stime, cutime, cstime; treeCpuMs leaves those out): the service, its ExifTool
 * processes, and the helper programs its spawner ran (qpdf's runs). In ms.
 */
export async function treeCpuWithEndedMs(pid: number): Promise<number> {
  let total = 0;
  for (const p of [pid, ...(await descendantPids(pid))]) {
    const fields = await statFields(p);
    if (fields != null) total += (Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14])) * 10;
  }
  return total;
}
