import fs from "node:fs/promises";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pngWithZtxtBomb } from "./helpers/fuzz-bombs.js";
import { tempFiles } from "./helpers/fuzz-proc.js";
import { docxNestedDeep, docxWithEmptyParagraphs, docxWithManyContentTypes, docxWithManyRelsParts, pdfWithInflatingString, svgNestedDeep, svgWithDataImages } from "./helpers/make-hostile.js";
import { postFile, type RunningServer, startServer } from "./helpers/server.js";
import { CONVERT, run } from "./helpers/tools.js";
import { watchService } from "./helpers/watch-service.js";

const MB = 1024 * 1024;
const TOO_COMPLEX = "The file is too complex to process within this service's limits.";
/** /healthz on a busy 2-core machine: the contract says under a second. */
const HEALTH_MS = 1000;
const WORKER_HEAP_MB = 160;
/** The default on a 2-core machine, fixed so that the memory bounds below hold on any machine. */
const FILES_IN_WORK = 4;

let server: RunningServer;
let dir: string;
let png: Buffer;

beforeAll(async () => {
  // A small worker heap, so that the test of a worker running out of it is quick.
  server = await startServer({ WORKER_HEAP_MB: String(WORKER_HEAP_MB), MAX_FILES_IN_WORK: String(FILES_IN_WORK) });
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-hostile-"));
  const file = path.join(dir, "dot.png");
  await run(CONVERT, ["-size", "4x4", "xc:blue", file]);
  png = await fs.readFile(file);
});

afterAll(async () => {
  await server?.stop();
  if (dir != null) await fs.rm(dir, { recursive: true, force: true });
});

async function remove(name: string, data: Buffer): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await postFile(`${server.baseUrl}/api/v1/remove`, { name, data }, { headers: { "X-API-Key": server.apiKey } });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function expectStillServing(): Promise<void> {
  expect(server.process.exitCode).toBeNull();
  const res = await postFile(`${server.baseUrl}/api/v1/remove`, { name: "dot.png", data: png }, { headers: { "X-API-Key": server.apiKey } });
  expect(res.status).toBe(200);
  await expect.poll(() => tempFiles(server.dataDir), { timeout: 10_000 }).toEqual([]);
}

describe("a file built to exhaust memory or stack fails only its own request", () => {
  it("a 45 kB DOCX holding five million empty paragraphs is a 422, the service answering meanwhile", async () => {
    const data = await docxWithEmptyParagraphs(5_000_000);
    expect(data.length).toBeLessThan(200 * 1024);
    const watched = await watchService(server, () => remove("paragraphs.docx", data));
    expect(watched.result.status).toBe(422);
    expect(watched.result.body["error"]).toBe(TOO_COMPLEX);
    expect(watched.slowestHealthMs).toBeLessThan(HEALTH_MS);
    expect(watched.peakTreeMb).toBeLessThan(1000);
    await expectStillServing();
  });

  it("a DOCX whose tree outgrows a task process's heap is a 422: the process goes, the service stays", async () => {
    const data = await docxWithManyContentTypes(99_000);
    const watched = await watchService(server, () => remove("heap.docx", data));
    expect(watched.result.status).toBe(422);
    expect(watched.result.body["error"]).toBe(TOO_COMPLEX);
    expect(watched.slowestHealthMs).toBeLessThan(HEALTH_MS);
    expect(watched.peakTreeMb).toBeLessThan(1000);
    // The log says why, in V8's words from the process's stderr.
    await expect.poll(() => server.logs.some((l) => l.includes("JavaScript heap out of memory")), { timeout: 5000 }).toBe(true);
    await expectStillServing();
  });

  it("a DOCX holding 100 MB of relationships parts: its report is made within the worker's heap, its removal is a 422", async () => {
    const data = await docxWithManyRelsParts(400, 2_000);
    const extract = await watchService(server, async () => {
      const res = await postFile(`${server.baseUrl}/api/v1/extract`, { name: "rels.docx", data }, { headers: { "X-API-Key": server.apiKey } });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    });
    expect(extract.result.status, JSON.stringify(extract.result.body).slice(0, 300)).toBe(200);
    expect(extract.slowestHealthMs).toBeLessThan(HEALTH_MS);
    const removal = await watchService(server, () => remove("rels.docx", data));
    expect(removal.result.status).toBe(422);
    expect(removal.result.body["error"]).toBe(TOO_COMPLEX);
    expect(removal.slowestHealthMs).toBeLessThan(HEALTH_MS);
    expect(Math.max(extract.peakTreeMb, removal.peakTreeMb)).toBeLessThan(1000);
    await expectStillServing();
  });

  it.each([
    ["an SVG nested 5,000 deep", "deep.svg", () => Promise.resolve(svgNestedDeep(5_000))],
    ["a UTF-16 SVG nested 5,000 deep", "deep16.svg", () => Promise.resolve(Buffer.from(`\uFEFF${svgNestedDeep(5_000).toString("utf8")}`, "utf16le"))],
    ["a DOCX whose body nests 20,000 deep", "deep.docx", () => docxNestedDeep(20_000)],
  ])("%s is a 422, never a stack overflow's 500", async (_label, name, make) => {
    const watched = await watchService(server, async () => remove(name, await make()));
    expect(watched.result.status).toBe(422);
    expect(watched.result.body["error"]).toBe(TOO_COMPLEX);
    expect(watched.slowestHealthMs).toBeLessThan(HEALTH_MS);
    await expectStillServing();
  });

  it("six PDFs at once, each with a string inflating to 100 MB: refused or busy, within a memory bound", { timeout: 180_000 }, async () => {
    const data = pdfWithInflatingString(100 * MB);
    expect(data.length).toBeLessThan(200 * 1024);
    const watched = await watchService(server, () => Promise.all(Array.from({ length: 6 }, (_, i) => remove(`string-${i}.pdf`, data))));
    for (const r of watched.result) expect([422, 503]).toContain(r.status);
    expect(watched.slowestHealthMs).toBeLessThan(HEALTH_MS);
    // The bound by design: at most FILES_IN_WORK files in work, each with one qpdf capped at 512 MB
    // of address space, beside the service.
    expect(watched.peakTreeMb).toBeLessThan(3000);
    await expectStillServing();
  });
});

describe("results stay bounded", () => {
  it("a 24 kB PNG whose zTXt inflates to 25 MB: each value cut to 1 MiB, said in warnings, stored and returned alike", async () => {
    const data = await pngWithZtxtBomb(png, 25 * MB);
    expect(data.length).toBeLessThan(64 * 1024);
    const res = await postFile(`${server.baseUrl}/api/v1/extract`, { name: "ztxt.png", data }, { headers: { "X-API-Key": server.apiKey } });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text.length).toBeLessThan(2 * MB);
    const body = JSON.parse(text) as { uuid: string; warnings: string[]; metadata: Record<string, Record<string, unknown>> };
    expect(body.warnings.some((w) => /was cut to 1 MiB/.test(w))).toBe(true);
    const values = Object.values(body.metadata).flatMap((g) => Object.values(g));
    expect(values.some((v) => typeof v === "string" && Buffer.byteLength(v) > 1000 * 1024 && Buffer.byteLength(v) <= MB)).toBe(true);
    const stored = await fetch(`${server.baseUrl}/api/v1/extract/${body.uuid}`);
    expect((await stored.text()).length).toBeLessThan(2 * MB);
  });
});

describe("work nobody waits for stops", () => {
  it("an SVG with thousands of inner images abandoned by its client: its work stops and its temp files go", async () => {
    const data = svgWithDataImages(3000, png);
    const hungUp = hangUpDuringRemoval(server, "many.svg", data, 1500);
    await hungUp;
    // The removal's workers, programs and ExifTool tasks stop: a small file is served at once,
    // and the abandoned request's temp files are gone.
    const started = Date.now();
    await expectStillServing();
    expect(Date.now() - started).toBeLessThan(15_000);
    await expect.poll(() => server.logs.some((l) => l.includes("client closed the connection")), { timeout: 10_000 }).toBe(true);
  });
});

/** Posts `data` for removal with node:http, and closes the connection `afterMs` after the upload. */
function hangUpDuringRemoval(target: RunningServer, name: string, data: Buffer, afterMs: number): Promise<void> {
  const boundary = "----exifapi-hostile";
  const body = Buffer.concat([
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${name}"\r\nContent-Type: application/octet-stream\r\n\r\n`),
    data,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
  return new Promise((resolve, reject) => {
    const req = http.request(`${target.baseUrl}/api/v1/remove`, {
      method: "POST",
      headers: { "X-API-Key": target.apiKey, "Content-Type": `multipart/form-data; boundary=${boundary}`, "Content-Length": body.length },
    });
    req.on("response", () => reject(new Error("the service answered before the client hung up")));
    req.on("error", () => undefined);
    req.end(body, () => {
      setTimeout(() => {
        req.destroy();
        resolve();
      }, afterMs);
    });
  });
}
