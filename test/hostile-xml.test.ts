import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exiftoolPids, tempFiles } from "./helpers/fuzz-proc.js";
import { docxWithManyAttributes, svgWithAttributes } from "./helpers/make-hostile.js";
import { zip } from "./helpers/make-office.js";
import { postFile, type RunningServer, startServer } from "./helpers/server.js";
import { CONVERT, run } from "./helpers/tools.js";
import { watchService } from "./helpers/watch-service.js";

const TOO_COMPLEX = "The file is too complex to process within this service's limits.";
/** /healthz on a busy 2-core machine: the contract says under a second. */
const HEALTH_MS = 1000;
/** Refusing a file by its shape takes well under a second; margin for a busy 2-core machine. */
const REFUSED_MS = 15_000;
/** An ExifTool-backed request on an idle pool (a new ExifTool process included). */
const PROMPT_MS = 8_000;
/** The service writes its log asynchronously: a refusal's line may follow its answer by a moment. */
const LOGGED_MS = 5_000;

let server: RunningServer;
let dir: string;
let png: Buffer;

beforeAll(async () => {
  // A small worker heap: a DOM of millions of attributes would run out of it, so a 422 that
  // names the attributes proves the shape check refused the file first.
  server = await startServer({ WORKER_HEAP_MB: "160" });
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-hostile-xml-"));
  const file = path.join(dir, "dot.png");
  await run(CONVERT, ["-size", "4x4", "xc:blue", file]);
  png = await fs.readFile(file);
});

afterAll(async () => {
  await server?.stop();
  if (dir != null) await fs.rm(dir, { recursive: true, force: true });
});

async function post(target: RunningServer, endpoint: "remove" | "extract", name: string, data: Buffer) {
  const started = performance.now();
  const res = await postFile(`${target.baseUrl}/api/v1/${endpoint}`, { name, data }, { headers: { "X-API-Key": target.apiKey } });
  return { status: res.status, body: (await res.json()) as Record<string, unknown>, ms: performance.now() - started };
}

/** The 422's cause, as the service logged it (the public answer says only "too complex"). */
function refusedFor(target: RunningServer, cause: RegExp): boolean {
  return target.logs.some((l) => l.includes(TOO_COMPLEX) && cause.test(l));
}

async function expectServedPromptly(target: RunningServer): Promise<void> {
  expect(target.process.exitCode).toBeNull();
  const r = await post(target, "extract", "dot.png", png);
  expect(r.status).toBe(200);
  expect(r.ms).toBeLessThan(PROMPT_MS);
  await expect.poll(() => tempFiles(target.dataDir), { timeout: 10_000 }).toEqual([]);
}

describe("XML is judged by its attributes too, before a DOM or ExifTool sees it", () => {
  it("an SVG of 12,000 groups holding 100 attributes each (1.2 million) is a 422 from the shape check", async () => {
    const data = svgWithAttributes(12_000, 100);
    const watched = await watchService(server, () => post(server, "remove", "attributes.svg", data));
    expect(watched.result.status).toBe(422);
    expect(watched.result.body["error"]).toBe(TOO_COMPLEX);
    await expect.poll(() => refusedFor(server, /more than 1000000 attributes/), { timeout: LOGGED_MS }).toBe(true);
    expect(watched.slowestHealthMs).toBeLessThan(HEALTH_MS);
    await expectServedPromptly(server);
  });

  it("an SVG element holding 1,000 attributes is a 422 (ExifTool reads such elements slowest)", async () => {
    const r = await post(server, "remove", "wide.svg", svgWithAttributes(10, 1000));
    expect(r.status).toBe(422);
    expect(r.body["error"]).toBe(TOO_COMPLEX);
    await expect.poll(() => refusedFor(server, /an element with more than 256 attributes/), { timeout: LOGGED_MS }).toBe(true);
  });

  it("an SVG whose root follows 2 kB of blank lines is screened all the same, on extraction too", async () => {
    // The screen decides from the first kilobyte when it can; a start of nothing but spaces is read further.
    const data = Buffer.concat([Buffer.from(" \n".repeat(1024)), svgWithAttributes(10, 1000)]);
    const r = await post(server, "extract", "blank-start.svg", data);
    expect(r.status).toBe(422);
    expect(r.body["error"]).toBe(TOO_COMPLEX);
    await expect.poll(() => refusedFor(server, /an element with more than 256 attributes/), { timeout: LOGGED_MS }).toBe(true);
  });

  it("a DOCX whose content types hold 1.1 million attributes is a 422 from the shape check, not the worker's heap", async () => {
    const data = await docxWithManyAttributes(110_000, 10);
    expect(data.length).toBeLessThan(1024 * 1024);
    const watched = await watchService(server, () => post(server, "remove", "attributes.docx", data));
    expect(watched.result.status).toBe(422);
    expect(watched.result.body["error"]).toBe(TOO_COMPLEX);
    await expect.poll(() => refusedFor(server, /\[Content_Types\]\.xml holds more than 1000000 attributes/), { timeout: LOGGED_MS }).toBe(true);
    expect(watched.slowestHealthMs).toBeLessThan(HEALTH_MS);
    await expectServedPromptly(server);
  });

  it("a 65 MB SVG of 7.5 million attributes is refused quickly by both endpoints, ExifTool never held by it", { timeout: 120_000 }, async () => {
    const data = svgWithAttributes(75_000, 100, { value: "on" });
    expect(data.length).toBeGreaterThan(60 * 1024 * 1024);
    for (const endpoint of ["remove", "extract"] as const) {
      const watched = await watchService(server, () => post(server, endpoint, "huge.svg", data));
      expect(watched.result.status).toBe(422);
      expect(watched.result.body["error"]).toBe(TOO_COMPLEX);
      expect(watched.result.ms).toBeLessThan(REFUSED_MS);
      expect(watched.slowestHealthMs).toBeLessThan(HEALTH_MS);
      await expectServedPromptly(server);
    }
  });

  it("the same SVG inside a ZIP is refused as quickly: a nested file has its shape checked before ExifTool reads it", { timeout: 120_000 }, async () => {
    const data = await zip([["drawings/huge.svg", svgWithAttributes(75_000, 100, { value: "on" })]]);
    expect(data.length).toBeLessThan(5 * 1024 * 1024);
    const logged = server.logs.length;
    const watched = await watchService(server, () => post(server, "remove", "drawings.zip", data));
    expect(watched.result.status).toBe(422);
    expect(watched.result.body["error"]).toBe(TOO_COMPLEX);
    expect(watched.result.ms).toBeLessThan(REFUSED_MS);
    await expect.poll(() => server.logs.slice(logged).some((l) => l.includes(TOO_COMPLEX) && /XML file holds more than 1000000 attributes/.test(l)), { timeout: LOGGED_MS }).toBe(true);
    expect(watched.slowestHealthMs).toBeLessThan(HEALTH_MS);
    await expectServedPromptly(server);
  });
});

describe("an ExifTool task ends with its request", () => {
  let slow: RunningServer;

  beforeAll(async () => {
    // One ExifTool process: a task left running past its request would hold up the next one.
    slow = await startServer({ REQUEST_TIMEOUT_SECONDS: "3", EXIFTOOL_PROCS: "1" });
  });

  afterAll(async () => {
    await slow?.stop();
  });

  it("an SVG within the limits that ExifTool reads for long is a 422 at the deadline; its process goes and the next file is served at once", { timeout: 120_000 }, async () => {
    // 800,000 attributes, no name used twice: within the shape limits, and many seconds of ExifTool.
    const data = svgWithAttributes(4000, 200, { distinct: true });
    await expectServedPromptly(slow);
    const [before] = await exiftoolPids(slow.process.pid!);
    const r = await post(slow, "extract", "slow.svg", data);
    expect(r.status).toBe(422);
    expect(r.body["error"]).toBe(TOO_COMPLEX);
    expect(r.ms).toBeLessThan(REFUSED_MS);
    await expectServedPromptly(slow);
    expect(await exiftoolPids(slow.process.pid!)).not.toContain(before);
  });
});

describe("a file that took ExifTool to its task timeout is not read again", () => {
  let short: RunningServer;

  beforeAll(async () => {
    short = await startServer({ EXIFTOOL_TASK_TIMEOUT_SECONDS: "3", EXIFTOOL_PROCS: "1" });
  });

  afterAll(async () => {
    await short?.stop();
  });

  it("the read times out once: no second ExifTool process is started for it, and the extraction says it took too long", { timeout: 120_000 }, async () => {
    const data = svgWithAttributes(4000, 200, { distinct: true });
    await expectServedPromptly(short);
    // A retry would need a new process (the timed-out one is ended): watch which ones run meanwhile.
    const seen = new Set<number>();
    let done = false;
    const watch = (async () => {
      while (!done) {
        for (const pid of await exiftoolPids(short.process.pid!)) seen.add(pid);
        await new Promise((r) => setTimeout(r, 200));
      }
    })();
    const r = await post(short, "extract", "slow.svg", data).finally(() => {
      done = true;
    });
    await watch;
    expect(r.status).toBe(200);
    expect(r.body["warnings"]).toContain("Reading this file took too long; nothing could be extracted.");
    expect(seen.size).toBe(1);
    await expectServedPromptly(short);
  });
});
