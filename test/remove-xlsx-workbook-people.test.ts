import crypto from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findMarker } from "./helpers/marker-scan.js";
import { pivotTables, sheetValues } from "./helpers/make-pivot-xls.js";
import { CONNECTIONS, DDE_LINK, KEPT_CONNECTION_TEXT, LINK_RELS, makeWorkbookLinks, PIVOT_CACHE_PART } from "./helpers/make-workbook-links.js";
import { readZip } from "./helpers/read-archives.js";
import { cleanedCopyViaApi } from "./helpers/remove-api.js";
import { type RunningServer, startServer } from "./helpers/server.js";

/*
 * What an XLSX says of the person behind its data was copied as it was: who last refreshed a
 * pivot cache and when, who reserved the workbook, the user names, passwords, machine and folders
 * of its data connections, and the path of a linked workbook in the user's folder (also a DDE link's). They go; the
 * cells (the linked value too), the pivot table and what the connections fetch stay.
 */

let server: RunningServer;
let dir: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-workbook-people-"));
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

async function partOf(file: string, name: string): Promise<string> {
  const { members } = await readZip(await fs.readFile(file));
  const part = members.find((m) => m.name === name);
  expect(part, name).toBeDefined();
  return part!.data.toString("utf8");
}

describe("POST /api/v1/remove on an XLSX with a pivot table, data connections and an external link", () => {
  it("the refresher, reserver, connection accounts and folders and the linked file's folders go; cells, pivot table and connections stay", async () => {
    const marker = `Workbook${crypto.randomBytes(5).toString("hex")}`;
    const source = await makeWorkbookLinks(dir, marker);
    for (const part of [PIVOT_CACHE_PART, "xl/workbook.xml", CONNECTIONS, LINK_RELS, DDE_LINK]) expect(await partOf(source, part), part).toContain(marker);

    const { out } = await cleanedCopyViaApi(server, source, dir);
    expect(await findMarker(out, marker)).toEqual([]);

    const cache = await partOf(out, PIVOT_CACHE_PART);
    expect(cache).not.toMatch(/refreshed(By|Date|DateIso)=/);
    expect(cache).toMatch(/<pivotCacheDefinition [^>]*refreshedVersion="8"/);
    expect(cache).toMatch(/<pivotCacheDefinition [^>]*createdVersion="3"/);
    expect(await partOf(out, "xl/workbook.xml")).toContain("<fileSharing/>");

    const connections = await partOf(out, CONNECTIONS);
    for (const kept of KEPT_CONNECTION_TEXT) expect(connections).toContain(kept);
    expect(connections).toContain(";UID=;PWD=;Workstation ID=;");
    expect(await partOf(out, LINK_RELS)).toContain('Target="Budget.xlsx"');
    expect(await partOf(out, DDE_LINK)).toContain('ddeService="Excel" ddeTopic="[Budget.xlsx]Sheet1"');

    const values = await sheetValues(dir, source);
    expect(values).toContain("42");
    expect(await sheetValues(dir, out)).toBe(values);
    const tables = await pivotTables(dir, source);
    expect(tables).toContain('table:name="Fruit"');
    expect(await pivotTables(dir, out)).toBe(tables);
  }, 180_000);
});
