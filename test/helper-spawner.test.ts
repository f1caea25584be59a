import { readFileSync } from "node:fs";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { childPids, descendantPids } from "./helpers/fuzz-proc.js";
import { makePdf } from "./helpers/make-files.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { postFile, type RunningServer, startServer } from "./helpers/server.js";
import { run } from "./helpers/tools.js";

let dir: string;
let pdf: string;
let shims: string;
let log: string;
let hold: string;
let probe: string;
let linger: string;
let server: RunningServer;

/**
 * qpdf shadowed on the service's PATH by a script that logs the process that started it; while the
 * `probe` file exists, appends to it the limits it runs under; while `linger` exists, starts a
 * child of its own that outlives it (its pid appended to `linger`); and while the `hold` file
 * exists, waits first (a program still running when its spawner dies).
 */
beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-spawner-"));
  pdf = await makePdf(dir);
  shims = path.join(dir, "shims");
  log = path.join(dir, "qpdf.log");
  hold = path.join(dir, "hold");
  probe = path.join(dir, "probe");
  linger = path.join(dir, "linger");
  await fs.mkdir(shims);
  const real = (await run("sh", ["-c", "command -v qpdf"])).stdout.toString().trim();
  await fs.writeFile(
    path.join(shims, "qpdf"),
    [
      "#!/bin/sh",
      `echo "$PPID" >> '${log}'`,
      `if [ -e '${probe}' ]; then { echo "run $$ group $(cut -d' ' -f5 /proc/$$/stat)"; grep -E '^Max (address space|core file size|file size) ' /proc/self/limits; grep '^NoNewPrivs:' /proc/self/status; } >> '${probe}'; fi`,
      `if [ -e '${linger}' ]; then sleep 300 & echo "$!" >> '${linger}'; fi`,
      `while [ -e '${hold}' ]; do sleep 0.1; done`,
      `exec '${real}' "$@"`,
      "",
    ].join("\n"),
    { mode: 0o755 },
  );
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
  return (await childPids(server.process.pid!)).filter((pid) => cmdline(pid).includes("tool-spawner.pl"));
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
    const others = (await childPids(server.process.pid!)).map(cmdline).filter((c) => c !== "" && !c.includes("exiftool") && !c.includes("tool-spawner.pl") && !c.includes("task-process.js"));
    expect(others).toEqual([]);
  });

  /** Starts a removal whose qpdf is held, and returns it with the spawner running that qpdf. */
  async function heldRemoval(): Promise<{ pending: Promise<Response> }> {
    await fs.writeFile(log, "");
    await fs.writeFile(hold, "");
    return { pending: postFile(`${server.baseUrl}/api/v1/remove`, { name: "doc.pdf", data: await fs.readFile(pdf) }, { headers: { "X-API-Key": server.apiKey } }) };
  }

  /** Waits for a held qpdf started by a spawner other than those in `killed`, then kills that spawner; its pid. */
  async function killNextSpawner(killed: number[]): Promise<number> {
    let spawner = 0;
    await expect
      .poll(
        async () => {
          const parents = (await fs.readFile(log, "utf8")).split("\n").filter((l) => l !== "").map(Number);
          spawner = parents.find((p) => !killed.includes(p)) ?? 0;
          return spawner !== 0 && (await childPids(spawner)).some((pid) => cmdline(pid).includes("qpdf"));
        },
        { timeout: 10_000 },
      )
      .toBe(true);
    expect(await spawners()).toContain(spawner);
    const held = (await childPids(spawner)).filter((pid) => cmdline(pid).includes("qpdf"));
    process.kill(spawner, "SIGKILL");
    // The program it was running died with it (parent-death signal), not orphaned.
    await expect.poll(() => held.filter((pid) => cmdline(pid) !== ""), { timeout: 5000 }).toEqual([]);
    return spawner;
  }

  it("a spawner killed while its program runs: the program runs again on a new spawner and the request succeeds", async () => {
    const { pending } = await heldRemoval();
    const first = await killNextSpawner([]);
    // The same qpdf started again, by a new spawner.
    let second = 0;
    await expect
      .poll(async () => {
        const parents = (await fs.readFile(log, "utf8")).split("\n").filter((l) => l !== "").map(Number);
        second = parents.find((p) => p !== first) ?? 0;
        return second;
      }, { timeout: 10_000 })
      .not.toBe(0);
    await fs.rm(hold);
    const done = await pending;
    const body = (await done.json()) as Record<string, unknown>;
    expect(done.status, JSON.stringify(body)).toBe(200);
    expect(body["remaining"]).toEqual({});
    expect(await spawners()).toEqual([second]);
  });

  it("a spawner killed twice under the same program: 503 with Retry-After, and the next request gets a new spawner", async () => {
    const { pending } = await heldRemoval();
    const first = await killNextSpawner([]);
    const second = await killNextSpawner([first]);
    const failed = await pending;
    await fs.rm(hold);
    expect(failed.status).toBe(503);
    expect(Number(failed.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(await failed.json()).toEqual({ success: false, error: "The service is busy; retry later" });
    const again = await removeViaApi(server, pdf);
    expect(again.status).toBe(200);
    const [after] = await spawners();
    expect(after).toBeDefined();
    expect([first, second]).not.toContain(after);
  });
});

/** A process that still runs (a zombie waiting for init to reap it has stopped running). */
function isAlive(pid: number): boolean {
  try {
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, "utf8"));
  } catch {
    return false;
  }
}

describe("each helper program runs under its limits, in a process group of its own", () => {
  it("qpdf's runs: 512 MB of address space, no core file, no new privileges, a file-size cap, its own group", async () => {
    await fs.writeFile(probe, "");
    try {
      expect((await removeViaApi(server, pdf)).status).toBe(200);
      const runs = (await fs.readFile(probe, "utf8")).split(/^(?=run )/m).filter((r) => r !== "");
      expect(runs.length).toBeGreaterThanOrEqual(2);
      for (const r of runs) {
        const [, pid, group] = /^run (\d+) group (\d+)/.exec(r) ?? [];
        expect(group, r).toBe(pid);
        expect(r).toMatch(/^Max address space\s+536870912\s+536870912\s+bytes/m);
        expect(r).toMatch(/^Max core file size\s+0\s+0\s+bytes/m);
        expect(r).toMatch(/^NoNewPrivs:\s+1$/m);
      }
      // The runs that write a dump or the copy have its size capped (RLIMIT_FSIZE).
      expect(runs.some((r) => /^Max file size\s+\d+\s+\d+\s+bytes/m.test(r))).toBe(true);
    } finally {
      await fs.rm(probe, { force: true });
    }
  });

  it("a client that hangs up: its program is killed with what the program started", async () => {
    await fs.writeFile(linger, "");
    await fs.writeFile(hold, "");
    const hangUp = new AbortController();
    try {
      const pending = postFile(`${server.baseUrl}/api/v1/remove`, { name: "doc.pdf", data: await fs.readFile(pdf) }, { headers: { "X-API-Key": server.apiKey }, signal: hangUp.signal });
      let lingering: number[] = [];
      await expect
        .poll(async () => (lingering = (await fs.readFile(linger, "utf8")).split("\n").filter((l) => l !== "").map(Number)), { timeout: 10_000 })
        .not.toEqual([]);
      const held = (await descendantPids(server.process.pid!)).filter((pid) => cmdline(pid).startsWith("/bin/sh") && cmdline(pid).includes("qpdf"));
      expect(held.length).toBeGreaterThan(0);
      hangUp.abort();
      await pending.catch(() => undefined);
      await expect.poll(() => [...held, ...lingering].filter(isAlive), { timeout: 10_000 }).toEqual([]);
    } finally {
      await fs.rm(hold, { force: true });
      await fs.rm(linger, { force: true });
    }
    expect((await removeViaApi(server, pdf)).status).toBe(200);
  });
});
