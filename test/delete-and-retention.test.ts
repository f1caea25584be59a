import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../src/config.js";
import { makeJpeg } from "./helpers/make-files.js";
import { type RunningServer, postFile, startServer } from "./helpers/server.js";

type Json = Record<string, any>;

let server: RunningServer;
let dir: string;
let jpeg: Buffer;
let otherKey: string;

async function post(endpoint: "extract" | "remove", s: RunningServer = server): Promise<Json> {
  const res = await postFile(`${s.baseUrl}/api/v1/${endpoint}`, { name: "photo.jpg", data: jpeg }, { headers: { "X-API-Key": s.apiKey } });
  expect(res.status).toBe(200);
  return (await res.json()) as Json;
}

async function del(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  const res = await fetch(url, { method: "DELETE", headers });
  return { status: res.status, body: await res.text() };
}

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-delete-"));
  jpeg = await fs.readFile(await makeJpeg(dir));
  server = await startServer();
  const other = await server.cli(["keys", "create", "--name", "someone else"]);
  otherKey = other.stdout.trim().split("\n").at(-1) ?? "";
  expect(otherKey).toMatch(/^exk_/);
});
afterAll(async () => {
  await server?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

describe("DELETE /api/v1/extract/{uuid}", () => {
  it("deletes a result for the key that created it only; then it is 404 for everyone", async () => {
    const { uuid } = await post("extract");
    const url = `${server.baseUrl}/api/v1/extract/${uuid}`;
    expect(await del(url)).toEqual({ status: 401, body: JSON.stringify({ success: false, error: "API key required" }) });
    expect(await del(url, { "X-API-Key": "exk_not-a-key" })).toMatchObject({ status: 401 });
    const notFound = JSON.stringify({ success: false, error: "No extraction found with the given UUID." });
    expect(await del(url, { "X-API-Key": otherKey })).toEqual({ status: 404, body: notFound });
    expect(await del(`${server.baseUrl}/api/v1/extract/${crypto.randomUUID()}`, { "X-API-Key": server.apiKey })).toEqual({ status: 404, body: notFound });
    expect(await del(`${server.baseUrl}/api/v1/extract/not-a-uuid`, { "X-API-Key": server.apiKey })).toEqual({ status: 404, body: notFound });
    expect((await fetch(url)).status).toBe(200);

    expect(await del(`${url}?key=${encodeURIComponent(server.apiKey)}`)).toEqual({ status: 204, body: "" });
    expect((await fetch(url)).status).toBe(404);
    expect((await fetch(url, { headers: { "X-API-Key": server.apiKey } })).status).toBe(404);
    expect(await del(url, { "X-API-Key": server.apiKey })).toEqual({ status: 404, body: notFound });
  });

  it("is allowed by CORS from the page's origins", async () => {
    const res = await fetch(`${server.baseUrl}/api/v1/extract/${crypto.randomUUID()}`, {
      method: "OPTIONS",
      headers: { Origin: "https://app.example", "Access-Control-Request-Method": "DELETE", "Access-Control-Request-Headers": "x-api-key" },
    });
    expect(res.status).toBeLessThan(300);
    expect(res.headers.get("access-control-allow-methods")).toContain("DELETE");
  });
});

describe("DELETE /download-cleaned/{uuid}", () => {
  it("deletes the cleaned file's bytes from storage at once, for the key that created it only", async () => {
    const { uuid, downloadUrl } = await post("remove");
    expect(await server.storedBlobs()).toContain(uuid);
    const notFound = JSON.stringify({ success: false, error: "File not found or expired." });
    expect(await del(downloadUrl)).toEqual({ status: 401, body: JSON.stringify({ success: false, error: "API key required" }) });
    expect(await del(downloadUrl, { "X-API-Key": otherKey })).toEqual({ status: 404, body: notFound });
    expect(await del(`${server.baseUrl}/download-cleaned/${crypto.randomUUID()}`, { "X-API-Key": server.apiKey })).toEqual({ status: 404, body: notFound });
    expect((await fetch(downloadUrl)).status).toBe(200);
    expect(await server.storedBlobs()).toContain(uuid);

    expect(await del(downloadUrl, { "X-API-Key": server.apiKey })).toEqual({ status: 204, body: "" });
    expect(await server.storedBlobs()).not.toContain(uuid);
    const after = await fetch(downloadUrl);
    expect(after.status).toBe(404);
    expect(await after.text()).toBe(notFound);
    expect(await del(downloadUrl, { "X-API-Key": server.apiKey })).toEqual({ status: 404, body: notFound });
  });
});

describe("retention of extraction results", () => {
  it("reads RESULT_TTL_HOURS: 720 by default, 0 for forever", () => {
    expect(loadConfig({}).resultTtlMs).toBe(720 * 3600 * 1000);
    expect(loadConfig({ RESULT_TTL_HOURS: "0" }).resultTtlMs).toBeNull();
    expect(loadConfig({ RESULT_TTL_HOURS: "0.5" }).resultTtlMs).toBe(1800 * 1000);
    expect(() => loadConfig({ RESULT_TTL_HOURS: "-1" })).toThrow(/RESULT_TTL_HOURS/);
  });

  it("deletes a result from the database once it is older than RESULT_TTL_HOURS", async () => {
    // About two seconds to live, swept twice a second.
    const short = await startServer({ RESULT_TTL_HOURS: String(2 / 3600), SWEEP_INTERVAL_SECONDS: "0.5" });
    try {
      const { uuid } = await post("extract", short);
      const url = `${short.baseUrl}/api/v1/extract/${uuid}`;
      expect((await fetch(url)).status).toBe(200);
      // GET reads the row whatever its age: a 404 means the sweeper deleted it.
      const deadline = Date.now() + 20_000;
      let status = 200;
      while (status === 200 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 250));
        status = (await fetch(url)).status;
      }
      expect(status).toBe(404);
      await expect.poll(() => short.logs.some((l) => l.includes("expired extraction results deleted")), { timeout: 5000 }).toBe(true);
    } finally {
      await short.stop();
    }
  });
});
