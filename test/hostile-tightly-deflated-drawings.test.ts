import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import zlib from "node:zlib";
import { zlibAsync } from "@gfx/zopfli";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeLegacyOfficeWithBlips, makeWmf, metafileBlip } from "./helpers/make-legacy-pictures.js";
import { withWmfRecords, wmfRecord } from "./helpers/make-metafile-records.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { type RunningServer, startServer } from "./helpers/server.js";

let server: RunningServer;
let dir: string;

beforeAll(async () => {
  server = await startServer();
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-tight-drawings-"));
});
afterAll(async () => {
  await server?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

/** A 250 KB WMF of polylines through scattered points, with a comment to clean: Zopfli deflates it ~10% tighter than zlib. */
function scatteredWmf(): Buffer {
  const lines: Buffer[] = [];
  let seed = 7;
  for (let i = 0; i < 2000; i++) {
    const points = Buffer.alloc(2 + 4 * 30);
    points.writeUInt16LE(30, 0);
    for (let j = 0; j < 60; j++) {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      points.writeInt16LE((seed >> 16) % 100, 2 + 2 * j);
    }
    lines.push(wmfRecord(0x0325, points));
  }
  return withWmfRecords(makeWmf("TIGHTZ"), lines, 0);
}

describe("a Word document of many drawings deflated tighter than zlib can", () => {
  it("is refused as too complex once its drawings to deflate again by Zopfli pass 1 MB, in seconds rather than the minute deflating all of them would take", async () => {
    const wmf = scatteredWmf();
    const tight = Buffer.from(await zlibAsync(wmf, { numiterations: 15 }));
    expect(tight.length).toBeLessThan(zlib.deflateSync(wmf, { level: 9 }).length);
    const blip = metafileBlip("wmf", wmf);
    const payload = Buffer.concat([blip.payload.subarray(0, 34), tight]);
    payload.writeUInt32LE(tight.length, 28);
    // 24 drawings of 250 KB: Zopfli would take ~1.5 s of CPU for each.
    const file = await makeLegacyOfficeWithBlips(dir, "doc", "TIGHTZ", Array.from({ length: 24 }, () => ({ ...blip, payload })));
    const started = Date.now();
    const { status, body } = await removeViaApi(server, file);
    expect(status, JSON.stringify(body)).toBe(422);
    expect(JSON.stringify(body)).not.toMatch(/\/tmp|deflate-to-fit|at .*\.js/);
    expect(Date.now() - started).toBeLessThan(25_000);
  }, 300_000);
});
