import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makePsd } from "./helpers/make-formats.js";
import { descriptor, layerBlock, list, withLayerBlocks } from "./helpers/make-psd-layers.js";
import { type RunningServer, startServer } from "./helpers/server.js";
import { watchRemoval } from "./helpers/watch-service.js";

/**
 * Placed layers' settings (SoLd) are read whole, up to 16 MB each, and rewritten around the ids
 * and paths they hold: long ones and ones full of ids must cost bounded memory and time.
 */

/** /healthz on a busy 2-core machine: the contract says under a second. */
const HEALTH_MS = 1000;
/** The service and its children together (~200 MB idle with a worker and ExifTool started). */
const TREE_MB = 480;
const TIME_ID = "c3f4ac09-178b-11e2-96eb-baebb78cce04\0";

let dir: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-hostile-placed-"));
});

afterAll(async () => {
  if (dir != null) await fs.rm(dir, { recursive: true, force: true });
});

async function removeWatched(name: string, data: Buffer) {
  const file = path.join(dir, name);
  await fs.writeFile(file, data);
  const server: RunningServer = await startServer();
  try {
    return await watchRemoval(server, file);
  } finally {
    await server.stop();
  }
}

/** A placed layer's settings block (`SoLd`: type, version, a descriptor of `items`). */
function settings(items: Parameters<typeof descriptor>[1]): Buffer {
  return layerBlock("SoLd", Buffer.concat([Buffer.from("soLD\0\0\0\x04", "latin1"), descriptor("null", items)]));
}

describe("PSD placed layers' settings", () => {
  it("five settings of 15 MB each (a transform of 1.3 million numbers) with a time-based id are cleaned within bounded memory", async () => {
    const base = await fs.readFile(await makePsd(dir, "hostile"));
    const long = settings([["Idnt", TIME_ID], ["Trnf", list("VlLs", Array<number>(1_300_000).fill(1))]]);
    const data = withLayerBlocks(base, () => Buffer.alloc(0), Buffer.concat([long, long, long, long, long]));
    const { result, peakTreeMb, slowestHealthMs } = await removeWatched("long.psd", data);
    expect(result.status, JSON.stringify(result.body)).toBe(200);
    expect(result.cleaned!.length).toBeGreaterThan(5 * 15_000_000);
    expect(result.cleaned!.includes(Buffer.from(TIME_ID, "utf16le").swap16())).toBe(false);
    expect(peakTreeMb).toBeLessThan(TREE_MB);
    expect(slowestHealthMs).toBeLessThan(HEALTH_MS);
  }, 120_000);

  it("settings holding 150,000 ids are a quick 422, not a piece of output each", async () => {
    const base = await fs.readFile(await makePsd(dir, "hostile"));
    const ids = settings(Array.from({ length: 150_000 }, (): [string, string] => ["Idnt", TIME_ID]));
    const data = withLayerBlocks(base, () => Buffer.alloc(0), ids);
    const { result, peakTreeMb, slowestHealthMs, ms } = await removeWatched("ids.psd", data);
    expect(result.status).toBe(422);
    expect(result.body["error"]).toBe("The file is too complex to process within this service's limits.");
    expect(ms).toBeLessThan(10_000);
    expect(peakTreeMb).toBeLessThan(TREE_MB);
    expect(slowestHealthMs).toBeLessThan(HEALTH_MS);
  }, 120_000);
});
