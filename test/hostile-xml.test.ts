import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempFiles } from "./helpers/fuzz-proc.js";
import { docxWithManyAttributes, svgWithAttributes } from "./helpers/make-hostile.js";
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

describe("XML is judged by its attributes too, before a DOM is built", () => {
  it("an SVG of 12,000 groups holding 100 attributes each (1.2 million) is a 422 from the shape check", async () => {
    const data = svgWithAttributes(12_000, 100);
    const watched = await watchService(server, () => post(server, "remove", "attributes.svg", data));
    expect(watched.result.status).toBe(422);
    expect(watched.result.body["error"]).toBe(TOO_COMPLEX);
    expect(refusedFor(server, /more than 1000000 attributes/)).toBe(true);
    expect(watched.slowestHealthMs).toBeLessThan(HEALTH_MS);
    await expectServedPromptly(server);
  });

  it("an SVG element holding 1,000 attributes is a 422 (ExifTool reads such elements slowest)", async () => {
    const r = await post(server, "remove", "wide.svg", svgWithAttributes(10, 1000));
    expect(r.status).toBe(422);
    expect(r.body["error"]).toBe(TOO_COMPLEX);
    expect(refusedFor(server, /an element with more than 256 attributes/)).toBe(true);
  });

  it("a DOCX whose content types hold 1.1 million attributes is a 422 from the shape check, not the worker's heap", async () => {
    const data = await docxWithManyAttributes(110_000, 10);
    expect(data.length).toBeLessThan(1024 * 1024);
    const watched = await watchService(server, () => post(server, "remove", "attributes.docx", data));
    expect(watched.result.status).toBe(422);
    expect(watched.result.body["error"]).toBe(TOO_COMPLEX);
    expect(refusedFor(server, /\[Content_Types\]\.xml holds more than 1000000 attributes/)).toBe(true);
    expect(watched.slowestHealthMs).toBeLessThan(HEALTH_MS);
    await expectServedPromptly(server);
  });
});
