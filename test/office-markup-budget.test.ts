import crypto from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cpuMs } from "./helpers/fuzz-proc.js";
import { handZip } from "./helpers/make-archives.js";
import { makeXlsb, xlsbRecord } from "./helpers/make-xlsb.js";
import { docxWithDocument, makeMarkedJpeg, makeOffice, OD, rels, W, XML, zip, type Part } from "./helpers/make-office.js";
import { findMarker } from "./helpers/marker-scan.js";
import { readZip } from "./helpers/read-archives.js";
import { expectQuickRefusal } from "./helpers/quick-refusal.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { type RunningServer, startServer } from "./helpers/server.js";

const S = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
const TYPES = `${XML}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/></Types>`;
/** The service's own CPU for a refusal: inflating the parts until the budget trips (main spent 11-14 s on the first file). */
const REFUSAL_CPU_MS = 3_000;
const LOGGED_MS = 5_000;

let server: RunningServer;
let dir: string;

beforeAll(async () => {
  // The request deadline is the service's time budget, not what is tested here: a 100,000-row sheet
  // takes ~10-25 s of CPU, which a busy 2-core machine can stretch past the default 120 s.
  server = await startServer({ REQUEST_TIMEOUT_SECONDS: "600" });
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-markup-budget-"));
  // A first request starts the worker and ExifTool: the refusals below are timed without that.
  const warm = path.join(dir, "warm.xlsx");
  await fs.writeFile(warm, await xlsxWithStrings(`${XML}<worksheet xmlns="${S}"><sheetData/></worksheet>`, sharedStrings(["warm"])));
  expect((await removeViaApi(server, warm)).status).toBe(200);
}, 120_000);
afterAll(async () => {
  await server?.stop();
  if (dir != null) await fs.rm(dir, { recursive: true, force: true });
});

/** An XLSX of one sheet whose cells point into `sharedStrings`. */
function xlsxWithStrings(sheet: string, sharedStrings: string, extra: readonly Part[] = []): Promise<Buffer> {
  return zip([
    ["[Content_Types].xml", TYPES],
    ["_rels/.rels", rels([["rId1", `${OD}/officeDocument`, "xl/workbook.xml"]])],
    ["xl/workbook.xml", `${XML}<workbook xmlns="${S}" xmlns:r="${OD}"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>`],
    ["xl/_rels/workbook.xml.rels", rels([["rId1", `${OD}/worksheet`, "worksheets/sheet1.xml"], ["rId2", `${OD}/sharedStrings`, "sharedStrings.xml"]])],
    ["xl/worksheets/sheet1.xml", sheet],
    ["xl/sharedStrings.xml", sharedStrings],
    ...extra,
  ]);
}

function sharedStrings(strings: readonly string[]): string {
  return `${XML}<sst xmlns="${S}" count="${strings.length}" uniqueCount="${strings.length}">${strings.map((t) => `<si><t xml:space="preserve">${t}</t></si>`).join("")}</sst>`;
}

/** 1.3 million one-letter shared strings: 22 MB of XML from a file of ~55 kB. */
function sharedStringsBomb(): Promise<Buffer> {
  const sheet = `${XML}<worksheet xmlns="${S}"><sheetData><row r="1"><c r="A1" t="s"><v>0</v></c></row></sheetData></worksheet>`;
  const count = 1_300_000;
  return xlsxWithStrings(sheet, `${XML}<sst xmlns="${S}" count="${count}" uniqueCount="${count}">${"<si><t>a</t></si>".repeat(count)}</sst>`);
}

/** 700,000 one-letter paragraphs: 24 MB of XML. */
function paragraphsBomb(): Promise<Buffer> {
  return docxWithDocument(`${XML}<w:document xmlns:w="${W}"><w:body>${"<w:p><w:r><w:t>a</w:t></w:r></w:p>".repeat(700_000)}</w:body></w:document>`);
}

/** An XLSB whose sheet is 3 million blank cells' records (BrtCellBlank): 30 MB from ~35 kB. */
async function recordsBomb(): Promise<Buffer> {
  const members = (await readZip(await makeXlsb("bomb", { noteAuthor: "Jane" }))).members;
  const blank = xlsbRecord(0x0001, Buffer.alloc(8));
  const sheet = Buffer.concat([xlsbRecord(0x0081), xlsbRecord(0x0091), Buffer.alloc(blank.length * 3_000_000).fill(blank), xlsbRecord(0x0092), xlsbRecord(0x0082)]);
  return handZip(members.map((m) => ({ name: m.name, data: m.name === "xl/worksheets/sheet1.bin" ? sheet : m.data, deflate: true })));
}

/** The service's CPU while `work` runs. */
async function serviceCpuMs<T>(work: () => Promise<T>): Promise<number> {
  const before = await cpuMs(server.process.pid!);
  await work();
  return (await cpuMs(server.process.pid!)) - before;
}

describe("an office document's markup is bounded by its size", () => {
  it.each([
    ["an XLSX whose shared strings inflate 400 times", "strings.xlsx", sharedStringsBomb],
    ["a DOCX whose body inflates 700 times", "paragraphs.docx", paragraphsBomb],
    ["an XLSB whose sheet's records inflate 500 times", "records.xlsb", recordsBomb],
  ])("%s is a quick 422 before any of it is parsed, the service answering meanwhile", async (_what, name, make) => {
    const data = await make();
    expect(data.length).toBeLessThan(100 * 1024);
    const cpu = await serviceCpuMs(() => expectQuickRefusal(server, dir, name, data));
    expect(cpu).toBeLessThan(REFUSAL_CPU_MS);
    await expect.poll(() => server.logs.some((l) => /markup inflates past \d+ bytes/.test(l)), { timeout: LOGGED_MS }).toBe(true);
  }, 120_000);

  it("a real-sized spreadsheet (100,000 rows of 8 cells as LibreOffice writes them, 4.8 million nodes) is still cleaned, its cells unchanged", async () => {
    const marker = `MRKbig${crypto.randomBytes(4).toString("hex")}`;
    const { sheet, strings } = bigSheet(100_000);
    const fx = await makeOffice("xlsx", marker, await makeMarkedJpeg(dir, marker));
    // The fixture's properties, comments and pictures, around a sheet of real size.
    const toShared = `<Relationship Id="rIdStrings" Type="${OD}/sharedStrings" Target="sharedStrings.xml"/></Relationships>`;
    const parts = (await readZip(fx.bytes)).members.map((m): Part => {
      if (m.name === "xl/worksheets/sheet1.xml") return [m.name, sheet];
      if (m.name === "xl/_rels/workbook.xml.rels") return [m.name, m.data.toString("utf8").replace("</Relationships>", toShared)];
      return [m.name, m.data];
    });
    const data = await zip([...parts, ["xl/sharedStrings.xml", strings]]);
    // Real sheets compress 5 to 10 times.
    expect(data.length).toBeGreaterThan((sheet.length + strings.length) / 12);
    const file = path.join(dir, "big.xlsx");
    await fs.writeFile(file, data);
    const { status, body, cleaned } = await removeViaApi(server, file);
    expect(status, JSON.stringify(body)).toBe(200);
    expect(await findMarker(cleaned!, marker)).toEqual([]);
    const out = new Map((await readZip(cleaned!)).members.map((m) => [m.name, m.data.toString("utf8")]));
    expect(out.get("xl/worksheets/sheet1.xml")).toBe(sheet);
    expect(out.get("xl/sharedStrings.xml")).toBe(strings);
  }, 660_000);
});

/**
 * A sheet of `rows` rows as LibreOffice Calc writes an order list: a number, two shared strings, a
 * date, three numbers and a shared string per row (one of them unique), with its row attributes.
 */
function bigSheet(rows: number): { sheet: string; strings: string } {
  let seed = 12345;
  const next = (n: number): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  const strings = ["Paris", "Lyon", "Berlin", "Madrid", "Rome", "Oslo", "Lisbon", "Vienna", "Prague", "Dublin"];
  const names = strings.length;
  for (const a of ["Alice", "Bob", "Carla", "Dmitri", "Eve"]) for (const b of "ABCDEFGHIJ") strings.push(`${a} ${b}`);
  const rowXml: string[] = [];
  for (let i = 1; i <= rows; i++) {
    strings.push(`order ${String(next(1_000_000)).padStart(6, "0")} ref ${next(1 << 24).toString(16)}`);
    const cells = [
      `<c r="A${i}" s="0" t="n"><v>${i}</v></c>`,
      `<c r="B${i}" s="0" t="s"><v>${names + next(50)}</v></c>`,
      `<c r="C${i}" s="0" t="s"><v>${next(names)}</v></c>`,
      `<c r="D${i}" s="1" t="n"><v>${43831 + next(1500)}</v></c>`,
      `<c r="E${i}" s="0" t="n"><v>${next(1_000_000) / 100}</v></c>`,
      `<c r="F${i}" s="0" t="n"><v>${1 + next(500)}</v></c>`,
      `<c r="G${i}" s="0" t="n"><v>${next(100_000) / 1000}</v></c>`,
      `<c r="H${i}" s="0" t="s"><v>${strings.length - 1}</v></c>`,
    ];
    rowXml.push(`<row r="${i}" customFormat="false" ht="12.8" hidden="false" customHeight="false" outlineLevel="0" collapsed="false">${cells.join("")}</row>`);
  }
  const sheet = `${XML}<worksheet xmlns="${S}" xmlns:r="${OD}"><dimension ref="A1:H${rows}"/><sheetData>${rowXml.join("")}</sheetData></worksheet>`;
  return { sheet, strings: sharedStrings(strings) };
}
