// @ts-check
import fsp from "node:fs/promises";
import path from "node:path";
import { uploader } from "./http-clients.mjs";
import { descendants, readStat } from "./proc-stats.mjs";
import { startService } from "./service.mjs";
import { run } from "./tools.mjs";

/** @typedef {import("./corpus.mjs").CorpusFile} CorpusFile */

/** Tools a cleaner may start by name; each gets a logging stand-in first on the service's PATH. */
const TOOLS = ["qpdf", "perl", "exiftool", "jpegtran", "ffmpeg", "ffprobe", "convert", "heif-enc", "pdftotext", "djpeg"];

/**
 * @typedef {object} SpawnCount
 * @property {string} fileId
 * @property {number} requests
 * @property {Record<string, number>} perRequest   tool -> runs per request (from the PATH stand-ins)
 * @property {number} newPerlProcesses             Perl processes seen appearing in the tree (sampled every 5 ms)
 * @property {string | null} failure                the first failed request's answer, if any
 */

/**
 * Counts the processes the service starts per removal. Each tool on PATH is shadowed by a
 * script that logs its name and execs the real one, which is exact for tools started by name;
 * Perl processes are also watched by sampling the service's process tree, which catches a
 * Perl started by absolute path. The pool's own Perl processes, started before, are not counted.
 * @param {{ files: CorpusFile[], requests: number, procs: number, tmpDir: string }} o
 * @returns {Promise<SpawnCount[]>}
 */
export async function countSpawns(o) {
  const shimDir = path.join(o.tmpDir, "shims");
  const logFile = path.join(o.tmpDir, "shims.log");
  await fsp.mkdir(shimDir, { recursive: true });
  for (const tool of TOOLS) {
    const real = (await run("sh", ["-c", `command -v ${tool} || true`])).stdout.toString().trim();
    if (real === "") continue;
    await fsp.writeFile(path.join(shimDir, tool), `#!/bin/sh\necho ${tool} >> '${logFile}'\nexec '${real}' "$@"\n`, { mode: 0o755 });
  }
  const service = await startService({ dataDir: path.join(o.tmpDir, "data-spawns"), procs: o.procs, pathPrefix: shimDir });
  /** @type {SpawnCount[]} */
  const out = [];
  try {
    for (const file of o.files) {
      const api = uploader(service.baseUrl, 1, await fsp.readFile(file.path), file);
      const headers = { "x-api-key": service.apiKey };
      await api.post("/api/v1/remove", headers).catch(() => undefined); // warm-up, not counted
      await fsp.writeFile(logFile, "");
      const known = new Set(descendants(service.pid));
      const seenPerl = new Set();
      const watch = setInterval(() => {
        for (const pid of descendants(service.pid)) {
          if (known.has(pid)) continue;
          const comm = readStat(pid)?.comm ?? "";
          if (comm === "perl" || comm === "exiftool") seenPerl.add(pid);
        }
      }, 5);
      /** @type {string | null} */
      let failure = null;
      for (let i = 0; i < o.requests; i++) {
        await api.post("/api/v1/remove", headers).catch((err) => {
          failure ??= err instanceof Error ? err.message : String(err);
        });
      }
      clearInterval(watch);
      await api.close();
      const lines = (await fsp.readFile(logFile, "utf8")).split("\n").filter((l) => l !== "");
      /** @type {Record<string, number>} */
      const perRequest = {};
      for (const l of lines) perRequest[l] = (perRequest[l] ?? 0) + 1 / o.requests;
      out.push({ fileId: file.id, requests: o.requests, perRequest, newPerlProcesses: seenPerl.size, failure });
    }
  } finally {
    await service.stop();
  }
  return out;
}
