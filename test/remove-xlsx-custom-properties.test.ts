import crypto from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { soffice } from "./helpers/make-legacy-office.js";
import { contentTypes, OD, rels, XML, zip } from "./helpers/make-office.js";
import { findMarker } from "./helpers/marker-scan.js";
import { readZip } from "./helpers/read-archives.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { type RunningServer, startServer } from "./helpers/server.js";

/*
 * A sheet's custom properties (`<customProperties>`, each value a `customProperty` part: what an
 * add-in or a macro stored with the sheet) made the workbook a 422, "an embedded file that
 * cannot be cleaned". They go with the rest of the package's metadata: the parts, their
 * relationships and content types, the sheet's list of them; the cells stay.
 */

let server: RunningServer;
let dir: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-xlsx-custom-"));
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

const S = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
const SHEET_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml";

/** A workbook of one sheet whose two custom properties carry the marker: in a name and, UTF-16, in a value. */
function workbookWithCustomProperties(m: string): Promise<Buffer> {
  const sheet = `${XML}<worksheet xmlns="${S}" xmlns:r="${OD}"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>Alpha cell</t></is></c><c r="B1"><v>42</v></c></row></sheetData><customProperties><customPr name="${m}Name" r:id="rId1"/><customPr name="Server" r:id="rId2"/></customProperties></worksheet>`;
  return zip([
    ["[Content_Types].xml", contentTypes([
      ["/xl/workbook.xml", `${SHEET_TYPE}.sheet.main+xml`],
      ["/xl/worksheets/sheet1.xml", `${SHEET_TYPE}.worksheet+xml`],
    ])],
    ["_rels/.rels", rels([["rId1", `${OD}/officeDocument`, "xl/workbook.xml"]])],
    ["xl/workbook.xml", `${XML}<workbook xmlns="${S}" xmlns:r="${OD}"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>`],
    ["xl/_rels/workbook.xml.rels", rels([["rId1", `${OD}/worksheet`, "worksheets/sheet1.xml"]])],
    ["xl/worksheets/sheet1.xml", sheet],
    ["xl/worksheets/_rels/sheet1.xml.rels", rels([
      ["rId1", `${OD}/customProperty`, "../customProperty1.bin"],
      ["rId2", `${OD}/customProperty`, "../customProperty2.bin"],
    ])],
    ["xl/customProperty1.bin", Buffer.from(`{${m}-connection}`, "utf16le")],
    ["xl/customProperty2.bin", Buffer.from(`\\\\essbase-${m}.example.com\\Sample`, "utf16le")],
  ]);
}

/** The sheets as LibreOffice reads them, one CSV each. */
async function libreOfficeCsv(file: string): Promise<string> {
  const work = path.join(dir, `csv-${crypto.randomUUID()}`);
  await fs.mkdir(work);
  const copy = path.join(work, "book.xlsx");
  await fs.copyFile(file, copy);
  await soffice(work, ["--convert-to", "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1", "--outdir", work, copy]);
  const names = (await fs.readdir(work)).filter((n) => n.endsWith(".csv")).sort();
  return (await Promise.all(names.map((n) => fs.readFile(path.join(work, n), "utf8")))).join("\n---\n");
}

async function save(bytes: Buffer, name: string): Promise<string> {
  const file = path.join(dir, `${crypto.randomUUID()}-${name}`);
  await fs.writeFile(file, bytes);
  return file;
}

describe("POST /api/v1/remove on an Excel workbook with sheet custom properties", () => {
  it("hand-built: the properties' parts, relationships and list go with their marker; the cells stay", async () => {
    const marker = `Custpr${crypto.randomBytes(5).toString("hex")}`;
    const file = await save(await workbookWithCustomProperties(marker), "custom.xlsx");
    const { status, body, cleaned } = await removeViaApi(server, file, "custom.xlsx");
    expect(status, JSON.stringify(body)).toBe(200);
    expect(await findMarker(cleaned!, marker)).toEqual([]);
    const { members } = await readZip(cleaned!);
    expect(members.map((m) => m.name).filter((n) => /customProperty/i.test(n))).toEqual([]);
    const part = (name: string): string => members.find((m) => m.name === name)?.data.toString("utf8") ?? "";
    expect(part("xl/worksheets/sheet1.xml")).not.toContain("customPr");
    expect(part("xl/worksheets/_rels/sheet1.xml.rels")).not.toContain("customProperty");
    expect(await libreOfficeCsv(await save(cleaned!, "cleaned.xlsx"))).toBe(await libreOfficeCsv(file));
  }, 120_000);

  it("Excel's own workbook with Hyperion Smart View's eleven properties (Apache POI's HsGetVal.xlsx): 200, the properties gone, the cells as they were", async () => {
    const file = path.join(import.meta.dirname, "fixtures", "xlsx", "hyperion-custom-properties.xlsx");
    const before = await readZip(await fs.readFile(file));
    expect(before.members.filter((m) => /^xl\/customProperty\d+\.bin$/.test(m.name))).toHaveLength(11);
    const { status, body, cleaned } = await removeViaApi(server, file, "hyperion.xlsx");
    expect(status, JSON.stringify(body)).toBe(200);
    expect(await findMarker(cleaned!, "HyperionPOVXML")).toEqual([]);
    expect(await findMarker(cleaned!, "isEssbaseParity")).toEqual([]);
    const after = await readZip(cleaned!);
    expect(after.members.map((m) => m.name).filter((n) => /customProperty/i.test(n))).toEqual([]);
    // The cells byte for byte, and the strings they show. (LibreOffice recalculates a workbook
    // whose properties no longer name Excel, turning the Hyperion functions' cached values into
    // errors: the values stored are the same.)
    const cells = (zipped: typeof before, name: string): string => /<sheetData[^]*<\/sheetData>/.exec(zipped.members.find((m) => m.name === name)?.data.toString("utf8") ?? "")?.[0] ?? "";
    for (const sheet of ["xl/worksheets/sheet1.xml", "xl/worksheets/sheet2.xml", "xl/worksheets/sheet3.xml"]) expect(cells(after, sheet), sheet).toBe(cells(before, sheet));
    expect(cells(before, "xl/worksheets/sheet1.xml")).toContain("<v>");
    const strings = (zipped: typeof before): Buffer | undefined => zipped.members.find((m) => m.name === "xl/sharedStrings.xml")?.data;
    expect(strings(after)).toEqual(strings(before));
  }, 120_000);
});
