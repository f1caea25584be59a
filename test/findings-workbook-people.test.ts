import crypto from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import * as XLSX from "@e965/xlsx";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { handZip } from "./helpers/make-archives.js";
import { makeWorkbookLinks } from "./helpers/make-workbook-links.js";
import { makeXlsb, userBookView, withUserViews } from "./helpers/make-xlsb.js";
import { readZip } from "./helpers/read-archives.js";
import { findingsViaApi, type RunningServer, startServer } from "./helpers/server.js";

/*
 * What an Excel workbook says of its author outside its properties: the folder it was last saved
 * in, the user who reserved it for writing and who last refreshed its pivot caches, in an XLSX's
 * XML and in an XLSB's records, and a shared workbook's personal views, which Excel names after
 * their users; for an XLSB also its notes and their authors, as for an XLSX.
 */

let server: RunningServer;
let dir: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-findings-workbook-"));
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

const FOLDER = "The workbook names the folder it was last saved in.";
const RESERVER = "The workbook names the user who reserved it for writing.";
const REFRESHER = "The workbook names who last refreshed its pivot tables' data.";
const VIEWS = "The workbook's personal views are named after the people who made them.";

describe("POST /api/v1/extract on Excel workbooks", () => {
  it("an XLSX (LibreOffice's, with a pivot table): who last refreshed its pivot cache is a finding", async () => {
    const marker = `WBP${crypto.randomBytes(4).toString("hex")}`;
    const findings = await findingsViaApi(server, "pivot.xlsx", await fs.readFile(await makeWorkbookLinks(dir, marker)));
    expect(findings.find((f) => f.title === REFRESHER)).toMatchObject({ kind: "hidden", value: `${marker} refresher` });
  }, 120_000);

  it("an XLSB: its saved folder, its reserving user, its pivot cache's refresher and its note with its author are findings", async () => {
    const marker = `WBF${crypto.randomBytes(4).toString("hex")}`;
    const findings = await findingsViaApi(server, "budget.xlsb", await makeXlsb(marker, { noteAuthor: `${marker}Author` }));
    expect(findings.find((f) => f.title === FOLDER)).toMatchObject({ kind: "hidden", severity: "medium", value: `C:\\Users\\${marker}\\Documents\\` });
    expect(findings.find((f) => f.title === RESERVER)).toMatchObject({ kind: "hidden", value: `${marker}Reserver` });
    expect(findings.find((f) => f.title === REFRESHER)).toMatchObject({ kind: "hidden", severity: "medium", value: `${marker}Refresher` });
    expect(findings.find((f) => f.title === "The document holds 1 review comment(s).")).toMatchObject({ kind: "hidden", severity: "high", value: `${marker}Author` });
  }, 120_000);

  it("an XLSX: its saved folder (x15ac:absPath) and its reserving user (fileSharing) are findings", async () => {
    const marker = `WBX${crypto.randomBytes(4).toString("hex")}`;
    const wb = XLSX.utils.book_new();
    XLSX.utils.book_append_sheet(wb, XLSX.utils.aoa_to_sheet([["a", 1]]), "Data");
    const members = (await readZip(XLSX.write(wb, { type: "buffer", bookType: "xlsx" }) as Buffer)).members.map((m) => ({ name: m.name, data: m.data }));
    const workbook = members.find((m) => m.name === "xl/workbook.xml")!;
    const planted =
      `<fileSharing userName="${marker} Reserver"/>` +
      `<mc:AlternateContent xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006"><mc:Choice Requires="x15"><x15ac:absPath xmlns:x15ac="http://schemas.microsoft.com/office/spreadsheetml/2010/11/ac" url="D:\\Shares\\${marker}\\"/></mc:Choice></mc:AlternateContent>`;
    workbook.data = Buffer.from(workbook.data.toString("utf8").replace(/(<workbook\b[^>]*>)/, `$1${planted}`));
    const findings = await findingsViaApi(server, "budget.xlsx", handZip(members));
    expect(findings.find((f) => f.title === FOLDER)).toMatchObject({ value: `D:\\Shares\\${marker}\\` });
    expect(findings.find((f) => f.title === RESERVER)).toMatchObject({ value: `${marker} Reserver` });
  }, 120_000);

  it("a shared workbook's personal views, XLSX and XLSB, are named after their users: a people finding; a view someone named is not", async () => {
    const marker = `WBV${crypto.randomBytes(4).toString("hex")}`;
    const xlsb = await withUserViews(await makeXlsb("NoOne", { noteAuthor: "Jane" }), [userBookView(`${marker} - Personal View`, true), userBookView("Summary", false)]);
    expect((await findingsViaApi(server, "shared.xlsb", xlsb)).find((f) => f.title === VIEWS)).toMatchObject({ kind: "people", severity: "medium", value: `${marker} - Personal View` });

    const wb = XLSX.utils.book_new();
    XLSX.utils.book_append_sheet(wb, XLSX.utils.aoa_to_sheet([["a", 1]]), "Data");
    const members = (await readZip(XLSX.write(wb, { type: "buffer", bookType: "xlsx" }) as Buffer)).members.map((m) => ({ name: m.name, data: m.data }));
    const workbook = members.find((m) => m.name === "xl/workbook.xml")!;
    const views =
      `<customWorkbookViews><customWorkbookView name="${marker} - Personal View" guid="{6F9619FF-8B86-D011-B42D-00C04FC964FF}" personalView="1" windowWidth="1020" windowHeight="535" activeSheetId="1"/>` +
      `<customWorkbookView name="Summary" guid="{6F9619FF-8B86-D011-B42D-00C04FC964FE}" windowWidth="1020" windowHeight="535" activeSheetId="1"/></customWorkbookViews>`;
    workbook.data = Buffer.from(workbook.data.toString("utf8").replace("</workbook>", `${views}</workbook>`));
    expect((await findingsViaApi(server, "shared.xlsx", handZip(members))).find((f) => f.title === VIEWS)).toMatchObject({ kind: "people", value: `${marker} - Personal View` });

    const plain = await findingsViaApi(server, "plain.xlsb", await withUserViews(await makeXlsb("NoOne", { noteAuthor: "Jane" }), [userBookView("Summary", false)]));
    expect(plain.find((f) => f.title === VIEWS)).toBeUndefined();
  }, 120_000);
});
