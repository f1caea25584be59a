import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { descendantPids, tempFiles } from "./helpers/fuzz-proc.js";
import { svgWithDataImages } from "./helpers/make-hostile.js";
import { postFile, type RunningServer, startServer } from "./helpers/server.js";
import { CONVERT, run } from "./helpers/tools.js";

let dir: string;
let png: Buffer;
/** An SVG whose removal takes many seconds (hundreds of inner images, each read and cleaned). */
let slow: Buffer;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-budgets-"));
  const file = path.join(dir, "dot.png");
  await run(CONVERT, ["-size", "4x4", "xc:green", file]);
  png = await fs.readFile(file);
  slow = svgWithDataImages(300, png);
});

afterAll(async () => {
  if (dir != null) await fs.rm(dir, { recursive: true, force: true });
});

const remove = (server: RunningServer, name: string, data: Buffer) =>
  postFile(`${server.baseUrl}/api/v1/remove`, { name, data }, { headers: { "X-API-Key": server.apiKey } });

describe("past the work budget and its queue, requests are told the service is busy", () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startServer({ MAX_FILES_IN_WORK: "1", MAX_QUEUED_REQUESTS: "1" });
  });
  afterAll(async () => server?.stop());

  it("one file in work, one waiting, the third gets 503 with Retry-After; the waiting one is served after", async () => {
    const first = remove(server, "slow.svg", slow);
    await new Promise((r) => setTimeout(r, 1000));
    const second = remove(server, "dot.png", png);
    await new Promise((r) => setTimeout(r, 300));
    const third = await remove(server, "dot.png", png);
    expect(third.status).toBe(503);
    expect(third.headers.get("retry-after")).toMatch(/^\d+$/);
    expect(await third.json()).toEqual({ success: false, error: "The service is busy; retry later" });
    expect([200, 422]).toContain((await first).status);
    expect((await second).status).toBe(200);
  });
});

describe("a request's deadline stops everything it started", () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startServer({ REQUEST_TIMEOUT_SECONDS: "2" });
  });
  afterAll(async () => server?.stop());

  it("past REQUEST_TIMEOUT_SECONDS the answer is a 422, the worker and its helpers stop, temp files go", async () => {
    const started = Date.now();
    const res = await remove(server, "slow.svg", slow);
    expect(res.status).toBe(422);
    expect(((await res.json()) as { error: string }).error).toBe("The file is too complex to process within this service's limits.");
    expect(Date.now() - started).toBeLessThan(10_000);
    await expect.poll(() => tempFiles(server.dataDir), { timeout: 5000 }).toEqual([]);
    // Only the ExifTool pool, the idle spawner and idle task processes stay: no jpegtran, qpdf or ffmpeg left behind.
    const tree = await Promise.all((await descendantPids(server.process.pid!)).map((pid) => fs.readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => "")));
    expect(tree.filter((c) => c !== "" && !c.includes("exiftool") && !c.includes("tool-spawner.pl") && !c.includes("task-process.js"))).toEqual([]);
    // The service still serves: a small file is cleaned (its own 2 s deadline can pass on a
    // machine busy enough, so it is tried again for up to 30 s).
    await expect.poll(async () => (await remove(server, "dot.png", png)).status, { timeout: 30_000, interval: 100 }).toBe(200);
  });
});

describe("a request that waited half its deadline for room is told the service is busy", () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startServer({ MAX_FILES_IN_WORK: "1", REQUEST_TIMEOUT_SECONDS: "6" });
  });
  afterAll(async () => server?.stop());

  it("two files queued behind a slow one get 503 with Retry-After after ~3 s (on main: the deadline's 422 after 6 s, never started)", async () => {
    // Ten times the others' slow file: it must still be in work when the queued ones have waited
    // 3 s, even on a quiet machine (the 300-image one ended within ~4 s there, letting one in).
    const first = remove(server, "slower.svg", svgWithDataImages(3000, png));
    await new Promise((r) => setTimeout(r, 1000));
    const started = Date.now();
    const queued = await Promise.all([remove(server, "slow-2.svg", slow), remove(server, "slow-3.svg", slow)]);
    const waited = Date.now() - started;
    for (const res of queued) {
      expect(res.status).toBe(503);
      expect(res.headers.get("retry-after")).toMatch(/^\d+$/);
      expect(await res.json()).toEqual({ success: false, error: "The service is busy; retry later" });
    }
    expect(waited).toBeGreaterThanOrEqual(2900);
    expect(waited).toBeLessThan(5900);
    expect([200, 422]).toContain((await first).status);
    await expect.poll(() => tempFiles(server.dataDir), { timeout: 5000 }).toEqual([]);
  });
});
