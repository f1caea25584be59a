import crypto from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import * as XLSX from "@e965/xlsx";
import CFB from "cfb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { handZip } from "./helpers/make-archives.js";
import { VBA_PROJECT } from "./helpers/make-office.js";
import { soffice } from "./helpers/make-legacy-office.js";
import { ABS_PATH, COMMENT_AUTHOR, connectionsPart, FILE_SHARING, makeXlsb, PAGE_SETUP, USER_BOOK_VIEW, userBookView, withUserViews, XLSB_CELLS, xlsbRecord, xlsbRecords } from "./helpers/make-xlsb.js";
import { findMarker } from "./helpers/marker-scan.js";
import { readZip } from "./helpers/read-archives.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { savedIn } from "./helpers/saved.js";
import { postFile, type RunningServer, startServer } from "./helpers/server.js";

/*
 * Excel binary workbooks (XLSB) are cleaned: the package as an XLSX's, and the records of its
 * binary parts that say who saved, reserved, refreshed or commented, and where. Removal is judged
 * on the bytes (the marker nowhere, raw, UTF-16 or in any entry); the content by two readers of
 * their own, SheetJS's cells and notes and LibreOffice's text of the sheet.
 */

let server: RunningServer;
let dir: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-xlsb-"));
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

/** The sheet as LibreOffice reads it, as CSV. */
async function sheetText(file: string): Promise<string> {
  const work = path.join(dir, `lo-${crypto.randomUUID()}`);
  await fs.mkdir(work);
  await soffice(work, ["--convert-to", "csv", "--outdir", work, file]);
  return fs.readFile(path.join(work, `${path.basename(file, ".xlsb")}.csv`), "utf8");
}

function cellsOf(bytes: Buffer): unknown[][] {
  const wb = XLSX.read(bytes, { type: "buffer" });
  return XLSX.utils.sheet_to_json(wb.Sheets[wb.SheetNames[0]!]!, { header: 1 });
}

function notesOf(bytes: Buffer): Array<{ a?: string; t: string }> {
  const wb = XLSX.read(bytes, { type: "buffer" });
  const sheet = wb.Sheets[wb.SheetNames[0]!]!;
  return Object.keys(sheet).filter((k) => !k.startsWith("!")).flatMap((k) => (sheet[k] as XLSX.CellObject).c ?? []);
}

describe("POST /api/v1/remove on an Excel binary workbook (XLSB)", () => {
  it("takes out the properties, the note, its author, the reserving user, the saved folder, the pivot cache's refresher and the printer settings; the cells read the same", async () => {
    const marker = `XLSBMARK${crypto.randomBytes(4).toString("hex")}`;
    const original = await makeXlsb(marker, { noteAuthor: `${marker}Author` });
    expect(await findMarker(original, marker)).not.toEqual([]);
    const file = await savedIn(dir, "budget.xlsb", original);
    const extract = await postFile(`${server.baseUrl}/api/v1/extract`, { name: "budget.xlsb", data: original }, { headers: { "X-API-Key": server.apiKey } });
    const extracted = (await extract.json()) as { metadata: { File: Record<string, unknown> } };
    expect(extracted.metadata.File["FileType"]).toBe("XLSB");

    const { status, body, cleaned } = await removeViaApi(server, file);
    expect(status, JSON.stringify(body)).toBe(200);
    expect(await findMarker(cleaned!, marker)).toEqual([]);
    expect(body["removed"]).toMatchObject({ comments: 1 });
    expect(cellsOf(cleaned!)).toEqual(XLSB_CELLS);
    expect(notesOf(cleaned!)).toEqual([]);
    const copy = await savedIn(dir, "cleaned.xlsb", cleaned!);
    expect(await sheetText(copy)).toBe(await sheetText(file));
    // The records that held the user and the folder are still there, empty.
    const workbook = (await readZip(cleaned!)).members.find((m) => m.name === "xl/workbook.bin")!.data;
    const records = xlsbRecords(workbook);
    expect(records.find((r) => r.type === FILE_SHARING)?.payload.readUInt32LE(4)).toBe(0xffffffff);
    expect(records.find((r) => r.type === ABS_PATH)?.payload).toEqual(Buffer.alloc(4));
    // The printer settings went, and the sheet's page setup no longer names them.
    const after = new Map((await readZip(cleaned!)).members.map((m) => [m.name, m.data]));
    expect([...after.keys()].filter((n) => n.includes("printerSettings"))).toEqual([]);
    const pageSetup = xlsbRecords(after.get("xl/worksheets/sheet1.bin")!).find((r) => r.type === PAGE_SETUP)!.payload;
    expect(pageSetup.length).toBe(38);
    expect(pageSetup.readUInt32LE(34)).toBe(0xffffffff);
  }, 180_000);

  it("with keep=comments keeps the note, under the neutral author, its text unchanged after the name", async () => {
    const marker = `XLSBKEEP${crypto.randomBytes(4).toString("hex")}`;
    const file = await savedIn(dir, "kept.xlsb", await makeXlsb(marker, { noteAuthor: `${marker}Author` }));
    const { status, body, cleaned } = await removeViaApi(server, file, "kept.xlsb", { keep: "comments" });
    expect(status, JSON.stringify(body)).toBe(200);
    expect(await findMarker(cleaned!, marker)).toEqual([]);
    expect(notesOf(cleaned!)).toEqual([expect.objectContaining({ a: "Author", t: "Author:\nCheck this number" })]);
    expect(cellsOf(cleaned!)).toEqual(XLSB_CELLS);
  }, 120_000);

  it("Excel's own XLSB (Apache POI's Simple.xlsb): its title and last author gone, its three sheets and their binary indexes as they were", async () => {
    const file = path.join(import.meta.dirname, "fixtures", "xlsx", "simple.xlsb");
    const original = await fs.readFile(file);
    expect(await findMarker(original, "Christiaan Fluit")).not.toEqual([]);
    const { status, body, cleaned } = await removeViaApi(server, file, "simple.xlsb");
    expect(status, JSON.stringify(body)).toBe(200);
    expect(await findMarker(cleaned!, "Christiaan Fluit")).toEqual([]);
    const before = new Map((await readZip(original)).members.map((m) => [m.name, m.data]));
    const after = new Map((await readZip(cleaned!)).members.map((m) => [m.name, m.data]));
    expect([...after.keys()].filter((n) => n.startsWith("docProps/"))).toEqual([]);
    for (const name of [...before.keys()].filter((n) => /^xl\/(worksheets\/.+|sharedStrings)\.bin$/.test(n))) expect(after.get(name), name).toEqual(before.get(name));
    const copy = await savedIn(dir, "simple-cleaned.xlsb", cleaned!);
    expect(await sheetText(copy)).toBe(await sheetText(file));
  }, 180_000);

  it("Excel's own XLSB with notes (Apache POI's comments.xlsb): its saved folder and both note authors gone, and with keep=comments the notes kept under the neutral author", async () => {
    const file = path.join(import.meta.dirname, "fixtures", "xlsx", "comments.xlsb");
    const original = await fs.readFile(file);
    const people = ["tallison", "Allison", "Nissel"];
    for (const name of people) expect(await findMarker(original, name), name).not.toEqual([]);
    const dropped = await removeViaApi(server, file, "comments.xlsb");
    expect(dropped.status, JSON.stringify(dropped.body)).toBe(200);
    expect(dropped.body["removed"]).toMatchObject({ comments: 4 });
    for (const name of people) expect(await findMarker(dropped.cleaned!, name), name).toEqual([]);
    expect(notesOf(dropped.cleaned!)).toEqual([]);
    const copy = await savedIn(dir, "comments-cleaned.xlsb", dropped.cleaned!);
    expect(await sheetText(copy)).toBe(await sheetText(file));
    const kept = await removeViaApi(server, file, "comments.xlsb", { keep: "comments" });
    expect(kept.status, JSON.stringify(kept.body)).toBe(200);
    for (const name of people) expect(await findMarker(kept.cleaned!, name), name).toEqual([]);
    const notes = notesOf(kept.cleaned!).map((n) => `${n.a}|${n.t}`).sort();
    expect(notes).toEqual([
      "Author|Author:\ncomment row2 (index1)",
      "Author|comment top row1 (index0)\n",
      "Author|comment top row3 (index2)\n",
      "Author|comment top row4 (index3)\n",
    ]);
  }, 180_000);

  it("renames a shared workbook's personal view, named after its user, and keeps a custom view someone named, each view's GUID as it was", async () => {
    const marker = `XLSBVIEW${crypto.randomBytes(4).toString("hex")}`;
    const views = [userBookView(`${marker} - Personal View`, true), userBookView("Summary", false)];
    const file = await savedIn(dir, "shared.xlsb", await withUserViews(await makeXlsb(marker, { noteAuthor: "Jane" }), views));
    const { status, body, cleaned } = await removeViaApi(server, file);
    expect(status, JSON.stringify(body)).toBe(200);
    expect(await findMarker(cleaned!, marker)).toEqual([]);
    const workbook = (await readZip(cleaned!)).members.find((m) => m.name === "xl/workbook.bin")!.data;
    const kept = xlsbRecords(workbook).filter((r) => r.type === USER_BOOK_VIEW);
    expect(kept.map((r) => r.payload.toString("utf16le", 52))).toEqual(["Personal View", "Summary"]);
    expect(kept.map((r) => r.payload.subarray(0, 48))).toEqual(views.map((v) => v.subarray(0, 48)));
    expect(cellsOf(cleaned!)).toEqual(XLSB_CELLS);
    const copy = await savedIn(dir, "shared-cleaned.xlsb", cleaned!);
    expect(await sheetText(copy)).toBe(await sheetText(file));
  }, 180_000);

  it.each([
    ["cut within its last record", (sheet: Buffer) => sheet.subarray(0, sheet.length - 2)],
    ["a record type of three bytes", (sheet: Buffer) => Buffer.concat([sheet, Buffer.from([0x81, 0x81, 0x01, 0x00])])],
    ["a record claiming 200 MB", (sheet: Buffer) => Buffer.concat([sheet, Buffer.from([0x01, 0x80, 0x80, 0x80, 0x64])])],
  ])("refuses a sheet %s as damaged records, at once", async (_what, damage) => {
    const members = (await readZip(await makeXlsb("Damaged", { noteAuthor: "Jane" }))).members;
    const damaged = handZip(members.map((m) => ({ name: m.name, data: m.name === "xl/worksheets/sheet1.bin" ? damage(m.data) : m.data })));
    const started = Date.now();
    const { status, body, cleaned } = await removeViaApi(server, await savedIn(dir, "damaged.xlsb", damaged));
    expect(status, JSON.stringify(body)).toBe(422);
    expect(body["error"]).toBe("The workbook's binary records are damaged.");
    expect(cleaned).toBeNull();
    expect(Date.now() - started).toBeLessThan(20_000);
  }, 60_000);

  it("cleans one with data connections: the connection string's user, password and folders, the data, connection, web and text files' folders go; the provider, names and command stay", async () => {
    const marker = `XLSBCONN${crypto.randomBytes(4).toString("hex")}`;
    const file = await savedIn(dir, "linked.xlsb", await makeXlsb(marker, { noteAuthor: "Jane", extraParts: [["xl/connections.bin", connectionsPart(marker), "connections"]] }));
    const { status, body, cleaned } = await removeViaApi(server, file);
    expect(status, JSON.stringify(body)).toBe(200);
    expect(await findMarker(cleaned!, marker)).toEqual([]);
    const part = (await readZip(cleaned!)).members.find((m) => m.name === "xl/connections.bin")!.data;
    // UTF-16 text at even and at odd offsets of each record (its fixed fields need not be of even length).
    const strings = xlsbRecords(part).flatMap((r) => [r.payload, r.payload.subarray(1)].flatMap((b) => [...b.toString("utf16le").matchAll(/[\x20-\x7e]{4,}/g)].map((m) => m[0])));
    for (const kept of ["sales.accdb", "sales.odc", "Sales figures", "Orders", "Provider=Microsoft.ACE.OLEDB.12.0", "Provider=MSOLAP.8;Data Source=sales.cub", "prices.htm", "prices.csv"]) {
      expect(strings.some((s) => s.includes(kept)), kept).toBe(true);
    }
    expect(cellsOf(cleaned!)).toEqual(XLSB_CELLS);
  }, 120_000);

  it("refuses a connection record whose flags name a string it does not hold as damaged, rewriting nothing at a guessed place", async () => {
    const whole = connectionsPart("Cut");
    const records = xlsbRecords(whole);
    const first = records.find((r) => r.type === 0x00c9)!;
    const cut = Buffer.concat(records.map((r) => xlsbRecord(r.type, r === first ? r.payload.subarray(0, r.payload.length - 10) : r.payload)));
    const file = await savedIn(dir, "cut-connection.xlsb", await makeXlsb("Cut", { noteAuthor: "Jane", extraParts: [["xl/connections.bin", cut, "connections"]] }));
    const { status, body } = await removeViaApi(server, file);
    expect(status, JSON.stringify(body)).toBe(422);
    expect(body["error"]).toBe("The workbook's binary records are damaged.");
  }, 120_000);

  it("refuses as damaged a connections part whose records a run of zeros put out of step (fuzz seed 434777009, #167), the folders after it read as records of no meaning", async () => {
    const marker = `XLSBSTEP${crypto.randomBytes(4).toString("hex")}`;
    const part = connectionsPart(marker);
    // From the web query's file name through the next connection's first fields and the count of its data file's path.
    const at = part.indexOf(Buffer.from("prices.htm", "utf16le"));
    part.fill(0, at, at + 64);
    expect(await findMarker(part, marker)).not.toEqual([]);
    const file = await savedIn(dir, "out-of-step.xlsb", await makeXlsb("NoOne", { noteAuthor: "Jane", extraParts: [["xl/connections.bin", part, "connections"]] }));
    const { status, body, cleaned } = await removeViaApi(server, file);
    expect(status, JSON.stringify(body)).toBe(422);
    expect(body["error"]).toBe("The workbook's binary records are damaged.");
    expect(cleaned).toBeNull();
  }, 120_000);

  it("refuses as damaged a workbook part or a comments part whose records a run of zeros put out of step (fuzz seed 414344189, #1136), the saved folder or a note's text read as records of no meaning", async () => {
    const marker = `XLSBWB${crypto.randomBytes(4).toString("hex")}`;
    const whole = await makeXlsb(marker, { noteAuthor: `${marker}Author` });
    // Zeros from the end of a name's record (its last characters, or its header too) to the start
    // of a later text, whose characters then read as records of their own (a character's code, a
    // zero size): that takes an even number of zeros after the last whole record, as in the fuzz case.
    const damaged = async (part: string, type: number, text: string): Promise<Buffer> => {
      const members = (await readZip(whole)).members.map((m) => ({ name: m.name, data: Buffer.from(m.data) }));
      const data = members.find((m) => m.name === part)!.data;
      let start = 0;
      for (const r of xlsbRecords(data)) {
        if (r.type === type) break;
        start += xlsbRecord(r.type, r.payload).length;
      }
      const end = start + xlsbRecord(type, xlsbRecords(data).find((r) => r.type === type)!.payload).length;
      const textAt = data.indexOf(Buffer.from(text, "utf16le"));
      expect(textAt, text).toBeGreaterThan(end);
      const from = (textAt - end) % 2 === 0 ? end - 4 : start;
      expect((textAt - (from === start ? start : end)) % 2).toBe(0);
      data.fill(0, from, textAt);
      expect(await findMarker(data, marker)).not.toEqual([]);
      return handZip(members);
    };
    const book = await damaged("xl/workbook.bin", FILE_SHARING, "C:\\Users");
    const notes = await damaged("xl/comments1.bin", COMMENT_AUTHOR, `${marker}Author:`);
    // The notes stay only when kept; otherwise their part goes whole.
    for (const [name, bytes, fields] of [["book.xlsb", book, {}], ["notes.xlsb", notes, { keep: "comments" }]] as const) {
      const { status, body, cleaned } = await removeViaApi(server, await savedIn(dir, name, bytes), name, fields);
      expect(status, `${name}: ${JSON.stringify(body)}`).toBe(422);
      expect(body["error"]).toBe("The workbook's binary records are damaged.");
      expect(cleaned).toBeNull();
    }
    const res = await removeViaApi(server, await savedIn(dir, "whole.xlsb", whole));
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(await findMarker(res.cleaned!, marker)).toEqual([]);
  }, 120_000);

  it("refuses one with Excel 2013 data model connections, saying why", async () => {
    const model = Buffer.concat([xlsbRecord(0x01ad), xlsbRecord(0x083f, Buffer.alloc(8)), xlsbRecord(0x01ae)]);
    const file = await savedIn(dir, "model.xlsb", await makeXlsb("NoMarker", { noteAuthor: "Jane", extraParts: [["xl/connections.bin", model, "connections"]] }));
    const { status, body, cleaned } = await removeViaApi(server, file);
    expect(status, JSON.stringify(body)).toBe(422);
    expect(String(body["error"])).toContain("data model connections in Excel's binary format (XLSB)");
    expect(cleaned).toBeNull();
  }, 120_000);

  it("refuses one holding macros as such", async () => {
    const project = CFB.utils.cfb_new();
    CFB.utils.cfb_add(project, "/PROJECT", Buffer.from('ID="{00000000-0000-0000-0000-000000000000}"\r\nName="VBAProject"\r\n'));
    CFB.utils.cfb_add(project, "/VBA/dir", Buffer.alloc(16));
    const vba = CFB.write(project, { type: "buffer", fileType: "cfb" }) as Buffer;
    const file = await savedIn(dir, "macros.xlsb", await makeXlsb("NoMarker", { noteAuthor: "Jane", extraParts: [["xl/vbaProject.bin", vba, VBA_PROJECT]] }));
    const { status, body } = await removeViaApi(server, file);
    expect(status, JSON.stringify(body)).toBe(422);
    expect(String(body["error"])).toContain("The document holds macros (a VBA project)");
  }, 120_000);
});
