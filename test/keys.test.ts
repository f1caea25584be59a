import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makePng } from "./helpers/make-files.js";
import { DISTRIBUTED, type RunningServer, postFile, startServer } from "./helpers/server.js";

let server: RunningServer;
let png: Buffer;

beforeAll(async () => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-keys-"));
  png = await fs.readFile(await makePng(dir));
  await fs.rm(dir, { recursive: true });
  server = await startServer();
});
afterAll(async () => server?.stop());

const extract = (headers: Record<string, string>, query = "") =>
  postFile(`${server.baseUrl}/api/v1/extract${query}`, { name: "a.png", data: png }, { headers });

describe("API keys", () => {
  it("prints a key on the first start, and only then", async () => {
    expect(server.apiKey).toMatch(/^exk_[A-Za-z0-9_-]{40,}$/);
    expect(server.stderr.join("")).toContain(server.apiKey);
    const restarted = await startServer({}, { dataDir: server.dataDir + "-second" });
    try {
      expect(restarted.apiKey).not.toBe("");
    } finally {
      await restarted.stop();
      await fs.rm(server.dataDir + "-second", { recursive: true, force: true });
    }
  });

  it("requires a key on POST endpoints", async () => {
    for (const endpoint of ["extract", "remove"]) {
      const res = await postFile(`${server.baseUrl}/api/v1/${endpoint}`, { name: "a.png", data: png });
      expect(res.status).toBe(401);
      expect(await res.json()).toEqual({ success: false, error: "API key required" });
    }
  });

  it("refuses an unknown key", async () => {
    const res = await extract({ "X-API-Key": "exk_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" });
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ success: false, error: "Invalid API key" });
  });

  it("accepts the key in the header or the query string, the header winning", async () => {
    expect((await extract({ "X-API-Key": server.apiKey })).status).toBe(200);
    expect((await extract({}, `?key=${server.apiKey}`)).status).toBe(200);
    expect((await extract({ "X-API-Key": server.apiKey }, "?key=exk_wrong")).status).toBe(200);
    expect((await extract({ "X-API-Key": "exk_wrong" }, `?key=${server.apiKey}`)).status).toBe(401);
  });

  it("creates, lists and revokes keys from the command line; a revoked key is refused at once", async () => {
    const created = await server.cli(["keys", "create", "--name", "ci robot"]);
    expect(created.code).toBe(0);
    const key = created.stdout.trim().split("\n").at(-1)!;
    expect(key).toMatch(/^exk_/);
    expect((await extract({ "X-API-Key": key })).status).toBe(200);

    const listed = await server.cli(["keys", "list", "--json"]);
    expect(listed.code).toBe(0);
    const keys = JSON.parse(listed.stdout) as Array<Record<string, unknown>>;
    const mine = keys.find((k) => k["name"] === "ci robot");
    expect(mine).toBeDefined();
    expect(Object.keys(mine!).sort()).toEqual(["createdAt", "id", "lastUsedAt", "name", "revokedAt"]);
    expect(mine!["lastUsedAt"]).toMatch(/Z$/);
    expect(mine!["revokedAt"]).toBeNull();
    expect(listed.stdout).not.toContain(key);

    const table = await server.cli(["keys", "list"]);
    expect(table.stdout).toContain("ci robot");
    expect(table.stdout).not.toContain(key);

    const revoked = await server.cli(["keys", "revoke", String(mine!["id"])]);
    expect(revoked.code).toBe(0);
    const res = await extract({ "X-API-Key": key });
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ success: false, error: "Invalid API key" });

    expect((await server.cli(["keys", "revoke", "no-such-id"])).code).not.toBe(0);
  });

  // Reads the SQLite files; on PostgreSQL the same store code writes the same hashes.
  it.skipIf(DISTRIBUTED)("stores keys hashed, never in clear text", async () => {
    const db = await fs.readFile(path.join(server.dataDir, "exifapi.sqlite"));
    const wal = await fs.readFile(path.join(server.dataDir, "exifapi.sqlite-wal")).catch(() => Buffer.alloc(0));
    const secret = server.apiKey.slice(4);
    expect(db.includes(secret)).toBe(false);
    expect(wal.includes(secret)).toBe(false);
  });

  it("keeps keys out of the logs, from the header and from the query string", async () => {
    await extract({ "X-API-Key": server.apiKey });
    await extract({}, `?key=${server.apiKey}`);
    await expect.poll(() => server.logs.filter((l) => l.includes("[REDACTED]")).length, { timeout: 5000 }).toBeGreaterThanOrEqual(2);
    const logs = server.logs.join("\n");
    expect(logs).not.toContain(server.apiKey);
  });
});
