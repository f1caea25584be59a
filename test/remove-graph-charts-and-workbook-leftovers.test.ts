import crypto from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import CFB from "cfb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { graphWorkbook } from "./helpers/make-graph-chart.js";
import { legacyOfficeText, makeMarkedLegacyOffice } from "./helpers/make-legacy-office.js";
import { compoundStreams, oleObjectFile, withOleObjects } from "./helpers/make-ole-objects.js";
import { makeMarkedJpeg, makeOffice } from "./helpers/make-office.js";
import { findMarker } from "./helpers/marker-scan.js";
import { readZip } from "./helpers/read-archives.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { savedIn } from "./helpers/saved.js";
import { type RunningServer, startServer } from "./helpers/server.js";

/*
 * Two kinds of valid workbook streams were refused as damaged (422 "The Excel 97-2003 workbook
 * could not be read"), found in Apache POI's sample files: the datasheet of a Microsoft Graph
 * chart (the charts of PowerPoint and Word 97-2003, and of PPTX files converted from them), whose
 * record types Excel does not write, and an Excel object whose stream goes on past its last
 * sheet with bytes of an earlier save. Both are cleaned now; the leftovers are zeroed. A sheet
 * whose BOF lost a bit is still refused.
 */

let server: RunningServer;
let dir: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-graph-leftovers-"));
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

const SERIES: ReadonlyArray<[string, number]> = [["North", 6.5], ["South", 1], ["East", 91]];

/** `file` with `edit` applied to its Workbook stream, written back as a compound file. */
async function withWorkbook(file: string, edit: (workbook: Buffer) => Buffer): Promise<Buffer> {
  const doc = CFB.read(await fs.readFile(file), { type: "buffer" });
  const e = doc.FileIndex[doc.FullPaths.findIndex((p) => p.endsWith("/Workbook"))]!;
  e.content = edit(Buffer.from(e.content!));
  e.size = e.content.length;
  return CFB.write(doc, { type: "buffer", fileType: "cfb" }) as Buffer;
}

/** The stream offset of the last sheet a workbook's globals name (BoundSheet8's lbPlyPos). */
function lastSheetAt(workbook: Buffer): number {
  let at = -1;
  for (let pos = 0; pos + 4 <= workbook.length; pos += 4 + workbook.readUInt16LE(pos + 2)) {
    if (workbook.readUInt16LE(pos) === 0x0085) at = Math.max(at, workbook.readUInt32LE(pos + 4));
  }
  return at;
}

describe("POST /api/v1/remove on Microsoft Graph charts", () => {
  it("a Graph 5.0 chart saved as a file (Apache POI's 64130.xls) is cleaned, its datasheet and chart byte for byte", async () => {
    const fixture = path.join(import.meta.dirname, "fixtures", "xls", "graph-chart.xls");
    const { status, body, cleaned } = await removeViaApi(server, fixture, "chart.xls");
    expect(status, JSON.stringify(body)).toBe(200);
    expect(compoundStreams(cleaned!, "Book")).toEqual(compoundStreams(await fs.readFile(fixture), "Book"));
  }, 60_000);

  it("a PPTX holding a Graph 97 chart object is cleaned: the object's properties go, its datasheet stays byte for byte", async () => {
    const marker = `GraphChart${crypto.randomBytes(5).toString("hex")}`;
    const workbook = graphWorkbook(SERIES);
    const chart = oleObjectFile({
      kind: "other",
      userType: "MSGraph.Chart.8",
      streams: { Workbook: workbook, "\x05SummaryInformation": Buffer.from(`author ${marker}chart`, "utf16le") },
    });
    const pptx = await makeOffice("pptx", marker, await makeMarkedJpeg(dir, `${marker}picture`));
    const file = await savedIn(dir, "deck.pptx", await withOleObjects(pptx.bytes, "ppt", [chart]));
    expect(await findMarker(file, `${marker}chart`)).not.toEqual([]);

    const { status, body, cleaned } = await removeViaApi(server, file, "deck.pptx");
    expect(status, JSON.stringify(body)).toBe(200);
    expect(await findMarker(cleaned!, marker)).toEqual([]);
    const { members } = await readZip(cleaned!);
    const object = members.find((m) => m.name === "ppt/embeddings/oleObject1.bin")!;
    expect(compoundStreams(object.data, "Workbook")).toEqual([workbook]);
  }, 120_000);

  it("the same records in an object that says it is an Excel workbook are refused: Excel writes no such record", async () => {
    const pptx = await makeOffice("pptx", `NotGraph${crypto.randomBytes(5).toString("hex")}`, await makeMarkedJpeg(dir, "picture"));
    const object = oleObjectFile({ kind: "other", userType: "Excel.Sheet.8", streams: { Workbook: graphWorkbook(SERIES) } });
    const file = await savedIn(dir, "not-graph.pptx", await withOleObjects(pptx.bytes, "ppt", [object]));
    const { status, body } = await removeViaApi(server, file, "not-graph.pptx");
    expect(status, JSON.stringify(body)).toBe(422);
    expect(String(body["error"])).toMatch(/^The Excel 97-2003 workbook could not be read: its record at byte \d+ is of a type Excel does not write\.$/);
  }, 120_000);
});

describe("POST /api/v1/remove on a workbook whose stream goes on past its last sheet", () => {
  it("is cleaned: the leftover bytes (an earlier save's cells, a name among them) are zeroed, the cells are the same", async () => {
    const marker = `Leftover${crypto.randomBytes(5).toString("hex")}`;
    const file = await makeMarkedLegacyOffice(dir, "xls", `Book${crypto.randomBytes(4).toString("hex")}`);
    // As in an Excel object of a PowerPoint 2007 file: two empty records, then bytes that read as a record far too long.
    const stale = Buffer.concat([Buffer.alloc(8), Buffer.from([0x00, 0x00, 0x00, 0xff]), Buffer.from(`Table1 ${marker} Overall`, "latin1"), Buffer.from(marker, "utf16le")]);
    const leftovers = await savedIn(dir, "leftovers.xls", await withWorkbook(file, (workbook) => Buffer.concat([workbook, stale])));
    expect(await findMarker(leftovers, marker)).not.toEqual([]);

    const { status, body, cleaned } = await removeViaApi(server, leftovers, "leftovers.xls");
    expect(status, JSON.stringify(body)).toBe(200);
    expect(await findMarker(cleaned!, marker)).toEqual([]);
    const whole = await removeViaApi(server, file, "whole.xls");
    expect(whole.status, JSON.stringify(whole.body)).toBe(200);
    const text = await legacyOfficeText(dir, "xls", await savedIn(dir, "leftovers-cleaned.xls", cleaned!));
    expect(text).toContain("beta cell");
    expect(text).toBe(await legacyOfficeText(dir, "xls", await savedIn(dir, "whole-cleaned.xls", whole.cleaned!)));
  }, 180_000);

  it("is refused as damaged when its last sheet's BOF lost a bit: those records are no leftovers", async () => {
    const file = await makeMarkedLegacyOffice(dir, "xls", `Book${crypto.randomBytes(4).toString("hex")}`);
    const damaged = await withWorkbook(file, (workbook) => {
      const at = lastSheetAt(workbook);
      expect(workbook.readUInt16LE(at)).toBe(0x0809);
      workbook.writeUInt16LE(0x0819, at);
      return workbook;
    });
    const { status, body, cleaned } = await removeViaApi(server, await savedIn(dir, "sheet-bof.xls", damaged), "sheet-bof.xls");
    expect(status, JSON.stringify(body)).toBe(422);
    expect(String(body["error"])).toMatch(/^The Excel 97-2003 workbook could not be read: its record at byte \d+ is of a type Excel does not write\.$/);
    expect(cleaned).toBeNull();
  }, 180_000);
});
