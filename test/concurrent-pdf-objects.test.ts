import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempFiles } from "./helpers/fuzz-proc.js";
import { handZip } from "./helpers/make-archives.js";
import { pdfOfTinyObjectsInStreams } from "./helpers/make-pdf-objects.js";
import { findMarker } from "./helpers/marker-scan.js";
import { HEALTH_MS } from "./helpers/quick-refusal.js";
import { type RemoveOutcome, removeViaApi } from "./helpers/remove-api.js";
import { postFile, type RunningServer, startServer } from "./helpers/server.js";
import { watchService } from "./helpers/watch-service.js";

/**
 * PDFs of many objects weigh in the work budget as the memory their objects take, not as their
 * size: sent at once, they wait for each other instead of all holding their objects together.
 *
 * The budget is lowered to 400 MB so that four PDFs of 150,000 objects in object streams (1 MB
 * each, ~330 MB each by their weight) cannot run together; on the defaults (1,024 MB) the same
 * holds of PDFs of 300,000 objects, which take longer. Weighed by their size, the four ran at once
 * and the service's tree reached ~1,280 MB; one at a time 670-800 MB (fresh services, same minutes).
 */

const MARKER = "Concurrentobjectsmarker";
const FILES = 4;
const OBJECTS = 150_000;
/** The service and its children, one such removal at a time (~200 MB idle, each worker keeping some of its heap). */
const TREE_MB = 1000;

let dir: string;
let server: RunningServer;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-concurrent-pdf-objects-"));
  server = await startServer({ MAX_MB_IN_WORK: "400" });
});

afterAll(async () => {
  await server?.stop();
  if (dir != null) await fs.rm(dir, { recursive: true, force: true });
});

/**
 * Removes `file`; a 503 (the service busy past half the request's deadline, on a loaded machine)
 * must say when to try again, and is tried again then.
 */
async function removeOrRetry(file: string): Promise<RemoveOutcome> {
  for (;;) {
    const outcome = await removeViaApi(server, file);
    if (outcome.status !== 503) return outcome;
    expect(outcome.retryAfter).toMatch(/^\d+$/);
    await new Promise((r) => setTimeout(r, Number(outcome.retryAfter) * 1000));
  }
}

/** Each of `files` removed at once (503s retried), all cleaned of their marker within the bounds. */
async function expectAllCleanedInTurn(files: readonly string[]): Promise<void> {
  const { result, peakTreeMb, slowestHealthMs } = await watchService(server, () => Promise.all(files.map(removeOrRetry)));
  for (const [i, outcome] of result.entries()) {
    expect(outcome.status, JSON.stringify(outcome.body)).toBe(200);
    expect(await findMarker(files[i]!, `${MARKER}${i}`)).not.toEqual([]);
    expect(await findMarker(outcome.cleaned!, `${MARKER}${i}`)).toEqual([]);
  }
  expect(peakTreeMb).toBeLessThan(TREE_MB);
  expect(slowestHealthMs).toBeLessThan(HEALTH_MS);
  await expect.poll(() => tempFiles(server.dataDir), { timeout: 10_000 }).toEqual([]);
}

describe("PDFs of many objects sent at once", () => {
  it("four of 150,000 objects each are all cleaned, one after another, within bounded memory", async () => {
    const files: string[] = [];
    for (let i = 0; i < FILES; i++) {
      const file = path.join(dir, `objects-${i}.pdf`);
      await fs.writeFile(file, pdfOfTinyObjectsInStreams(OBJECTS, 100_000, `${MARKER}${i}`));
      files.push(file);
    }
    await expectAllCleanedInTurn(files);
  }, 120_000);

  it("four ZIPs each holding one weigh as their PDF does once the PDF is screened inside (before: 2,027 MB for four of 300,000 objects on the defaults)", async () => {
    const files: string[] = [];
    for (let i = 0; i < FILES; i++) {
      const file = path.join(dir, `objects-${i}.zip`);
      await fs.writeFile(file, handZip([{ name: `objects-${i}.pdf`, data: pdfOfTinyObjectsInStreams(OBJECTS, 100_000, `${MARKER}${i}`) }]));
      files.push(file);
    }
    await expectAllCleanedInTurn(files);
  }, 120_000);
});

/** A gauge's value on the service's /metrics. */
async function gauge(on: RunningServer, name: string): Promise<number> {
  const text = await (await fetch(`${on.baseUrl}/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith(`${name} `));
  return Number(line?.slice(name.length + 1));
}

describe("a file inside that waits for room longer than the queue's patience", () => {
  let patient: RunningServer | undefined;
  afterAll(async () => {
    await patient?.stop();
  });

  it("is told the service is busy (503 with Retry-After) within the request's patience, as the file itself would be, not an error (before: 500; then, waiting afresh from its inner PDF, the deadline's 422)", async () => {
    // Each PDF weighs ~690 MB in the budget: within 1,000 MB, the second ZIP's PDF waits for the
    // room the first ZIP holds while it cleans its six (~11 s of CPU each), until its deadline.
    // The waiting one has half its own deadline for room, counted from its start: its ZIP is
    // unpacked and its PDF screened before it asks (~8 s on a loaded machine), and waiting half
    // its deadline afresh from there outlasted the holder's deadline; it then got the room with
    // too little time left to clean its PDF, a 422.
    const deadlineS = 60;
    const patienceMs = (deadlineS / 2) * 1000;
    patient = await startServer({ MAX_MB_IN_WORK: "1000", REQUEST_TIMEOUT_SECONDS: String(deadlineS) });
    const pdf = pdfOfTinyObjectsInStreams(2 * OBJECTS, 100_000, MARKER);
    const holder = handZip(Array.from({ length: 6 }, (_, i) => ({ name: `held-${i}.pdf`, data: pdf })));
    const waiter = path.join(dir, "waiter.zip");
    await fs.writeFile(waiter, handZip([{ name: "waiting.pdf", data: pdf }]));

    const hangUp = new AbortController();
    const holding = postFile(`${patient.baseUrl}/api/v1/remove`, { name: "holder.zip", data: holder }, { headers: { "X-API-Key": patient.apiKey }, signal: hangUp.signal });
    holding.catch(() => undefined);
    // The holder's deadline starts once it is uploaded and in work; it grows its room for its
    // first PDF well within half of it (5-15 s at load 20 on 2 cores), so it still holds the room
    // when the waiting one's patience ends.
    await expect.poll(() => gauge(patient!, "exifapi_work_files"), { timeout: 60_000, interval: 100 }).toBe(1);
    await expect.poll(() => gauge(patient!, "exifapi_work_bytes"), { timeout: patienceMs - 5000, interval: 100 }).toBeGreaterThan(600 * 1024 * 1024);
    const sent = performance.now();
    const waited = await removeViaApi(patient, waiter);
    expect(waited.status, JSON.stringify(waited.body)).toBe(503);
    expect(waited.body["error"]).toMatch(/busy/i);
    expect(waited.retryAfter).toMatch(/^\d+$/);
    // Its upload and its answer's way back take the rest (0.7 s at load 18 on 2 cores).
    expect(performance.now() - sent).toBeLessThan(patienceMs + 5000);
    // The holder, hung up on rather than left to its deadline, gives its room back.
    hangUp.abort();
    await expect.poll(() => gauge(patient!, "exifapi_work_files"), { timeout: 30_000, interval: 100 }).toBe(0);
  }, 180_000);
});
