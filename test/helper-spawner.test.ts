import { readFileSync } from "node:fs";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { childPids } from "./helpers/fuzz-proc.js";
import { makePdf } from "./helpers/make-files.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { type RunningServer, startServer } from "./helpers/server.js";
import { run } from "./helpers/tools.js";

let dir: string;
let pdf: string;
let shims: string;
let log: string;
let hold: string;
let server: RunningServer;

/**
 * qpdf shadowed on the service's PATH by a script that logs the process that started it and, while
 * the `hold` file exists, waits first (a program still running when its spawner dies).
 */
beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-spawner-"));
  pdf = await makePdf(dir);
  shims = path.join(dir, "shims");
  log = path.join(dir, "qpdf.log");
  hold = path.join(dir, "hold");
  await fs.mkdir(shims);
  const real = (await run("sh", ["-c", "command -v qpdf"])).stdout.toString().trim();
  await fs.writeFile(path.join(shims, "qpdf"), `#!/bin/sh\necho "$PPID" >> '${log}'\nwhile [ -e '${hold}' ]; do sleep 0.1; done\nexec '${real}' "$@"\n`, { mode: 0o755 });
  server = await startServer({ PATH: `${shims}:${process.env["PATH"] ?? ""}`, REQUEST_TIMEOUT_SECONDS: "30" });
});

afterAll(async () => {
  await server?.stop();
  if (dir != null) await fs.rm(dir, { recursive: true, force: true });
});

const cmdline = (pid: number): string => {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ");
  } catch {
    return "";
  }
};

async function spawners(): Promise<number[]> {
  return (await childPids(server.process.pid!)).filter((pid) => cmdline(pid).includes("tool-spawner-process.js"));
}

describe("helper programs start from a small spawner process, not from a fork of the service", () => {
  it("a PDF removal's qpdf runs as a child of the spawner, the service's one child besides ExifTool", async () => {
    await fs.writeFile(log, "");
    const r = await removeViaApi(server, pdf);
    expect(r.status).toBe(200);
    const parents = new Set((await fs.readFile(log, "utf8")).split("\n").filter((l) => l !== "").map(Number));
    const spawner = await spawners();
    expect(spawner.length).toBe(1);
    expect([...parents]).toEqual(spawner);
    const others = (await childPids(server.process.pid!)).map(cmdline).filter((c) => c !== "" && !c.includes("exiftool") && !c.includes("tool-spawner-process.js"));
    expect(others).toEqual([]);
  });

  it("a spawner killed while its program runs fails that request with the contract's answer; the next request gets a new spawner", async () => {
    await removeViaApi(server, pdf);
    const [before] = await spawners();
    expect(before).toBeDefined();
    await fs.writeFile(log, "");
    await fs.writeFile(hold, "");
    const pending = removeViaApi(server, pdf);
    await expect.poll(async () => (await fs.readFile(log, "utf8")).trim() !== "", { timeout: 10_000 }).toBe(true);
    const held = (await childPids(before!)).filter((pid) => cmdline(pid).includes("qpdf"));
    expect(held.length).toBeGreaterThan(0);
    process.kill(before!, "SIGKILL");
    const failed = await pending;
    await fs.rm(hold);
    expect([422, 500]).toContain(failed.status);
    expect(failed.body["success"]).toBe(false);
    // The program it was running died with it (parent-death signal), not orphaned.
    await expect.poll(() => held.filter((pid) => cmdline(pid) !== ""), { timeout: 5000 }).toEqual([]);
    const again = await removeViaApi(server, pdf);
    expect(again.status).toBe(200);
    const [after] = await spawners();
    expect(after).toBeDefined();
    expect(after).not.toBe(before);
  });
});
