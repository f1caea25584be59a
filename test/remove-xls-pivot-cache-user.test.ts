import crypto from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import CFB from "cfb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { legacyOfficeText } from "./helpers/make-legacy-office.js";
import { cacheRecords, makePivotXls, PIVOT_CACHE, pivotTables, refreshDate, refreshedBy } from "./helpers/make-pivot-xls.js";
import { findMarker } from "./helpers/marker-scan.js";
import { cleanedCopyViaApi, removeViaApi } from "./helpers/remove-api.js";
import { type RunningServer, startServer } from "./helpers/server.js";

/*
 * An Excel 97-2003 workbook's pivot caches (the `_SX_DB_CUR` storage's streams) were copied as
 * they were: the first record of each (SXDB) names the user who last refreshed the cache, the
 * second (SXDBEx) gives when. The name becomes spaces, the date zero; every other byte of the
 * cache stays, and the pivot table reads the same.
 */

let server: RunningServer;
let dir: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-pivot-cache-"));
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

async function cacheOf(file: string): Promise<Array<{ type: number; body: Buffer }>> {
  const e = CFB.find(CFB.read(await fs.readFile(file), { type: "buffer" }), PIVOT_CACHE);
  expect(e?.content, file).toBeDefined();
  return cacheRecords(Buffer.from(e!.content));
}

describe("POST /api/v1/remove on an Excel 97-2003 workbook with a pivot table", () => {
  it.each([
    ["one byte", false],
    ["two bytes", true],
  ])("the user who last refreshed its cache (%s a character) is blanked, its refresh date zeroed; cells, cache and pivot table stay", async (_, wide) => {
    const marker = `Pivot${crypto.randomBytes(5).toString("hex")}`;
    const source = await makePivotXls(dir, `${marker} refresher`, wide);
    expect(await findMarker(source, marker)).not.toEqual([]);
    const before = await cacheOf(source);
    expect(refreshedBy(before)).toBe(`${marker} refresher`);
    expect(refreshDate(before)).not.toBe(0);

    const { out } = await cleanedCopyViaApi(server, source, dir);
    expect(await findMarker(out, marker)).toEqual([]);

    const after = await cacheOf(out);
    expect(refreshedBy(after)).toBe(" ".repeat(`${marker} refresher`.length));
    expect(refreshDate(after)).toBe(0);
    // Every record of the cache as it was, but for the name and the date.
    expect(after.map((r) => [r.type, r.body.length])).toEqual(before.map((r) => [r.type, r.body.length]));
    expect(after[0]!.body.subarray(0, 18)).toEqual(before[0]!.body.subarray(0, 18));
    expect(after[1]!.body.subarray(8)).toEqual(before[1]!.body.subarray(8));
    expect(after.slice(2)).toEqual(before.slice(2));

    expect(await legacyOfficeText(dir, "xls", out)).toBe(await legacyOfficeText(dir, "xls", source));
    const tables = await pivotTables(dir, source);
    expect(tables).toContain('table:name="Fruit"');
    expect(await pivotTables(dir, out)).toBe(tables);
  }, 180_000);

  it("a pivot cache stream that does not start with its header is refused, not copied", async () => {
    const source = await makePivotXls(dir, "someone", false);
    const doc = CFB.read(await fs.readFile(source), { type: "buffer" });
    const cache = CFB.find(doc, PIVOT_CACHE)!;
    // The cache's records from its third on: no SXDB, so no way to tell where a name would be.
    const [sxdb, sxdbEx] = cacheRecords(Buffer.from(cache.content));
    const rest = Buffer.from(cache.content).subarray(4 + sxdb!.body.length + 4 + sxdbEx!.body.length);
    expect(rest.readUInt16LE(0)).not.toBe(0x00c6);
    cache.content = rest;
    cache.size = rest.length;
    const file = path.join(dir, "headless-cache.xls");
    await fs.writeFile(file, CFB.write(doc, { type: "buffer", fileType: "cfb" }) as Buffer);
    const { status, body } = await removeViaApi(server, file, "headless-cache.xls");
    expect(`${status} ${String(body["error"])}`).toBe("422 The workbook holds a pivot table cache that this service cannot read.");
  }, 120_000);
});
