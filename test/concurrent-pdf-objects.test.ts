import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempFiles } from "./helpers/fuzz-proc.js";
import { pdfOfTinyObjectsInStreams } from "./helpers/make-pdf-objects.js";
import { findMarker } from "./helpers/marker-scan.js";
import { HEALTH_MS } from "./helpers/quick-refusal.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { type RunningServer, startServer } from "./helpers/server.js";
import { watchService } from "./helpers/watch-service.js";

/**
 * PDFs of many objects weigh in the work budget as the memory their objects take, not as their
 * size: sent at once, they wait for each other instead of all holding their objects together.
 *
 * The budget is lowered to 500 MB so that four PDFs of 200,000 objects in object streams (1.3 MB
 * each, ~460 MB each by their weight) cannot run together; on the defaults (1,024 MB) the same
 * holds of PDFs of 300,000 objects, which take longer. Weighed by their size, the four ran at once
 * and the service's tree reached ~1,530 MB; one at a time ~940 MB (fresh services, same minutes).
 */

const MARKER = "Concurrentobjectsmarker";
const FILES = 4;
/** The service and its children, one such removal at a time (~200 MB idle, each worker keeping some of its heap). */
const TREE_MB = 1200;

let dir: string;
let server: RunningServer;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-concurrent-pdf-objects-"));
  server = await startServer({ MAX_MB_IN_WORK: "500" });
});

afterAll(async () => {
  await server?.stop();
  if (dir != null) await fs.rm(dir, { recursive: true, force: true });
});

describe("PDFs of many objects sent at once", () => {
  it("four of 200,000 objects each are all cleaned, one after another, within bounded memory", async () => {
    const files: string[] = [];
    for (let i = 0; i < FILES; i++) {
      const file = path.join(dir, `objects-${i}.pdf`);
      await fs.writeFile(file, pdfOfTinyObjectsInStreams(200_000, 100_000, `${MARKER}${i}`));
      files.push(file);
    }
    const { result, peakTreeMb, slowestHealthMs } = await watchService(server, () => Promise.all(files.map((file) => removeViaApi(server, file))));
    for (const [i, outcome] of result.entries()) {
      expect(outcome.status, JSON.stringify(outcome.body)).toBe(200);
      expect(await findMarker(files[i]!, `${MARKER}${i}`)).not.toEqual([]);
      expect(await findMarker(outcome.cleaned!, `${MARKER}${i}`)).toEqual([]);
    }
    expect(peakTreeMb).toBeLessThan(TREE_MB);
    expect(slowestHealthMs).toBeLessThan(HEALTH_MS);
    await expect.poll(() => tempFiles(server.dataDir), { timeout: 10_000 }).toEqual([]);
  }, 120_000);
});
