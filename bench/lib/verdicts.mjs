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

  const api = best(r.points, "extract", "jpg-1mp", "exifapi");
  const raw = best(r.points, "extract", "jpg-1mp", "raw stay_open");
  const naive = best(r.points, "extract", "jpg-1mp", "spawn-per-request");
  if (api != null && raw != null) {
    const ratio = api.load.rps / raw.load.rps;
    add("extraction >= 80% of raw stay_open (1 MP JPEG, best concurrency)", ratio >= 0.8,
      `${f1(api.load.rps)} req/s at c=${api.load.concurrency} vs ${f1(raw.load.rps)} at c=${raw.load.concurrency}: ${(ratio * 100).toFixed(0)}%`);
  } else add("extraction >= 80% of raw stay_open", null, "not measured");
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

  if (r.big.length === 0) add("service RSS < 300 MB during a 1 GB upload", null, "not run (skipped by bench-quick and BENCH_SKIP_BIG=1)");
  else {
    const worst = r.big.reduce((a, b) => (b.serviceHwm > a.serviceHwm ? b : a));
    const failed = r.big.filter((b) => b.outcome !== "200");
    add("service RSS < 300 MB during a 1 GB upload", worst.serviceHwm < 300 * 2 ** 20 && failed.length === 0,
      `worst: ${worst.kind} ${worst.endpoint} ${(worst.serviceHwm / 2 ** 20).toFixed(0)} MB` +
        (failed.length > 0 ? `; not completed: ${failed.map((b) => `${b.kind} ${b.endpoint} (${b.outcome})`).join("; ")}` : ""));
  }

  if (r.soak == null) add("no RSS growth over a long run", null, "not run");
  else {
    const growth = r.soak.lastRss - r.soak.firstRss;
    add(`no RSS growth over a ${f1(r.soak.minutes)}-minute run`, growth < 30 * 2 ** 20,
      `service RSS under a steady 1 MP JPEG extract/remove load at c=8 (${r.soak.requests} requests, ${r.soak.errors} errors): ${(r.soak.firstRss / 2 ** 20).toFixed(0)} MB after the first minute, ${(r.soak.lastRss / 2 ** 20).toFixed(0)} MB at the end`);
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
