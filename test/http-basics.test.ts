import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningServer, startServer } from "./helpers/server.js";

let server: RunningServer;

beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => server?.stop());

describe("every response", () => {
  it("carries an X-Request-Id that the request's log lines carry too", async () => {
    const res = await fetch(`${server.baseUrl}/api/v1/extract/00000000-0000-4000-8000-000000000000`);
    const id = res.headers.get("x-request-id");
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    // The log is written asynchronously: its lines may follow the answer by a moment.
    await expect.poll(() => server.logs.filter((l) => l.includes(id!)).length, { timeout: 5000 }).toBeGreaterThanOrEqual(2);
    const lines = server.logs.filter((l) => l.includes(id!)).map((l) => JSON.parse(l) as Record<string, unknown>);
    for (const line of lines) expect(line["reqId"]).toBe(id);
  });

  it("answers unknown routes with the contract's JSON", async () => {
    const res = await fetch(`${server.baseUrl}/nope`);
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ success: false, error: "Not found" });
    expect(res.headers.get("x-request-id")).not.toBeNull();
  });
});

describe("CORS", () => {
  it("answers a browser's preflight for X-API-Key from another origin", async () => {
    const res = await fetch(`${server.baseUrl}/api/v1/extract`, {
      method: "OPTIONS",
      headers: { Origin: "https://example.org", "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "x-api-key,content-type" },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
    expect(res.headers.get("access-control-allow-headers")?.toLowerCase()).toContain("x-api-key");
  });
});

describe("health", () => {
  it("says the process is up and that its backends answer", async () => {
    const health = await fetch(`${server.baseUrl}/healthz`);
    expect(health.status).toBe(200);
    const ready = await fetch(`${server.baseUrl}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ success: true, checks: { database: "ok", storage: "ok", exiftool: "ok" }, exiftoolVersion: expect.stringMatching(/^\d+\.\d+/) });
  });

  it("starts with a task timeout longer than five minutes", async () => {
    const patient = await startServer({ EXIFTOOL_TASK_TIMEOUT_SECONDS: "900" });
    try {
      expect((await fetch(`${patient.baseUrl}/readyz`)).status).toBe(200);
    } finally {
      await patient.stop();
    }
  });

  it("prints the exifapi and ExifTool versions", async () => {
    const out = await server.cli(["--version"]);
    expect(out.code).toBe(0);
    expect(out.stdout).toMatch(/exifapi \d+\.\d+\.\d+\nExifTool \d+\.\d+/);
  });
});
