// @ts-check
import { spawn } from "node:child_process";
import fs from "node:fs";
import fsp from "node:fs/promises";
import net from "node:net";
import path from "node:path";
import { ROOT } from "./tools.mjs";

/**
 * @typedef {object} Service
 * @property {string} baseUrl
 * @property {string} apiKey
 * @property {number} pid
 * @property {string} logFile  the service's standard output (its JSON log; V8's traces when asked)
 * @property {() => Promise<void>} stop
 */

/** @returns {Promise<number>} */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      srv.close(() => (addr != null && typeof addr === "object" ? resolve(addr.port) : reject(new Error("no port"))));
    });
  });
}

/**
 * Starts exifapi the way `make run` does (scripts/run-service.sh: `node bin/exifapi serve` on the
 * built dist/, on jemalloc where the machine has it), with a
 * fresh DATA_DIR of its own, and waits for the key it prints on its first start and /healthz.
 * Its JSON logs go to a file rather than through a pipe we would have to drain (and pay for).
 * `nodeArgs` (e.g. `--cpu-prof`, which NODE_OPTIONS refuses) go before the script.
 * @param {{ dataDir: string, procs: number, env?: Record<string, string>, pathPrefix?: string, nodeArgs?: string[] }} opts
 * @returns {Promise<Service>}
 */
export async function startService(opts) {
  await fsp.rm(opts.dataDir, { recursive: true, force: true });
  await fsp.mkdir(opts.dataDir, { recursive: true });
  const port = await freePort();
  const logFile = path.join(opts.dataDir, "..", `${path.basename(opts.dataDir)}.log`);
  const out = fs.openSync(logFile, "w");
  const basePath = process.env["PATH"] ?? "/usr/bin:/bin";
  const child = spawn(path.join(ROOT, "scripts", "run-service.sh"), opts.nodeArgs ?? [], {
    cwd: ROOT,
    stdio: ["ignore", out, "pipe"],
    env: {
      PATH: opts.pathPrefix == null ? basePath : `${opts.pathPrefix}:${basePath}`,
      HOME: process.env["HOME"],
      NODE: process.execPath,
      PORT: String(port),
      HOST: "127.0.0.1",
      DATA_DIR: opts.dataDir,
      PUBLIC_BASE_URL: `http://127.0.0.1:${port}`,
      RATE_LIMIT_PER_MINUTE: "100000000",
      EXIFTOOL_PROCS: String(opts.procs),
      ...opts.env,
    },
  });
  fs.closeSync(out);
  let stderr = "";
  let apiKey = "";
  child.stderr?.on("data", (/** @type {Buffer} */ chunk) => {
    stderr += chunk.toString("utf8");
    const m = /exk_[A-Za-z0-9_-]+/.exec(stderr);
    if (m != null && apiKey === "") apiKey = m[0];
  });
  const baseUrl = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode != null) throw new Error(`exifapi exited with ${child.exitCode}: ${stderr}`);
    if (Date.now() > deadline) throw new Error(`exifapi did not start: ${stderr}`);
    const up = await fetch(`${baseUrl}/readyz`).then((r) => r.ok, () => false);
    if (up && apiKey !== "") break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const pid = child.pid;
  if (pid == null) throw new Error("exifapi has no pid");
  return {
    baseUrl,
    apiKey,
    pid,
    logFile,
    async stop() {
      if (child.exitCode == null) {
        const exited = new Promise((r) => child.once("exit", r));
        child.kill("SIGTERM");
        await exited;
      }
      await fsp.rm(opts.dataDir, { recursive: true, force: true });
    },
  };
}
