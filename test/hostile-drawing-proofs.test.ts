import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeEmf } from "./helpers/make-legacy-pictures.js";
import { emfPlusRecord, emfRecord, withEmfRecords, words } from "./helpers/make-metafile-records.js";
import { HEALTH_MS, TREE_MB } from "./helpers/quick-refusal.js";
import { type RemoveOutcome, removeViaApi } from "./helpers/remove-api.js";
import { type RunningServer, startServer } from "./helpers/server.js";
import { watchService } from "./helpers/watch-service.js";

/**
 * The proof of a cleaned drawing (proof/metafile-proof.ts) walks every record of the copy, which a
 * client shaped. It ran on the service's main thread: a 60 MB EMF of five million records held it
 * ~1.5 s, /healthz with it (1.4-1.9 s measured). It runs in the worker that cleaned the copy now.
 */

const MARKER = "proof-walk-painter";

let server: RunningServer;
let dir: string;

beforeAll(async () => {
  server = await startServer();
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-drawing-proofs-"));
});
afterAll(async () => {
  await server?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

/** `makeEmf`'s drawing with `records` before its end, and where they begin. */
function drawingWith(records: Buffer[]): { bytes: Buffer; recordsAt: number } {
  const emf = makeEmf(MARKER);
  return { bytes: withEmfRecords(emf, records), recordsAt: emf.length - 20 };
}

/** Checks a drawing came back clean, every record of it as it was. */
function expectCleaned(outcome: RemoveOutcome, drawing: { bytes: Buffer; recordsAt: number }): void {
  expect(outcome.status, JSON.stringify(outcome.body)).toBe(200);
  expect(outcome.body["remaining"]).toEqual({});
  const cleaned = outcome.cleaned!;
  for (const encoding of ["latin1", "utf16le"] as const) expect(cleaned.includes(Buffer.from(MARKER, encoding)), encoding).toBe(false);
  expect(cleaned.length).toBe(drawing.bytes.length);
  expect(cleaned.subarray(drawing.recordsAt).equals(drawing.bytes.subarray(drawing.recordsAt))).toBe(true);
}

describe("drawings whose proofs walk millions of records", () => {
  it("a 60 MB EMF of five million records and one of EMF+ comments holding 2,000 records each, sent at once, are cleaned with /healthz answering under a second", async () => {
    const setBackgroundMode = emfRecord(18, words(1));
    const records = drawingWith(Array<Buffer>(5_000_000).fill(setBackgroundMode));
    const antiAlias = Buffer.concat(Array<Buffer>(2000).fill(emfPlusRecord(0x401e, Buffer.alloc(0))));
    const comment = emfRecord(70, words(antiAlias.length + 4), Buffer.from("EMF+", "latin1"), antiAlias);
    const plus = drawingWith(Array<Buffer>(2500).fill(comment));
    const files = { records: path.join(dir, "records.emf"), plus: path.join(dir, "emf-plus-records.emf") };
    await fs.writeFile(files.records, records.bytes);
    await fs.writeFile(files.plus, plus.bytes);
    const { result, slowestHealthMs, peakTreeMb } = await watchService(server, () => Promise.all([removeViaApi(server, files.records), removeViaApi(server, files.plus)]));
    expectCleaned(result[0], records);
    expectCleaned(result[1], plus);
    expect(slowestHealthMs).toBeLessThan(HEALTH_MS);
    // Two 60 MB drawings, each read whole by its cleaner and its proof.
    expect(peakTreeMb).toBeLessThan(TREE_MB + 400);
  }, 180_000);
});
