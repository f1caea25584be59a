import crypto from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { contentTypes, OD, rels, XML, zip } from "./helpers/make-office.js";
import { findMarker } from "./helpers/marker-scan.js";
import { readZip } from "./helpers/read-archives.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { type RunningServer, startServer } from "./helpers/server.js";

/*
 * Google Sheets exports a workbook with a binary part of its own (`xl/metadata`, related by
 * Google's `workbookmetadata` type), which made the workbook a 422, "an embedded file that
 * cannot be cleaned". It is Google's metadata, which Excel does not read: it goes with the
 * package's other metadata; the cells stay.
 */

let server: RunningServer;
let dir: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-xlsx-google-"));
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

const S = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
const GOOGLE = "http://customschemas.google.com/relationships/workbookmetadata";

const sheetData = (zipped: Awaited<ReturnType<typeof readZip>>, name: string): string =>
  /<sheetData[^]*<\/sheetData>/.exec(zipped.members.find((m) => m.name === name)?.data.toString("utf8") ?? "")?.[0] ?? "";

describe("POST /api/v1/remove on a workbook exported by Google Sheets", () => {
  it("hand-built: Google's metadata part and its relationship go with their marker, the cells stay", async () => {
    const marker = `Gsheet${crypto.randomBytes(5).toString("hex")}`;
    const bytes = await zip([
      ["[Content_Types].xml", contentTypes([
        ["/xl/workbook.xml", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"],
        ["/xl/worksheets/sheet1.xml", "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"],
      ])],
      ["_rels/.rels", rels([["rId1", `${OD}/officeDocument`, "xl/workbook.xml"]])],
      ["xl/workbook.xml", `${XML}<workbook xmlns="${S}" xmlns:r="${OD}"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>`],
      ["xl/_rels/workbook.xml.rels", rels([["rId1", `${OD}/worksheet`, "worksheets/sheet1.xml"], ["rId2", GOOGLE, "metadata"]])],
      ["xl/worksheets/sheet1.xml", `${XML}<worksheet xmlns="${S}"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>Alpha cell</t></is></c></row></sheetData></worksheet>`],
      ["xl/metadata", Buffer.concat([Buffer.from([0x0a, 0x20]), Buffer.from(`${marker}@example.com`), crypto.randomBytes(64)])],
    ]);
    const file = path.join(dir, "google.xlsx");
    await fs.writeFile(file, bytes);
    const { status, body, cleaned } = await removeViaApi(server, file, "google.xlsx");
    expect(status, JSON.stringify(body)).toBe(200);
    expect(await findMarker(cleaned!, marker)).toEqual([]);
    const after = await readZip(cleaned!);
    expect(after.members.map((m) => m.name)).not.toContain("xl/metadata");
    expect(after.members.find((m) => m.name === "xl/_rels/workbook.xml.rels")?.data.toString()).not.toContain("customschemas.google.com");
    expect(sheetData(after, "xl/worksheets/sheet1.xml")).toBe(sheetData(await readZip(bytes), "xl/worksheets/sheet1.xml"));
  }, 120_000);

  it("Google's own export (Apache POI's 64750.xlsx): 200, its metadata part and author gone, both sheets' cells as they were", async () => {
    const file = path.join(import.meta.dirname, "fixtures", "xlsx", "google-sheets-export.xlsx");
    const before = await readZip(await fs.readFile(file));
    expect(before.members.map((m) => m.name)).toContain("xl/metadata");
    const { status, body, cleaned } = await removeViaApi(server, file, "export.xlsx");
    expect(status, JSON.stringify(body)).toBe(200);
    const after = await readZip(cleaned!);
    expect(after.members.map((m) => m.name)).not.toContain("xl/metadata");
    expect(await findMarker(cleaned!, "Stuart")).toEqual([]);
    for (const sheet of ["xl/worksheets/sheet1.xml", "xl/worksheets/sheet2.xml"]) {
      expect(sheetData(before, sheet).length, sheet).toBeGreaterThan(1000);
      expect(sheetData(after, sheet), sheet).toBe(sheetData(before, sheet));
    }
  }, 120_000);
});
