import fs from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { breakModule, copyOfBuild } from "./helpers/built-copy.js";
import { makeJpeg } from "./helpers/make-images.js";
import { type RunningServer, startServer } from "./helpers/server.js";

// piscina loads its worker module with require() first. Node 20's require() of an ES module whose
// graph fails to link failed an internal assertion inside piscina's loader (the request was never
// answered) or aborted the whole service (V8 FATAL "IsGraphAsync ... instantiated module", seen
// when dist/ was rebuilt under a running service during a sweep). The worker is now entered through
// a CommonJS module that import()s it: the failure is the task's, a 500 at once.
describe("a worker thread whose modules fail to load", () => {
  let dir: string;
  let server: RunningServer;

  beforeAll(async () => {
    // A copy of the built service whose worker module imports a name that is not exported.
    dir = await copyOfBuild();
    await breakModule(dir, "dist/isolation/worker.js");
    server = await startServer({ EXIFTOOL_PROCS: "1" }, { root: dir });
  }, 90_000);

  afterAll(async () => {
    await server?.stop();
    await fs.rm(dir, { recursive: true, force: true });
  });

  it("answers each request 500 at once, leaks no path, and the service lives on", async () => {
    const photo = await makeJpeg(dir, "Brokenworkermarker");
    for (const endpoint of ["extract", "remove"]) {
      const form = new FormData();
      form.append("file", new Blob([await fs.readFile(photo)]), "photo.jpg");
      const started = Date.now();
      const res = await fetch(`${server.baseUrl}/api/v1/${endpoint}`, { method: "POST", headers: { "X-API-Key": server.apiKey }, body: form, signal: AbortSignal.timeout(30_000) });
      const body = await res.text();
      expect(res.status, body).toBe(500);
      expect(JSON.parse(body)).toEqual({ success: false, error: "An error occurred while processing your request" });
      expect(body).not.toContain(dir);
      expect(Date.now() - started).toBeLessThan(15_000);
    }
    const health = await fetch(`${server.baseUrl}/healthz`);
    expect(health.status).toBe(200);
    expect(server.process.exitCode).toBeNull();
  }, 120_000);
});
