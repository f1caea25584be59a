// @ts-check
import { best } from "./verdicts.mjs";

/** @typedef {import("./measure.mjs").Point} Point */

const MB = 2 ** 20;
const n1 = (/** @type {number | undefined} */ n) => (n == null || Number.isNaN(n) ? "–" : n.toFixed(1));
const mb = (/** @type {number} */ b) => (b / MB).toFixed(b < 10 * MB ? 1 : 0);

/** @param {Point | undefined} p */
const cells = (p) => (p == null ? ["–", "–", "–", "–"] : p.load.ok === 0 ? [`failed: ${String(p.load.firstError).slice(0, 60)}`, "", "", ""] : [n1(p.load.rps), n1(p.load.p50), n1(p.load.p95), n1(p.load.p99)]);
/** @param {Point | undefined} p */
const cpu = (p) => (p?.cpuPerRequest == null ? ["–", "–"] : [n1(p.cpuPerRequest.nodeMs), n1(p.cpuPerRequest.childrenMs)]);
/** @param {Point | undefined} a @param {Point | undefined} b */
const ratio = (a, b) => (a == null || b == null || b.load.rps === 0 || a.load.ok === 0 ? "–" : `${(a.load.rps / b.load.rps).toFixed(2)}`);

/** @param {string[]} head @param {string[][]} rows */
function table(head, rows) {
  return [`| ${head.join(" | ")} |`, `|${head.map(() => "---").join("|")}|`, ...rows.map((r) => `| ${r.join(" | ")} |`)].join("\n");
}

/**
 * @param {Point[]} points @param {string} endpoint
 * @returns {{ files: string[], get: (f: string, impl: string, c: number) => Point | undefined, cs: number[] }}
 */
function index(points, endpoint) {
  const mine = points.filter((p) => p.endpoint === endpoint);
  const files = [...new Set(mine.map((p) => p.fileId))];
  const cs = [...new Set(mine.map((p) => p.load.concurrency))].sort((a, b) => a - b);
  return { files, cs, get: (f, impl, c) => mine.find((p) => p.fileId === f && p.impl === impl && p.load.concurrency === c) };
}

/** @param {Point[]} points */
export function extractionTables(points) {
  const { files, cs, get } = index(points, "extract");
  const size = (/** @type {string} */ f) => mb(points.find((p) => p.fileId === f)?.fileBytes ?? 0);
  const rows = files.flatMap((f) =>
    cs.map((c) => {
      const a = get(f, "exifapi", c);
      const r = get(f, "raw stay_open", c);
      const s = get(f, "spawn-per-request", c);
      return [f, size(f), String(c), ...cells(a), ...cpu(a), n1(r?.load.rps), n1(r?.load.p50), n1(s?.load.rps), n1(s?.load.p50), ratio(a, r), ratio(a, s)];
    }),
  );
  const detail = table(
    ["file", "MB", "c", "exifapi req/s", "p50 ms", "p95 ms", "p99 ms", "CPU Node ms/req", "CPU children ms/req", "raw req/s", "raw p50", "spawn req/s", "spawn p50", "exifapi/raw", "exifapi/spawn"],
    rows,
  );
  const summary = table(
    ["file", "exifapi best req/s (c)", "raw best req/s (c)", "spawn best req/s (c)", "upload floor best req/s (c)", "exifapi/raw", "exifapi/spawn", "exifapi/floor"],
    files.map((f) => {
      const a = best(points, "extract", f, "exifapi");
      const r = best(points, "extract", f, "raw stay_open");
      const s = best(points, "extract", f, "spawn-per-request");
      const fl = best(points, "extract", f, "upload floor");
      const b = (/** @type {Point | null} */ p) => (p == null ? "–" : `${n1(p.load.rps)} (${p.load.concurrency})`);
      return [f, b(a), b(r), b(s), b(fl), ratio(a ?? undefined, r ?? undefined), ratio(a ?? undefined, s ?? undefined), ratio(a ?? undefined, fl ?? undefined)];
    }),
  );
  return { summary, detail };
}

/** @param {Point[]} points */
export function removalTables(points) {
  const { files, cs, get } = index(points, "remove");
  const size = (/** @type {string} */ f) => mb(points.find((p) => p.fileId === f)?.fileBytes ?? 0);
  const refCpu = (/** @type {Point | undefined} */ p) => (p?.cpuPerRequest == null ? "–" : n1(p.cpuPerRequest.childrenMs));
  /** @param {Point | undefined} p */
  const ref = (p) => (p == null ? ["–", "–", "–"] : p.load.ok === 0 ? [`cannot: ${String(p.load.firstError).slice(0, 50)}`, "", ""] : [n1(p.load.rps), n1(p.load.p50), refCpu(p)]);
  const rows = files.flatMap((f) =>
    cs.map((c) => {
      const a = get(f, "exifapi", c);
      const e = get(f, "exiftool -all=", c) ?? (c === 1 ? get(f, "exiftool -all=", 1) : undefined);
      const m = get(f, "mat2", c);
      const fl = get(f, "upload floor", c);
      return [f, size(f), String(c), ...cells(a), ...cpu(a), n1(fl?.load.rps), ...ref(e), ...ref(m), ratio(a, fl), ratio(a, e), ratio(a, m)];
    }),
  );
  return table(
    ["file", "MB", "c", "exifapi files/s", "p50 ms", "p95 ms", "p99 ms", "CPU Node ms/req", "CPU children ms/req", "upload floor files/s", "exiftool -all= files/s", "p50", "CPU ms", "mat2 files/s", "p50", "CPU ms", "exifapi/floor", "exifapi/-all=", "exifapi/mat2"],
    rows,
  );
}

/** @param {Point[]} points */
export function memoryTable(points) {
  const mine = points.filter((p) => p.impl === "exifapi" && p.memPeak != null);
  const byKey = new Map();
  for (const p of mine) {
    const k = `${p.endpoint} ${p.fileId}`;
    const m = /** @type {NonNullable<Point["memPeak"]>} */ (p.memPeak);
    const prev = byKey.get(k) ?? { self: 0, children: 0, total: 0 };
    byKey.set(k, { self: Math.max(prev.self, m.selfPeak), children: Math.max(prev.children, m.childrenPeak), total: Math.max(prev.total, m.totalPeak) });
  }
  return table(
    ["endpoint, file", "service RSS peak MB", "children RSS peak MB", "tree RSS peak MB"],
    [...byKey.entries()].map(([k, v]) => [k, mb(v.self), mb(v.children), mb(v.total)]),
  );
}

/** @param {import("./big-file.mjs").BigRun[]} big */
export function bigTable(big) {
  return table(
    ["file (about 1 GB)", "endpoint", "outcome", "seconds", "service RSS peak MB (sampled)", "service VmHWM MB", "children RSS peak MB"],
    big.map((b) => [b.kind, b.endpoint, b.outcome.slice(0, 80), n1(b.seconds), mb(b.serviceRssPeak), mb(b.serviceHwm), mb(b.childrenRssPeak)]),
  );
}

/** @param {import("./spawn-count.mjs").SpawnCount[]} spawns */
export function spawnTable(spawns) {
  return table(
    ["file", "requests", "tools started per removal (PATH stand-ins)", "new Perl processes (tree sampling)"],
    spawns.map((s) => [
      s.fileId,
      String(s.requests),
      (Object.entries(s.perRequest).map(([k, v]) => `${k} × ${v.toFixed(2)}`).join(", ") || "none") + (s.failure == null ? "" : ` (a request failed: ${s.failure.slice(0, 80)})`),
      String(s.newPerlProcesses),
    ]),
  );
}

/** @param {import("./verdicts.mjs").Verdict[]} vs */
export function verdictTable(vs) {
  return table(["target", "verdict", "measured"], vs.map((v) => [v.target, `**${v.verdict}**`, v.detail]));
}
