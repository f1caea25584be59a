import { type ChildProcess, execFile, spawn } from "node:child_process";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { inject } from "vitest";
import { backendEnv, createDatabase, listObjects } from "./backends.js";
import { freePort } from "./free-port.js";

export { freePort };

/**
 * `EXIFAPI_TEST_BACKENDS=distributed` runs every service under test on PostgreSQL, S3 and Redis
 * (started once for the run by test/backends-setup.ts) instead of the embedded SQLite and folder.
 */
export const DISTRIBUTED = process.env["EXIFAPI_TEST_BACKENDS"] === "distributed";

export const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const BIN = path.join(ROOT, "bin", "exifapi");

export interface RunningServer {
  baseUrl: string;
  /** The key the service created and printed on its first start. */
  apiKey: string;
  dataDir: string;
  env: NodeJS.ProcessEnv;
  process: ChildProcess;
  /** Every stdout line so far (JSON log lines). */
  logs: string[];
  stderr: string[];
  /** Names of the cleaned files in storage (the folder, or the bucket prefix). */
  storedBlobs(): Promise<string[]>;
  /** Runs `bin/exifapi ARGS` against the same configuration. */
  cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }>;
  stop(): Promise<void>;
}

export function runCli(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(BIN, args, { env, cwd: ROOT, timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err == null ? 0 : typeof err.code === "number" ? err.code : 1;
      resolve({ code, stdout, stderr });
    });
  });
}

/**
 * In distributed mode a data dir stands for one installation: a server restarted on the same
 * `dataDir` finds the same database (and bucket prefix) again. A dataDir the caller passed is
 * the caller's, so its database stays until the run's PostgreSQL goes.
 */
const databases = new Map<string, Promise<{ url: string; drop(): Promise<void> }>>();
function databaseFor(dataDir: string, adminUrl: string): Promise<{ url: string; drop(): Promise<void> }> {
  let db = databases.get(dataDir);
  if (db == null) {
    db = createDatabase(adminUrl);
    databases.set(dataDir, db);
  }
  return db;
}

/**
 * Starts the real service (`bin/exifapi serve`) on a loopback port of its own, with its own
 * DATA_DIR, and waits until it listens. `stop()` sends SIGTERM and removes the data. In
 * distributed mode it also gets a database and a bucket prefix of its dataDir's, unless
 * `extraEnv` names a DATABASE_URL (a test sharing one between servers).
 */
export async function startServer(
  extraEnv: Record<string, string> = {},
  opts: {
    dataDir?: string;
    /** Options for node itself (V8 flags). */
    nodeArgs?: string[];
    /** Another copy of the built service (one a test altered, see built-copy.ts); this checkout by default. */
    root?: string;
  } = {},
): Promise<RunningServer> {
  const port = await freePort();
  const dataDir = opts.dataDir ?? (await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-test-")));
  const backends = DISTRIBUTED ? inject("backends") : null;
  const database = backends != null && extraEnv["DATABASE_URL"] == null ? await databaseFor(dataDir, backends.postgresAdminUrl) : null;
  const env: NodeJS.ProcessEnv = {
    PATH: process.env["PATH"],
    HOME: process.env["HOME"],
    PORT: String(port),
    HOST: "127.0.0.1",
    DATA_DIR: dataDir,
    PUBLIC_BASE_URL: `http://127.0.0.1:${port}`,
    EXIFTOOL_PROCS: "2",
    ...(backends != null && database != null ? backendEnv(backends, database.url, path.basename(dataDir)) : {}),
    ...extraEnv,
  };
  // Started as `make run` starts it (on jemalloc where the machine has it), with this node.
  const root = opts.root ?? ROOT;
  const launcher = path.join(root, "scripts", "run-service.sh");
  const child = spawn(launcher, opts.nodeArgs ?? [], { env: { NODE: process.execPath, ...env }, cwd: root, stdio: ["ignore", "pipe", "pipe"] });
  const logs: string[] = [];
  const stderr: string[] = [];
  let apiKey = "";
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${stderr.join("")}\n${logs.join("\n")}`)), 60_000);
    let buffered = "";
    child.stdout.on("data", (chunk: Buffer) => {
      buffered += chunk.toString("utf8");
      const lines = buffered.split("\n");
      buffered = lines.pop() ?? "";
      for (const line of lines) {
        logs.push(line);
        if (line.includes('"exifapi ready"')) {
          clearTimeout(timer);
          resolve();
        }
      }
    });
    child.stderr.on("data", (chunk: Buffer) => {
      const text = chunk.toString("utf8");
      stderr.push(text);
      const m = /exk_[A-Za-z0-9_-]+/.exec(text);
      if (m != null && apiKey === "") apiKey = m[0];
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${String(code)}:\n${stderr.join("")}\n${logs.join("\n")}`));
    });
  });
  await ready.catch(async (err: unknown) => {
    if (opts.dataDir == null) await database?.drop();
    throw err;
  });
  const storageUrl = env["STORAGE_URL"];
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    apiKey,
    dataDir,
    env,
    process: child,
    logs,
    stderr,
    async storedBlobs() {
      if (storageUrl?.startsWith("s3://") === true && env["S3_ENDPOINT"] != null) {
        const [bucket = "", ...prefix] = storageUrl.slice("s3://".length).split("/");
        return listObjects({ s3Endpoint: env["S3_ENDPOINT"], s3Bucket: bucket }, prefix.join("/"));
      }
      const names = await fs.readdir(path.join(dataDir, "files"));
      return names.filter((f) => !f.endsWith(".partial")).sort();
    },
    cli: (args) => runCli(args, env),
    async stop() {
      if (child.exitCode == null) {
        const exited = new Promise((r) => child.once("exit", r));
        child.kill("SIGTERM");
        await exited;
      }
      if (opts.dataDir == null) {
        await database?.drop();
        await fs.rm(dataDir, { recursive: true, force: true });
      }
    },
  };
}

/** POSTs a file as multipart/form-data (field `file`) with extra form fields. */
export async function postFile(
  url: string,
  file: { name: string; data: Buffer | Uint8Array; type?: string },
  init: { headers?: Record<string, string>; fields?: Record<string, string>; signal?: AbortSignal } = {},
): Promise<Response> {
  const form = new FormData();
  for (const [k, v] of Object.entries(init.fields ?? {})) form.append(k, v);
  form.append("file", new Blob([new Uint8Array(file.data)], { type: file.type ?? "application/octet-stream" }), file.name);
  return fetch(url, { method: "POST", body: form, headers: init.headers ?? {}, ...(init.signal != null ? { signal: init.signal } : {}) });
}

/** A finding as /api/v1/extract reports it. */
export interface ReportedFinding {
  kind: string;
  severity: string;
  title: string;
  /** The tags that carry it (`group:Name`). */
  tags?: string[];
  value?: string;
}

/** The findings /api/v1/extract reports for a file. */
export async function findingsViaApi(server: RunningServer, name: string, data: Buffer): Promise<ReportedFinding[]> {
  const res = await postFile(`${server.baseUrl}/api/v1/extract`, { name, data }, { headers: { "X-API-Key": server.apiKey } });
  if (res.status !== 200) throw new Error(`extract answered ${res.status}: ${await res.text()}`);
  return ((await res.json()) as { findings: ReportedFinding[] }).findings;
}
