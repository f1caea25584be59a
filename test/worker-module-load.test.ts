import { type ChildProcess, spawn } from "node:child_process";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "./helpers/free-port.js";
import { makeJpeg } from "./helpers/make-images.js";
import { ROOT } from "./helpers/server.js";

// piscina loads its worker module with require() first. Node 20's require() of an ES module whose
// graph fails to link failed an internal assertion inside piscina's loader (the request was never
// answered) or aborted the whole service (V8 FATAL "IsGraphAsync ... instantiated module", seen
// when dist/ was rebuilt under a running service during a sweep). The worker is now entered through
// a CommonJS module that import()s it: the failure is the task's, a 500 at once.
describe("a worker thread whose modules fail to load", () => {
  let dir: string;
  let service: ChildProcess;
  let baseUrl: string;
  let apiKey = "";
  const stderr: string[] = [];

  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-broken-worker-"));
    // A copy of the built service whose worker module imports a name its neighbour does not export.
    await fs.cp(path.join(ROOT, "dist"), path.join(dir, "dist"), { recursive: true });
    await fs.cp(path.join(ROOT, "bin"), path.join(dir, "bin"), { recursive: true });
    await fs.copyFile(path.join(ROOT, "package.json"), path.join(dir, "package.json"));
    await fs.symlink(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"));
    const worker = path.join(dir, "dist", "isolation", "worker.js");
    await fs.writeFile(worker, `import { notExported } from "./jobs.js"; void notExported;\n${await fs.readFile(worker, "utf8")}`);

    const port = await freePort();
    baseUrl = `http://127.0.0.1:${port}`;
    const env = { PATH: process.env["PATH"], HOME: process.env["HOME"], PORT: String(port), HOST: "127.0.0.1", DATA_DIR: path.join(dir, "data"), EXIFTOOL_PROCS: "1" };
    service = spawn(process.execPath, [path.join(dir, "bin", "exifapi"), "serve"], { env, stdio: ["ignore", "pipe", "pipe"] });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`service did not start: ${stderr.join("")}`)), 60_000);
      service.stdout?.on("data", (chunk: Buffer) => {
        if (chunk.toString("utf8").includes('"exifapi ready"')) {
          clearTimeout(timer);
          resolve();
        }
      });
      service.stderr?.on("data", (chunk: Buffer) => {
        stderr.push(chunk.toString("utf8"));
        apiKey ||= /exk_[A-Za-z0-9_-]+/.exec(stderr.join(""))?.[0] ?? "";
      });
      service.on("exit", (code) => reject(new Error(`service exited with ${String(code)}: ${stderr.join("")}`)));
    });
  }, 90_000);

  afterAll(async () => {
    service?.kill("SIGTERM");
    await fs.rm(dir, { recursive: true, force: true });
  });

  it("answers each request 500 at once, leaks no path, and the service lives on", async () => {
    const photo = await makeJpeg(dir, "Brokenworkermarker");
    for (const endpoint of ["extract", "remove"]) {
      const form = new FormData();
      form.append("file", new Blob([await fs.readFile(photo)]), "photo.jpg");
      const started = Date.now();
      const res = await fetch(`${baseUrl}/api/v1/${endpoint}`, { method: "POST", headers: { "X-API-Key": apiKey }, body: form, signal: AbortSignal.timeout(30_000) });
      const body = await res.text();
      expect(res.status, body).toBe(500);
      expect(JSON.parse(body)).toEqual({ success: false, error: "An error occurred while processing your request" });
      expect(body).not.toContain(dir);
      expect(Date.now() - started).toBeLessThan(15_000);
    }
    const health = await fetch(`${baseUrl}/healthz`);
    expect(health.status).toBe(200);
    expect(service.exitCode).toBeNull();
  }, 120_000);
});
