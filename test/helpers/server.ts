import { type ChildProcess, execFile, spawn } from "node:child_process";
import fs from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

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
  /** Runs `bin/exifapi ARGS` against the same configuration. */
  cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }>;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      srv.close(() => (addr != null && typeof addr === "object" ? resolve(addr.port) : reject(new Error("no port"))));
    });
  });
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
 * Starts the real service (`bin/exifapi serve`) on a loopback port of its own, with its own
 * DATA_DIR, and waits until it listens. `stop()` sends SIGTERM and removes the data.
 */
export async function startServer(extraEnv: Record<string, string> = {}, opts: { dataDir?: string } = {}): Promise<RunningServer> {
  const port = await freePort();
  const dataDir = opts.dataDir ?? (await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-test-")));
  const env: NodeJS.ProcessEnv = {
    PATH: process.env["PATH"],
    HOME: process.env["HOME"],
    PORT: String(port),
    HOST: "127.0.0.1",
    DATA_DIR: dataDir,
    PUBLIC_BASE_URL: `http://127.0.0.1:${port}`,
    EXIFTOOL_PROCS: "2",
    ...extraEnv,
  };
  const child = spawn(process.execPath, [BIN, "serve"], { env, cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
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
  await ready;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    apiKey,
    dataDir,
    env,
    process: child,
    logs,
    stderr,
    cli: (args) => runCli(args, env),
    async stop() {
      if (child.exitCode == null) {
        const exited = new Promise((r) => child.once("exit", r));
        child.kill("SIGTERM");
        await exited;
      }
      if (opts.dataDir == null) await fs.rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** POSTs a file as multipart/form-data (field `file`) with extra form fields. */
export async function postFile(
  url: string,
  file: { name: string; data: Buffer | Uint8Array; type?: string },
  init: { headers?: Record<string, string>; fields?: Record<string, string> } = {},
): Promise<Response> {
  const form = new FormData();
  for (const [k, v] of Object.entries(init.fields ?? {})) form.append(k, v);
  form.append("file", new Blob([file.data], { type: file.type ?? "application/octet-stream" }), file.name);
  return fetch(url, { method: "POST", body: form, headers: init.headers ?? {} });
}
