import { execFile } from "node:child_process";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "./helpers/server.js";

// piscina loads the cleaning worker's module with require() first and falls back to import() when
// that throws. A top-level await anywhere in the worker's imports made require() throw
// (ERR_REQUIRE_ASYNC_MODULE), and in that fallback Node 20 aborted the whole service (FATAL
// "v8::Module::IsGraphAsync must be used on an instantiated module", seen twice in a sweep of
// sample files): the worker's module graph must load synchronously.
describe("the cleaning worker's module", () => {
  it("loads with require(), as piscina first loads it, in a fresh Node process", async () => {
    const worker = path.join(ROOT, "dist", "isolation", "worker.js");
    const script = `try { require(${JSON.stringify(worker)}); process.stdout.write("loaded"); } catch (err) { process.stdout.write(String(err.code)); }`;
    const out = await new Promise<string>((resolve, reject) => {
      execFile(process.execPath, ["-e", script], { timeout: 60_000 }, (err, stdout) => (err != null ? reject(err) : resolve(stdout)));
    });
    expect(out).toBe("loaded");
  });
});
