import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempFiles } from "./helpers/fuzz-proc.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { type RunningServer, startServer } from "./helpers/server.js";
import { watchService } from "./helpers/watch-service.js";

/**
 * Files built against this session's new code paths (RTF's destination allow-list, PSD layers
 * and smart objects, Illustrator EPS): each a valid or a hostile file that cost the service far
 * more memory than its size, or a refusal, before it was fixed.
 */

/** /healthz on a busy 2-core machine: the contract says under a second. */
const HEALTH_MS = 1000;
/** The service and its children together (~200 MB idle with a worker and ExifTool started). */
const TREE_MB = 600;

let server: RunningServer;
let dir: string;

beforeAll(async () => {
  server = await startServer();
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-hostile-paths-"));
});

afterAll(async () => {
  await server?.stop();
  if (dir != null) await fs.rm(dir, { recursive: true, force: true });
});

async function removeWatched(name: string, data: Buffer | string) {
  const file = path.join(dir, name);
  await fs.writeFile(file, data);
  const watched = await watchService(server, () => removeViaApi(server, file));
  await expect.poll(() => tempFiles(server.dataDir), { timeout: 10_000 }).toEqual([]);
  return watched;
}

describe("RTF", () => {
  it("a 6 MB document of three million empty groups is cleaned within fixed memory (was a worker out of memory, 422)", async () => {
    const { result, peakTreeMb, slowestHealthMs } = await removeWatched("groups.rtf", `{\\rtf1\\ansi ${"{}".repeat(3_000_000)}hello}`);
    expect(result.status, JSON.stringify(result.body)).toBe(200);
    expect(result.cleaned!.toString("latin1")).toContain("hello}");
    expect(peakTreeMb).toBeLessThan(TREE_MB);
    expect(slowestHealthMs).toBeLessThan(HEALTH_MS);
  }, 120_000);
});
