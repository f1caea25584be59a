import crypto from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { docxParts, makeMarkedJpeg, makeOffice, OD, type Part, rels, W, XML, zip } from "./helpers/make-office.js";
import { findMarker } from "./helpers/marker-scan.js";
import { readZip } from "./helpers/read-archives.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { savedIn } from "./helpers/saved.js";
import { type RunningServer, startServer } from "./helpers/server.js";
import { unusedPartsFinding, zipNames } from "./helpers/unused-parts.js";

/*
 * Office opens a package's parts by following its relationships from the package's own. A part
 * that no chain of them reaches is never shown, yet it is in the file: a header or a sheet a tool
 * deleted without deleting its part, a comments part whose relationship was damaged, a picture
 * only a dropped comment used. Such parts were copied into the clean copy as they were (or made
 * it refused, for a kind no cleaner knows); they are now left out and counted.
 */

const FIXTURES = path.join(import.meta.dirname, "fixtures", "xlsx");

let server: RunningServer;
let dir: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-unreached-parts-"));
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

function token(prefix: string): string {
  return `${prefix}${crypto.randomBytes(5).toString("hex")}`;
}

async function member(file: Buffer, name: string): Promise<string | undefined> {
  return (await readZip(file)).members.find((m) => m.name === name)?.data.toString("utf8");
}

describe("POST /api/v1/remove on an Office package holding parts no relationship leads to", () => {
  it("a DOCX's orphaned header and file of unknown kind are reported, then left out, as is the picture only a comment used; the body is the same", async () => {
    const marker = token("Orphan");
    const parts = docxParts(token("Body"), await makeMarkedJpeg(dir, token("Pic")));
    const whole = await removeViaApi(server, await savedIn(dir, "whole.docx", await zip(parts)));
    expect(whole.status, JSON.stringify(whole.body)).toBe(200);
    expect(whole.body["removed"]).not.toHaveProperty("unusedParts");
    expect(unusedPartsFinding(whole.body)).toBeUndefined();

    const header = `${XML}<w:hdr xmlns:w="${W}"><w:p><w:r><w:t>${marker} header of an older version</w:t></w:r></w:p></w:hdr>`;
    const orphaned: Part[] = [
      ...parts,
      ["word/header7.xml", header],
      ["word/notes.json", `{"by": "${marker}"}`],
      ["word/_rels/comments.xml.rels", rels([["rId1", `${OD}/image`, "media/image5.jpeg"]])],
      ["word/media/image5.jpeg", await makeMarkedJpeg(dir, marker)],
    ];
    const original = await zip(orphaned);
    expect(await findMarker(original, marker)).not.toEqual([]);
    const { status, body, cleaned } = await removeViaApi(server, await savedIn(dir, "orphaned.docx", original));
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body["remaining"]).toEqual({});
    expect(await findMarker(cleaned!, marker)).toEqual([]);
    expect(await zipNames(cleaned!)).toEqual(await zipNames(whole.cleaned!));
    // The picture goes with the comment that used it: it is no unused part of the original.
    expect(body["removed"]).toMatchObject({ unusedParts: 2, comments: 1 });
    expect(unusedPartsFinding(body)).toBe("word/header7.xml; word/notes.json");
    expect(await member(cleaned!, "word/document.xml")).toBe(await member(whole.cleaned!, "word/document.xml"));
  }, 120_000);

  it("an XLSX's sheet that the workbook no longer lists is left out with its content-type entry; the listed sheet stays", async () => {
    const marker = token("OldSheet");
    const fx = await makeOffice("xlsx", token("Book"), await makeMarkedJpeg(dir, token("Pic")));
    const sheet = `${XML}<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>${marker} salaries</t></is></c></row></sheetData></worksheet>`;
    const parts = (await readZip(fx.bytes)).members.map((m): Part => {
      if (m.name !== "[Content_Types].xml") return [m.name, m.data];
      return [m.name, m.data.toString("utf8").replace("</Types>", '<Override PartName="/xl/worksheets/sheet2.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>')];
    });
    const { status, body, cleaned } = await removeViaApi(server, await savedIn(dir, "deleted-sheet.xlsx", await zip([...parts, ["xl/worksheets/sheet2.xml", sheet]])));
    expect(status, JSON.stringify(body)).toBe(200);
    expect(await findMarker(cleaned!, marker)).toEqual([]);
    expect(await zipNames(cleaned!)).toContain("xl/worksheets/sheet1.xml");
    expect(await zipNames(cleaned!)).not.toContain("xl/worksheets/sheet2.xml");
    expect(await member(cleaned!, "[Content_Types].xml")).not.toContain("sheet2");
    expect(await member(cleaned!, "xl/worksheets/sheet1.xml")).toContain("Hello body cell");
    expect(body["removed"]).toMatchObject({ unusedParts: 1 });
    expect(unusedPartsFinding(body)).toBe("xl/worksheets/sheet2.xml");
  }, 120_000);

  it("a real workbook cut down to one sheet by a tool that left the other sheets' comments and charts: those go, the author's name with them; the sheet stays", async () => {
    const original = await fs.readFile(path.join(FIXTURES, "deleted-sheets-leftovers.xlsx"));
    const author = "Shao Baorun";
    expect(await findMarker(original, author)).not.toEqual([]);
    const { status, body, cleaned } = await removeViaApi(server, await savedIn(dir, "leftovers.xlsx", original));
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body["remaining"]).toEqual({});
    expect(await findMarker(cleaned!, author)).toEqual([]);
    const kept = await zipNames(cleaned!);
    expect(kept.filter((n) => /comments|charts\/|drawings\/drawing|vmlDrawing/.test(n))).toEqual([]);
    expect(kept).toEqual(expect.arrayContaining(["xl/workbook.xml", "xl/worksheets/sheet26.xml", "xl/sharedStrings.xml", "xl/media/image1.png"]));
    // Nine comments parts, five charts with their colours and style, two drawings, nine VML drawings: no comment a reader sees.
    expect(body["removed"]).toMatchObject({ unusedParts: 27 });
    expect(body["removed"]).not.toHaveProperty("comments");
    expect(unusedPartsFinding(body)).toMatch(/^xl\/charts\/chart1\.xml; /);
  }, 120_000);

  it("a package whose relationships do not lead to its main document is a 422 saying so, not an empty copy", async () => {
    const parts = docxParts(token("Body"), await makeMarkedJpeg(dir, token("Pic"))).map(([name, data]): Part =>
      name === "_rels/.rels" ? [name, String(data).replace('Target="word/document.xml"', 'Target="word/documen.xml"')] : [name, data],
    );
    expect(String(parts.find(([n]) => n === "_rels/.rels")![1])).toContain("documen.xml");
    const { status, body, cleaned } = await removeViaApi(server, await savedIn(dir, "lost-main.docx", await zip(parts)));
    expect(status, JSON.stringify(body)).toBe(422);
    expect(body["error"]).toBe("The document's package does not lead to its main part.");
    expect(cleaned).toBeNull();
  }, 120_000);
});
