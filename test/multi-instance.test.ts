import crypto from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { type BackendUrls, type Started, backendEnv, createDatabase, listObjects, startBackends, startRedis } from "./helpers/backends.js";
import { makePng } from "./helpers/make-files.js";
import { DISTRIBUTED, type RunningServer, postFile, startServer } from "./helpers/server.js";

type Json = Record<string, unknown>;

// Several instances on one PostgreSQL, one bucket and one Redis, as behind a load balancer.
// The backends are the run's own in distributed mode, else this file starts its own.
let backends: BackendUrls;
let ownBackends: Started<BackendUrls> | null = null;
let database: { url: string; drop(): Promise<void> };
let shared: Record<string, string>;
let prefix: string;
let png: Buffer;
const servers: RunningServer[] = [];

async function start(env: Record<string, string> = {}): Promise<RunningServer> {
  const server = await startServer({ ...shared, EXIFTOOL_PROCS: "1", ...env });
  servers.push(server);
  return server;
}

async function newKey(server: RunningServer, name: string): Promise<string> {
  const out = await server.cli(["keys", "create", "--name", name]);
  expect(out.code, out.stderr).toBe(0);
  return out.stdout.trim().split("\n").at(-1) ?? "";
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

beforeAll(async () => {
  if (DISTRIBUTED) backends = inject("backends");
  else {
    ownBackends = await startBackends();
    backends = ownBackends.urls;
  }
  database = await createDatabase(backends.postgresAdminUrl);
  prefix = `multi-${crypto.randomBytes(4).toString("hex")}`;
  shared = backendEnv(backends, database.url, prefix);
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-multi-"));
  png = await fs.readFile(await makePng(dir));
  await fs.rm(dir, { recursive: true, force: true });
});

afterAll(async () => {
  await Promise.all(servers.map((s) => s.stop()));
  await database?.drop();
  await ownBackends?.stop();
});

describe("two instances on PostgreSQL, S3 and Redis", () => {
  let a: RunningServer;
  let b: RunningServer;
  let key: string;

  it("start together on an empty database, migrate it once, and are both ready", async () => {
    // Every instance sweeps each second, so the sweepers also race each other below.
    [a, b] = await Promise.all([start({ RATE_LIMIT_PER_MINUTE: "5", SWEEP_INTERVAL_SECONDS: "1" }), start({ RATE_LIMIT_PER_MINUTE: "5", SWEEP_INTERVAL_SECONDS: "1" })]);
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      // Without the migrator's lock the second instance would fail creating tables that exist,
      // and never become ready.
      const rows = (await client.query<{ name: string; n: string }>("select name, count(*) as n from kysely_migration group by name order by name")).rows;
      expect(rows.length).toBeGreaterThan(0);
      expect(rows.every((r) => r.n === "1"), JSON.stringify(rows)).toBe(true);
      expect(rows[0]?.name).toBe("0001_initial");
      const lock = (await client.query<{ is_locked: number }>("select is_locked from kysely_migration_lock")).rows;
      expect(lock).toEqual([{ is_locked: 0 }]);
    } finally {
      await client.end();
    }
    for (const s of [a, b]) {
      const res = await fetch(`${s.baseUrl}/readyz`);
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({
        status: "ready",
        checks: { database: "ok", storage: "ok", exiftool: "ok", redis: "ok" },
        database: "postgres",
        storage: "s3",
        rateLimits: "redis",
      });
    }
    key = await newKey(a, "multi");
    const migrate = await b.cli(["migrate"]);
    expect(migrate.code, migrate.stderr).toBe(0);
    expect(migrate.stdout).toContain("Database is up to date.");
    const listed = JSON.parse((await b.cli(["keys", "list", "--json"])).stdout) as Json[];
    expect(listed.map((k) => k["name"])).toContain("multi");
  });

  it("answers on B for an extraction made on A", async () => {
    const res = await postFile(`${a.baseUrl}/api/v1/extract`, { name: "a.png", data: png }, { headers: { "X-API-Key": key } });
    const made = (await res.json()) as Json;
    expect(res.status, JSON.stringify(made)).toBe(200);
    const again = await fetch(`${b.baseUrl}/api/v1/extract/${String(made["uuid"])}`);
    expect(again.status).toBe(200);
    const body = (await again.json()) as Json;
    expect(body["metadata"]).toEqual(made["metadata"]);
    expect(body["createdAt"]).toMatch(/Z$/);
  });

  it("serves on B the download of a file cleaned on A, streamed from the bucket", async () => {
    const res = await postFile(`${a.baseUrl}/api/v1/remove`, { name: "a.png", data: png }, { headers: { "X-API-Key": key } });
    const made = (await res.json()) as Json;
    expect(res.status, JSON.stringify(made)).toBe(200);
    const uuid = String(made["uuid"]);
    expect(await listObjects(backends, prefix)).toContain(uuid);
    const fromB = await fetch(`${b.baseUrl}/download-cleaned/${uuid}`);
    expect(fromB.status).toBe(200);
    expect(fromB.headers.get("content-type")).toBe("image/png");
    const bytes = Buffer.from(await fromB.arrayBuffer());
    expect(bytes.subarray(1, 4).toString("latin1")).toBe("PNG");
    expect(Number(fromB.headers.get("content-length"))).toBe(bytes.length);
    expect(bytes.includes(Buffer.from("Jane Roe"))).toBe(false);
    const fromA = Buffer.from(await (await fetch(`${a.baseUrl}/download-cleaned/${uuid}`)).arrayBuffer());
    expect(fromA.equals(bytes)).toBe(true);
  });

  it("redirects to a signed bucket URL instead when S3_PRESIGNED_DOWNLOADS is on", async () => {
    const res = await postFile(`${a.baseUrl}/api/v1/remove`, { name: "signed.png", data: png }, { headers: { "X-API-Key": key } });
    const made = (await res.json()) as Json;
    expect(res.status, JSON.stringify(made)).toBe(200);
    const signing = await start({ S3_PRESIGNED_DOWNLOADS: "true" });
    const redirect = await fetch(`${signing.baseUrl}/download-cleaned/${String(made["uuid"])}`, { redirect: "manual" });
    expect(redirect.status).toBe(302);
    const location = redirect.headers.get("location") ?? "";
    expect(location.startsWith(`${backends.s3Endpoint}/${backends.s3Bucket}/${prefix}/`)).toBe(true);
    expect(location).toMatch(/X-Amz-Expires=\d+/);
    const direct = await fetch(location);
    expect(direct.status).toBe(200);
    const viaService = await fetch(`${b.baseUrl}/download-cleaned/${String(made["uuid"])}`);
    expect(direct.headers.get("content-disposition")).toBe(viaService.headers.get("content-disposition"));
    expect(direct.headers.get("content-type")).toBe("image/png");
    const streamed = Buffer.from(await viaService.arrayBuffer());
    expect(Buffer.from(await direct.arrayBuffer()).equals(streamed)).toBe(true);
  });

  it("holds one rate limit across both instances", async () => {
    const limited = await newKey(a, "limited");
    const statuses: Array<{ instance: string; status: number }> = [];
    // Bad requests (no file) are cheap and still count; alternate between the instances.
    for (let i = 0; i < 10; i++) {
      const s = i % 2 === 0 ? a : b;
      const res = await fetch(`${s.baseUrl}/api/v1/extract`, { method: "POST", headers: { "X-API-Key": limited } });
      await res.arrayBuffer();
      statuses.push({ instance: s === a ? "A" : "B", status: res.status });
    }
    const accepted = statuses.filter((s) => s.status !== 429);
    expect(accepted.length, JSON.stringify(statuses)).toBe(5);
    expect(new Set(accepted.map((s) => s.instance))).toEqual(new Set(["A", "B"]));
    expect(statuses.every((s) => s.status === 400 || s.status === 429)).toBe(true);
  });

  it("deletes an expired download from the bucket, with every instance sweeping", async () => {
    // About 3.6 s to live; this instance writes the record, A and B sweep it too.
    const c = await start({ DOWNLOAD_TTL_HOURS: "0.001", SWEEP_INTERVAL_SECONDS: "1" });
    const res = await postFile(`${c.baseUrl}/api/v1/remove`, { name: "short.png", data: png }, { headers: { "X-API-Key": key } });
    const made = (await res.json()) as Json;
    expect(res.status, JSON.stringify(made)).toBe(200);
    const uuid = String(made["uuid"]);
    expect(await listObjects(backends, prefix)).toContain(uuid);
    await until("the expired object to leave the bucket", async () => !(await listObjects(backends, prefix)).includes(uuid));
    const gone = await fetch(`${b.baseUrl}/download-cleaned/${uuid}`);
    expect(gone.status).toBe(404);
    for (const s of [a, b, c]) expect(s.logs.join("\n")).not.toContain("sweeping expired downloads failed");
  });
});

describe("a Redis outage", () => {
  it("loosens the limit to one per instance, with a warning and a degraded /readyz, and never fails a request", async () => {
    let redis = await startRedis();
    try {
      const s = await start({ REDIS_URL: redis.urls.url, RATE_LIMIT_PER_MINUTE: "3" });
      const limited = await newKey(s, "outage");
      const post = async (): Promise<number> => {
        const res = await fetch(`${s.baseUrl}/api/v1/extract`, { method: "POST", headers: { "X-API-Key": limited } });
        await res.arrayBuffer();
        return res.status;
      };
      expect(await post()).toBe(400);

      await redis.stop();
      const during = [await post(), await post(), await post(), await post()];
      // One request already counted in Redis; this process counts from zero: 3 more pass, then 429.
      expect(during).toEqual([400, 400, 400, 429]);
      await until("the warning", async () => s.logs.some((l) => l.includes("Redis is unreachable")));
      const warning = JSON.parse(s.logs.find((l) => l.includes("Redis is unreachable")) ?? "{}") as Json;
      expect(warning["level"]).toBe(40);
      const ready = await fetch(`${s.baseUrl}/readyz`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toMatchObject({ success: true, status: "degraded", checks: { redis: "degraded", database: "ok" } });

      redis = await startRedis(redis.urls.port);
      await until("/readyz to see Redis again", async () => ((await (await fetch(`${s.baseUrl}/readyz`)).json()) as Json)["status"] === "ready");
      // The new Redis is empty: counting starts again there, and the switch back is logged.
      expect(await post()).toBe(400);
      await until("the recovery line", async () => s.logs.some((l) => l.includes("Redis answers again")));
    } finally {
      await redis.stop();
    }
  });
});
