import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serviceRssKb } from "./helpers/fuzz-proc.js";
import { pdfOfTinyObjectsInStreams } from "./helpers/make-pdf-objects.js";
import { findMarker } from "./helpers/marker-scan.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { type RunningServer, startServer } from "./helpers/server.js";

/**
 * A task process gives back the memory of a large parse once its task ended, instead of keeping
 * it until its idle timeout (a minute) ends the process: a second wave of large files then starts
 * from the service's ordinary level, not from the first wave's heaps, which the work budget does
 * not count.
 *
 * Four PDFs of 150,000 objects in object streams, removed at once (the service's RSS: its process
 * and its task processes; ExifTool's and the helper programs' are not counted). With worker
 * threads, fresh services, same minutes, load 8-19: before the heap was released, 625-778 MB one
 * to twenty seconds after the wave (idle ~120 MB); after, 331-371 MB. After hundreds of ordinary
 * small removals and extractions a service sat at ~220 MB.
 */

const MARKER = "Heapafterworkmarker";
const FILES = 4;
const OBJECTS = 150_000;
/** The service's RSS a few seconds after the wave, at most. */
const AFTER_MB = 500;
/** How long it may take to come down (a busy 2-core machine; the threads let go as their tasks end). */
const WITHIN_MS = 10_000;

let dir: string;
let server: RunningServer;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-worker-memory-"));
  server = await startServer();
});

afterAll(async () => {
  await server?.stop();
  if (dir != null) await fs.rm(dir, { recursive: true, force: true });
});

const serviceMb = async (): Promise<number> => (await serviceRssKb(server.process.pid!)) / 1024;

describe("task processes after large work", () => {
  it("give back the heap of PDFs of 150,000 objects within seconds of the wave's end, not at their idle timeout", async () => {
    const files: string[] = [];
    for (let i = 0; i < FILES; i++) {
      const file = path.join(dir, `objects-${i}.pdf`);
      await fs.writeFile(file, pdfOfTinyObjectsInStreams(OBJECTS, 100_000, `${MARKER}${i}`));
      files.push(file);
    }
    const outcomes = await Promise.all(files.map((f) => removeViaApi(server, f)));
    for (const [i, outcome] of outcomes.entries()) {
      expect(outcome.status, JSON.stringify(outcome.body)).toBe(200);
      expect(await findMarker(outcome.cleaned!, `${MARKER}${i}`)).toEqual([]);
    }
    await expect.poll(serviceMb, { timeout: WITHIN_MS, interval: 500 }).toBeLessThan(AFTER_MB);
  }, 180_000);
});
