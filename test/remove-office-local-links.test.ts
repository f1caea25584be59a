import crypto from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { localLinksDocx, localLinksPptx, localLinksXlsx, officeText } from "./helpers/make-local-links.js";
import { expectSameCellsAndPivot } from "./helpers/make-pivot-xls.js";
import { findMarker } from "./helpers/marker-scan.js";
import { zip } from "./helpers/make-office.js";
import { readZip } from "./helpers/read-archives.js";
import { cleanedCopyViaApi } from "./helpers/remove-api.js";
import { type RunningServer, startServer } from "./helpers/server.js";

/*
 * Office 2007+ documents kept the paths of the local files their pictures, objects and links
 * came from, in the user's folder or on a share named after them: relationship targets (linked
 * pictures, a linked OLE object, hyperlinks), Word's field instructions (INCLUDEPICTURE split
 * across runs, LINK), a VML picture's source, drawings' descriptions, the web page a workbook
 * was published to; and Excel named a shared workbook's personal view after its user. The paths
 * become bare file names and the view a neutral name; the text, the cells, the pivot table and
 * the other view's name stay.
 */

let server: RunningServer;
let dir: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-local-links-"));
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

async function partOf(file: string, name: string): Promise<string> {
  const part = (await readZip(await fs.readFile(file))).members.find((p) => p.name === name);
  expect(part, name).toBeDefined();
  return part!.data.toString("utf8");
}

/** The text of a Word part's field instructions, joined. */
const instructions = (xml: string): string => [...xml.matchAll(/<w:instrText[^>]*>([^<]*)<\/w:instrText>/g)].map((m) => m[1]).join("");

describe("POST /api/v1/remove on Office documents linking to files in the user's folder", () => {
  it("DOCX: relationship targets, field instructions, VML source and picture description become bare names; the text stays", async () => {
    const marker = `Links${crypto.randomBytes(5).toString("hex")}`;
    const source = path.join(dir, "report.docx");
    await fs.writeFile(source, await localLinksDocx(marker));
    for (const part of ["word/document.xml", "word/_rels/document.xml.rels"]) expect(await partOf(source, part), part).toContain(marker);

    const { out } = await cleanedCopyViaApi(server, source, dir);
    expect(await findMarker(out, marker)).toEqual([]);

    const document = await partOf(out, "word/document.xml");
    expect(instructions(document)).toBe(' INCLUDEPICTURE "rome.jpg" \\* MERGEFORMAT \\d ');
    expect(document).toContain('w:instr=" LINK Excel.Sheet.12 &quot;Budget.xlsx&quot; &quot;Sheet1!R1C1:R2C2&quot; \\a \\p "');
    expect(document).toContain('o:href="rome.jpg"');
    expect(document.match(/descr="rome\.jpg"/g)).toHaveLength(2);
    const rels = await partOf(out, "word/_rels/document.xml.rels");
    for (const target of ["rome.jpg", "notes.docx", "Budget.xlsx!Sheet1!R1C1:R2C2"]) expect(rels).toContain(`Target="${target}" TargetMode="External"`);

    const text = await officeText(dir, source);
    expect(text).toContain("The trip report.");
    expect(text).toContain("Meeting notes");
    expect(await officeText(dir, out)).toBe(text);
  }, 120_000);

  it("DOCX: a relationship with no TargetMode whose target climbs out of the package to the user's folder becomes a bare name", async () => {
    const marker = `Climb${crypto.randomBytes(5).toString("hex")}`;
    const made = (await readZip(await localLinksDocx(`Links${crypto.randomBytes(5).toString("hex")}`))).members.filter((p) => !p.name.endsWith("/"));
    const climbing = `<Relationship Id="rId900" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/hyperlink" Target="../../../Users/${marker}/Documents/Budget.xlsx"/>`;
    const parts = made.map((p): [string, Buffer] => [p.name, p.name === "word/_rels/document.xml.rels" ? Buffer.from(p.data.toString("utf8").replace("</Relationships>", `${climbing}</Relationships>`)) : p.data]);
    const source = path.join(dir, "climbing.docx");
    await fs.writeFile(source, await zip(parts));
    expect(await partOf(source, "word/_rels/document.xml.rels")).toContain(marker);

    const { out } = await cleanedCopyViaApi(server, source, dir);
    expect(await findMarker(out, marker)).toEqual([]);
    expect(await partOf(out, "word/_rels/document.xml.rels")).toMatch(/<Relationship Id="rId900" [^>]*Target="Budget\.xlsx"/);
    expect(await officeText(dir, out)).toBe(await officeText(dir, source));
  }, 120_000);

  it("XLSX: the personal view's name, the web page's path, the hyperlink's and the linked picture's targets and its description go; cells, pivot table and the other view stay", async () => {
    const marker = `Links${crypto.randomBytes(5).toString("hex")}`;
    const source = await localLinksXlsx(dir, marker);
    for (const part of ["xl/workbook.xml", "xl/drawings/drawing1.xml", "xl/drawings/_rels/drawing1.xml.rels", "xl/worksheets/_rels/sheet1.xml.rels"]) expect(await partOf(source, part), part).toContain(marker);

    const { out } = await cleanedCopyViaApi(server, source, dir);
    expect(await findMarker(out, marker)).toEqual([]);

    const workbook = await partOf(out, "xl/workbook.xml");
    expect(workbook).toMatch(/<customWorkbookView name="Personal View" [^>]*personalView="1"/);
    expect(workbook).toContain('<customWorkbookView name="Print layout" ');
    expect(workbook).toContain('destinationFile="Page.htm"');
    expect(await partOf(out, "xl/drawings/drawing1.xml")).toContain('descr="rome.jpg"');
    const drawingRels = await partOf(out, "xl/drawings/_rels/drawing1.xml.rels");
    for (const target of ["rome.jpg", "Budget.xlsx"]) expect(drawingRels).toContain(`Target="${target}" TargetMode="External"`);
    expect(await partOf(out, "xl/worksheets/_rels/sheet1.xml.rels")).toContain('Target="notes.docx" TargetMode="External"');

    await expectSameCellsAndPivot(dir, source, out);
  }, 180_000);

  it("PPTX: a linked picture's target and description become its bare name; the slide's text stays", async () => {
    const marker = `Links${crypto.randomBytes(5).toString("hex")}`;
    const source = await localLinksPptx(dir, marker);
    expect(await findMarker(source, marker)).not.toEqual([]);

    const { out } = await cleanedCopyViaApi(server, source, dir);
    expect(await findMarker(out, marker)).toEqual([]);
    expect(await partOf(out, "ppt/slides/slide1.xml")).toContain('descr="rome.jpg"');
    expect(await partOf(out, "ppt/slides/_rels/slide1.xml.rels")).toContain('Target="rome.jpg" TargetMode="External"');

    const text = await officeText(dir, source);
    expect(text).toContain("Quarterly slide text");
    expect(await officeText(dir, out)).toBe(text);
  }, 120_000);
});
