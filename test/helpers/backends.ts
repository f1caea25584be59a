import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import fsp from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import pg from "pg";
import { freePort } from "./free-port.js";

/**
 * PostgreSQL and Redis from Debian's packages and s3rver from npm, each started on a loopback
 * port of its own with its data in a temp folder, so the API can be tested on the distributed
 * backends with no server set up by hand. Everything stops (and its data goes) with `stop()`.
 */
export interface BackendUrls {
  /** A superuser's URL to the `postgres` database; each service gets a database of its own. */
  postgresAdminUrl: string;
  redisUrl: string;
  s3Endpoint: string;
  s3Bucket: string;
}

declare module "vitest" {
  export interface ProvidedContext {
    /** Set by test/backends-setup.ts when EXIFAPI_TEST_BACKENDS=distributed. */
    backends: BackendUrls;
  }
}

export interface Started<T> {
  urls: T;
  stop(): Promise<void>;
}

/** s3rver's fixed credentials: it checks signatures made with them. */
export const S3_ACCESS_KEY = "S3RVER";
export const S3_SECRET_KEY = "S3RVER";

async function waitFor(what: string, child: ChildProcess, probe: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode != null) throw new Error(`${what} exited with ${child.exitCode}`);
    if (await probe().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} did not answer within ${timeoutMs} ms`);
}

function spawnServer(what: string, cmd: string, args: string[], opts: { uid?: number; gid?: number; cwd: string }): { child: ChildProcess; output: string[] } {
  const output: string[] = [];
  const child = spawn(cmd, args, { ...opts, env: { PATH: process.env["PATH"], LANG: "C.UTF-8" }, stdio: ["ignore", "pipe", "pipe"] });
  child.stdout?.on("data", (c: Buffer) => output.push(c.toString("utf8")));
  child.stderr?.on("data", (c: Buffer) => output.push(c.toString("utf8")));
  child.on("error", (err) => output.push(`${what}: ${err.message}`));
  return { child, output };
}

async function stopChild(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode != null || child.signalCode != null) return;
  const exited = new Promise((r) => child.once("exit", r));
  child.kill(signal);
  await exited;
}

/** The newest Debian PostgreSQL server installed, e.g. /usr/lib/postgresql/15/bin. */
function postgresBinDir(): string {
  const base = "/usr/lib/postgresql";
  const versions = fs.existsSync(base) ? fs.readdirSync(base).filter((v) => fs.existsSync(path.join(base, v, "bin", "postgres"))) : [];
  const newest = versions.sort((a, b) => Number(b) - Number(a))[0];
  if (newest == null) throw new Error("PostgreSQL is not installed: run `make test-deps` (Debian package postgresql)");
  return path.join(base, newest, "bin");
}

/**
 * PostgreSQL refuses to run as root, so as root the cluster belongs to Debian's `postgres` user
 * (created by the postgresql package) and the server runs as that user; anyone else runs it as
 * themselves. Durability is switched off: the data is thrown away afterwards.
 */
export async function startPostgres(): Promise<Started<{ adminUrl: string }>> {
  const bin = postgresBinDir();
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), "exifapi-pg-"));
  const owner = process.getuid?.() === 0 ? { uid: Number(execFileSync("id", ["-u", "postgres"])), gid: Number(execFileSync("id", ["-g", "postgres"])) } : {};
  if (owner.uid != null && owner.gid != null) await fsp.chown(dir, owner.uid, owner.gid);
  const data = path.join(dir, "data");
  execFileSync(path.join(bin, "initdb"), ["-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync", "--no-instructions"], {
    ...owner,
    cwd: dir,
    env: { PATH: process.env["PATH"], LANG: "C.UTF-8" },
    stdio: "pipe",
  });
  const port = await freePort();
  const settings = ["listen_addresses=127.0.0.1", "fsync=off", "synchronous_commit=off", "full_page_writes=off", "max_connections=300", "shared_buffers=32MB"];
  const { child, output } = spawnServer("postgres", path.join(bin, "postgres"), ["-D", data, "-p", String(port), "-k", dir, ...settings.flatMap((s) => ["-c", s])], { ...owner, cwd: dir });
  const adminUrl = `postgres://postgres@127.0.0.1:${port}/postgres`;
  const stop = async (): Promise<void> => {
    // SIGINT is PostgreSQL's fast shutdown: it does not wait for clients to disconnect.
    await stopChild(child, "SIGINT");
    await fsp.rm(dir, { recursive: true, force: true });
  };
  try {
    await waitFor("postgres", child, async () => {
      const c = new pg.Client({ connectionString: adminUrl });
      await c.connect();
      await c.end();
      return true;
    });
  } catch (err) {
    await stop();
    throw new Error(`${(err as Error).message}\n${output.join("")}`);
  }
  return { urls: { adminUrl }, stop };
}

/** A fresh database on the server, so each service under test starts on an empty schema. */
export async function createDatabase(adminUrl: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `exifapi_${crypto.randomBytes(6).toString("hex")}`;
  const admin = async (statement: string): Promise<void> => {
    const c = new pg.Client({ connectionString: adminUrl });
    await c.connect();
    try {
      await c.query(statement);
    } finally {
      await c.end();
    }
  };
  await admin(`CREATE DATABASE ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}

/** Redis without persistence. Pass `port` to bring one back where an earlier one stood. */
export async function startRedis(port?: number): Promise<Started<{ url: string; port: number }>> {
  const p = port ?? (await freePort());
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), "exifapi-redis-"));
  const { child, output } = spawnServer("redis-server", "redis-server", ["--port", String(p), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir], { cwd: dir });
  const stop = async (): Promise<void> => {
    await stopChild(child, "SIGTERM");
    await fsp.rm(dir, { recursive: true, force: true });
  };
  try {
    await waitFor("redis-server", child, () => redisAnswers(p));
  } catch (err) {
    await stop();
    throw new Error(`${(err as Error).message}\n${output.join("")}`);
  }
  return { urls: { url: `redis://127.0.0.1:${p}`, port: p }, stop };
}

function redisAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1", () => socket.write("PING\r\n"));
    socket.setTimeout(1_000, () => socket.destroy());
    socket.once("data", (d) => {
      resolve(d.toString().startsWith("+PONG"));
      socket.destroy();
    });
    socket.once("error", () => resolve(false));
    socket.once("close", () => resolve(false));
  });
}

/** s3rver (an S3 protocol server on the file system) with one bucket, path-style only. */
export async function startS3(): Promise<Started<{ endpoint: string; bucket: string }>> {
  const port = await freePort();
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), "exifapi-s3-"));
  const bucket = "exifapi-test";
  const bin = fileURLToPath(new URL("../../node_modules/s3rver/bin/s3rver.js", import.meta.url));
  const args = [bin, "-d", dir, "-a", "127.0.0.1", "-p", String(port), "--silent", "--no-vhost-buckets", "--configure-bucket", bucket];
  const { child, output } = spawnServer("s3rver", process.execPath, args, { cwd: dir });
  const endpoint = `http://127.0.0.1:${port}`;
  const stop = async (): Promise<void> => {
    await stopChild(child, "SIGTERM");
    await fsp.rm(dir, { recursive: true, force: true });
  };
  try {
    await waitFor("s3rver", child, async () => (await fetch(`${endpoint}/${bucket}`, { method: "HEAD" })).status < 500);
  } catch (err) {
    await stop();
    throw new Error(`${(err as Error).message}\n${output.join("")}`);
  }
  return { urls: { endpoint, bucket }, stop };
}

/** All three at once; stops whatever did start when one fails. */
export async function startBackends(): Promise<Started<BackendUrls>> {
  const started = await Promise.allSettled([startPostgres(), startRedis(), startS3()]);
  const stopAll = async (): Promise<void> => {
    await Promise.all(started.map((s) => (s.status === "fulfilled" ? s.value.stop() : undefined)));
  };
  const [postgres, redis, s3] = started;
  if (postgres?.status !== "fulfilled" || redis?.status !== "fulfilled" || s3?.status !== "fulfilled") {
    await stopAll();
    const reasons = started.flatMap((s) => (s.status === "rejected" ? [String(s.reason)] : []));
    throw new Error(`could not start the test backends:\n${reasons.join("\n")}`);
  }
  return {
    urls: { postgresAdminUrl: postgres.value.urls.adminUrl, redisUrl: redis.value.urls.url, s3Endpoint: s3.value.urls.endpoint, s3Bucket: s3.value.urls.bucket },
    stop: stopAll,
  };
}

/** The environment that points a service at the backends (S3 objects under `prefix`). */
export function backendEnv(urls: BackendUrls, databaseUrl: string, prefix: string): Record<string, string> {
  return {
    DATABASE_URL: databaseUrl,
    STORAGE_URL: `s3://${urls.s3Bucket}/${prefix}`,
    S3_ENDPOINT: urls.s3Endpoint,
    S3_FORCE_PATH_STYLE: "true",
    S3_REGION: "us-east-1",
    AWS_ACCESS_KEY_ID: S3_ACCESS_KEY,
    AWS_SECRET_ACCESS_KEY: S3_SECRET_KEY,
    REDIS_URL: urls.redisUrl,
  };
}

/** Keys of the objects under `prefix` in the test bucket, without the prefix. */
export async function listObjects(urls: Pick<BackendUrls, "s3Endpoint" | "s3Bucket">, prefix: string): Promise<string[]> {
  const client = new S3Client({
    endpoint: urls.s3Endpoint,
    region: "us-east-1",
    forcePathStyle: true,
    credentials: { accessKeyId: S3_ACCESS_KEY, secretAccessKey: S3_SECRET_KEY },
  });
  try {
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const page = await client.send(new ListObjectsV2Command({ Bucket: urls.s3Bucket, Prefix: `${prefix}/`, ContinuationToken: token }));
      for (const o of page.Contents ?? []) if (o.Key != null) keys.push(o.Key.slice(prefix.length + 1));
      token = page.NextContinuationToken;
    } while (token != null);
    return keys.sort();
  } finally {
    client.destroy();
  }
}
