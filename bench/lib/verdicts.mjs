// @ts-check

/** @typedef {import("./measure.mjs").Point} Point */
/** @typedef {{ target: string, verdict: "PASS" | "FAIL" | "SKIP", detail: string }} Verdict */

/**
 * @param {Point[]} points @param {string} endpoint @param {string} fileId @param {string} impl
 * @returns {Point | null} the point with the highest throughput
 */
export function best(points, endpoint, fileId, impl) {
  const mine = points.filter((p) => p.endpoint === endpoint && p.fileId === fileId && p.impl === impl && p.load.ok > 0);
  return mine.reduce((/** @type {Point | null} */ b, p) => (b == null || p.load.rps > b.load.rps ? p : b), null);
}

/** @param {Point[]} points @param {string} endpoint @param {string} fileId @param {string} impl @param {number} c */
export function at(points, endpoint, fileId, impl, c) {
  return points.find((p) => p.endpoint === endpoint && p.fileId === fileId && p.impl === impl && p.load.concurrency === c && p.load.ok > 0) ?? null;
}

/** CPU (Node + children) per MB of input at concurrency 1. @param {Point | null} p */
export function cpuPerMb(p) {
  if (p?.cpuPerRequest == null) return null;
  return (p.cpuPerRequest.nodeMs + p.cpuPerRequest.childrenMs) / (p.fileBytes / 2 ** 20);
}

const f1 = (/** @type {number} */ n) => n.toFixed(1);
const f2 = (/** @type {number} */ n) => n.toFixed(2);

/**
 * The issue's targets, each PASS, FAIL or SKIP with the numbers it was decided on.
 * @param {{
 *   points: Point[],
 *   spawns: import("./spawn-count.mjs").SpawnCount[],
 *   big: import("./big-file.mjs").BigRun[],
 *   concurrentPng?: import("./big-file.mjs").ConcurrentRun | null,
 *   soak: import("./soak.mjs").Soak | null,
 *   mat2: boolean,
 * }} r
 * @returns {Verdict[]}
 */
export function verdicts(r) {
  /** @type {Verdict[]} */
  const out = [];
  const add = (/** @type {string} */ target, /** @type {boolean | null} */ ok, /** @type {string} */ detail) =>
    out.push({ target, verdict: ok == null ? "SKIP" : ok ? "PASS" : "FAIL", detail });

  extractionVsFloor(r.points, add);
  const api = best(r.points, "extract", "jpg-1mp", "exifapi");
  const naive = best(r.points, "extract", "jpg-1mp", "spawn-per-request");
  if (api != null && naive != null) {
    const ratio = api.load.rps / naive.load.rps;
    add("extraction >= 10x spawn-per-request (1 MP JPEG)", ratio >= 10, `${f1(api.load.rps)} vs ${f1(naive.load.rps)} req/s: ${f1(ratio)}x`);
  } else add("extraction >= 10x spawn-per-request", null, "not measured");

  const rem = best(r.points, "remove", "jpg-1mp", "exifapi");
  const mat2 = best(r.points, "remove", "jpg-1mp", "mat2");
  if (!r.mat2) add("removal of 1 MP JPEGs >= 20x mat2", null, "mat2 is not installed (apt-get install mat2)");
  else if (rem != null && mat2 != null) {
    const ratio = rem.load.rps / mat2.load.rps;
    add("removal of 1 MP JPEGs >= 20x mat2 per file", ratio >= 20, `${f1(rem.load.rps)} vs ${f1(mat2.load.rps)} files/s: ${f1(ratio)}x`);
  } else add("removal of 1 MP JPEGs >= 20x mat2", null, "not measured");

  removalVsTools(r.points, r.mat2, add);

  const png = cpuPerMb(at(r.points, "remove", "png", "exifapi", 1));
  const pngRef = cpuPerMb(at(r.points, "remove", "png", "exiftool -all=", 1));
  add("PNG removal <= 10 ms CPU per MB", png == null ? null : png <= 10,
    png == null ? "not measured" : `${f1(png)} ms/MB (Node + children, whole request at c=1)${pngRef == null ? "" : `; exiftool -all= ${f1(pngRef)} ms/MB`}`);

  const pdf = r.spawns.find((s) => s.fileId === "pdf");
  if (pdf == null) add("PDF removal = one pool task + one qpdf run, no Perl spawned", null, "not measured");
  else {
    const qpdf = pdf.perRequest["qpdf"] ?? 0;
    const perl = (pdf.perRequest["perl"] ?? 0) + (pdf.perRequest["exiftool"] ?? 0);
    const tools = Object.entries(pdf.perRequest).map(([k, v]) => `${k} ${f2(v)}`).join(", ") || "none";
    add("PDF removal = one qpdf run, no Perl spawned per request", qpdf === 1 && perl === 0 && pdf.newPerlProcesses === 0,
      `per request: ${tools}; new Perl processes seen: ${pdf.newPerlProcesses}`);
  }

  const a1 = at(r.points, "extract", "jpg-1mp", "exifapi", 1);
  const r1 = at(r.points, "extract", "jpg-1mp", "raw stay_open", 1);
  if (a1 != null && r1 != null) {
    const d = a1.load.p50 - r1.load.p50;
    add("p50 at c=1 within 5 ms of raw (1 MP JPEG)", d <= 5, `${f1(a1.load.p50)} ms vs ${f1(r1.load.p50)} ms: +${f1(d)} ms`);
  } else add("p50 at c=1 within 5 ms of raw", null, "not measured");

  if (r.big.length === 0) add("service RSS < 300 MB while a 1 GB file of each streaming type is removed", null, "not run (skipped by bench-quick and BENCH_SKIP_BIG=1)");
  else {
    const removals = r.big.filter((b) => b.endpoint === "remove");
    const worst = (removals.length > 0 ? removals : r.big).reduce((a, b) => (b.serviceHwm > a.serviceHwm ? b : a));
    const failed = r.big.filter((b) => b.outcome !== "200");
    add("service RSS < 300 MB while a 1 GB file of each streaming type is removed", worst.serviceHwm < 300 * 2 ** 20 && failed.length === 0,
      `${removals.map((b) => `${b.kind} ${(b.serviceHwm / 2 ** 20).toFixed(0)} MB`).join(", ")}` +
        (failed.length > 0 ? `; not completed: ${failed.map((b) => `${b.kind} ${b.endpoint} (${b.outcome})`).join("; ")}` : ""));
  }
  if (r.concurrentPng == null) add("16 concurrent removals of a 100 MB PNG: service + children < 1.5 GB", null, "not run (skipped by bench-quick and BENCH_SKIP_BIG=1)");
  else {
    const c = r.concurrentPng;
    add("16 concurrent removals of a 100 MB PNG: service + children < 1.5 GB", c.ok === c.requests && c.treePeak < 1.5 * 2 ** 30,
      `${c.ok}/${c.requests} completed${c.firstError == null ? "" : ` (${c.firstError})`}; tree RSS peak ${(c.treePeak / 2 ** 20).toFixed(0)} MB (service ${(c.servicePeak / 2 ** 20).toFixed(0)} MB)`);
  }

  if (r.soak == null) add("no RSS growth over a long run", null, "not run");
  else {
    const mb = (/** @type {number} */ b) => (b / 2 ** 20).toFixed(0);
    // The first minute is warm-up (JIT, worker threads, pools, SQLite's cache).
    const [, second, ...later] = r.soak.perMinute;
    const last = later.at(-1);
    const growth = second == null || last == null ? null : last.min - second.min;
    add(`no RSS growth over a ${f1(r.soak.minutes)}-minute run (each minute's lowest RSS, second minute to last)`, growth == null ? null : growth < 30 * 2 ** 20,
      `service RSS under a steady 1 MP JPEG extract/remove load at c=8 (${r.soak.requests} requests, ${r.soak.errors} errors): lowest ${second == null || last == null ? "(not enough minutes)" : `${mb(second.min)} MB in the second minute, ${mb(last.min)} MB in the last`}; single samples ${mb(r.soak.firstRss)} MB after the first minute, ${mb(r.soak.lastRss)} MB at the end`);
  }

  for (const [endpoint, small, large] of /** @type {[string, string, string][]} */ ([["extract", "jpg-1mp", "jpg-48mp"], ["remove", "jpg-1mp", "jpg-48mp"], ["extract", "mp4-10mb", "mp4-100mb"], ["remove", "mp4-10mb", "mp4-100mb"]])) {
    const s = cpuPerMb(at(r.points, endpoint, small, "exifapi", 1));
    const l = cpuPerMb(at(r.points, endpoint, large, "exifapi", 1));
    const name = `linear cost per byte: ${endpoint} ${large} vs ${small}`;
    if (s == null || l == null) add(name, null, "not measured");
    // 10% slack: CPU ticks are 10 ms and the machine is shared.
    else add(name, l <= s * 1.1, `${f2(l)} vs ${f2(s)} ms CPU per MB`);
  }
  return out;
}

const MB10 = 10 * 2 ** 20;

/**
 * Issue 12: extraction at least 80% of min(raw stay_open, upload floor) at its best concurrency,
 * for every file extracted: neither ExifTool alone nor the bytes' trip over HTTP can be beaten.
 * @param {Point[]} points @param {(target: string, ok: boolean | null, detail: string) => void} add
 */
function extractionVsFloor(points, add) {
  const files = [...new Set(points.filter((p) => p.endpoint === "extract").map((p) => p.fileId))];
  if (files.length === 0) add("extraction >= 80% of min(raw stay_open, upload floor), best concurrency", null, "not measured");
  for (const f of files) {
    const api = best(points, "extract", f, "exifapi");
    const raw = best(points, "extract", f, "raw stay_open");
    const floor = best(points, "extract", f, "upload floor");
    const name = `extraction >= 80% of min(raw stay_open, upload floor): ${f}`;
    if (api == null || raw == null || floor == null) {
      add(name, null, "not measured");
      continue;
    }
    const ref = Math.min(raw.load.rps, floor.load.rps);
    add(name, api.load.rps >= 0.8 * ref,
      `${f1(api.load.rps)} req/s at c=${api.load.concurrency}; raw ${f1(raw.load.rps)} (c=${raw.load.concurrency}), floor ${f1(floor.load.rps)} (c=${floor.load.concurrency}): ${((api.load.rps / ref) * 100).toFixed(0)}%`);
  }
}

/**
 * Issue 12: removal at least as fast as `exiftool -all=` spawned per file at c=1 and c=4 (3x for
 * files under 10 MB), at least 10x mat2 wherever it runs, and at least 50% of the upload floor
 * for files of 10 MB and more.
 * @param {Point[]} points @param {boolean} mat2 @param {(target: string, ok: boolean | null, detail: string) => void} add
 */
function removalVsTools(points, mat2, add) {
  const files = [...new Set(points.filter((p) => p.endpoint === "remove").map((p) => p.fileId))];
  for (const f of files) {
    const bytes = points.find((p) => p.fileId === f)?.fileBytes ?? 0;
    const factor = bytes < MB10 ? 3 : 1;
    const ratios = [1, 4].map((c) => {
      const a = at(points, "remove", f, "exifapi", c);
      const e = at(points, "remove", f, "exiftool -all=", c);
      const fl = at(points, "remove", f, "upload floor", c);
      return { c, ratio: a == null || e == null ? null : a.load.rps / e.load.rps, ceiling: fl == null || e == null ? null : fl.load.rps / e.load.rps };
    });
    const measured = ratios.filter((x) => x.ratio != null);
    const name = `removal >= ${factor === 1 ? "" : `${factor}x `}exiftool -all= at c=1 and c=4: ${f}`;
    // The upload floor moves the same bytes over HTTP and does nothing else: its own ratio is the
    // most any HTTP service could reach here, which says whether a miss is ours or the target's.
    const ceilings = ratios.filter((x) => x.ceiling != null);
    const ceilingNote = ceilings.length === 0 ? "" : `; the upload floor alone: ${ceilings.map((x) => `c=${x.c} ${f2(/** @type {number} */ (x.ceiling))}x`).join(", ")}`;
    if (measured.length === 0) add(name, null, "not measured (ExifTool cannot write this type, or no point at c=1/c=4)");
    else add(name, measured.length === 2 && measured.every((x) => /** @type {number} */ (x.ratio) >= factor), measured.map((x) => `c=${x.c} ${f2(/** @type {number} */ (x.ratio))}x`).join(", ") + (measured.length < 2 ? " (one concurrency only)" : "") + ceilingNote);

    if (mat2) {
      const m = [1, 4].map((c) => {
        const a = at(points, "remove", f, "exifapi", c);
        const t = at(points, "remove", f, "mat2", c);
        return { c, ratio: a == null || t == null ? null : a.load.rps / t.load.rps };
      }).filter((x) => x.ratio != null);
      if (m.length > 0) add(`removal >= 10x mat2: ${f}`, m.every((x) => /** @type {number} */ (x.ratio) >= 10), m.map((x) => `c=${x.c} ${f1(/** @type {number} */ (x.ratio))}x`).join(", "));
    }

    if (bytes >= MB10) {
      const a = best(points, "remove", f, "exifapi");
      const fl = best(points, "remove", f, "upload floor");
      const floorName = `removal >= 50% of the upload floor (best concurrency): ${f}`;
      if (a == null || fl == null) add(floorName, null, "not measured");
      else add(floorName, a.load.rps >= 0.5 * fl.load.rps, `${f2(a.load.rps)} files/s at c=${a.load.concurrency} vs floor ${f2(fl.load.rps)} at c=${fl.load.concurrency}: ${((a.load.rps / fl.load.rps) * 100).toFixed(0)}%`);
    }
  }
  if (!files.some((f) => (points.find((p) => p.fileId === f)?.fileBytes ?? 0) >= MB10)) {
    add("removal >= 50% of the upload floor for files of 10 MB and more", null, "no such file in this run");
  }
}
