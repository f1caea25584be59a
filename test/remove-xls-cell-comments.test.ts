import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { soffice } from "./helpers/make-legacy-office.js";
import { findMarker } from "./helpers/marker-scan.js";
import { readZip } from "./helpers/read-archives.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { postFile, type RunningServer, startServer } from "./helpers/server.js";

/**
 * Excel 97-2003 cell comments: each one's author (its Note record) goes always, its text (the
 * Continue records after its TxO) unless keep=comments. ExifTool reads none of them: on main the
 * cleaned copy kept both with `remaining` empty (Apache POI's test workbooks 33082.xls, 34775.xls,
 * 37684.xls, 29982.xls, 44201.xls came back 200 with their commenters' names in every Note).
 * The workbook is LibreOffice's, one comment in 8-bit characters and one in 16-bit. ExifTool's
 * read told of none of them: extraction now does, as for PowerPoint's comments.
 */

const AUTHOR = "QXNOTEAUTHOR";
const TEXT = "QXNOTETEXT";
const WIDE = "QXWIDENOTE";

let server: RunningServer;
let dir: string;
let workbook: string;

const NS = [
  'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"',
  'xmlns:dc="http://purl.org/dc/elements/1.1/"',
  'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"',
  'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"',
  'office:version="1.3" office:mimetype="application/vnd.oasis.opendocument.spreadsheet"',
].join(" ");

function cell(value: string, author: string, note: string): string {
  return `<table:table-cell><office:annotation><dc:creator>${author}</dc:creator><dc:date>2023-05-06T07:08:09</dc:date><text:p>${note}</text:p></office:annotation><text:p>${value}</text:p></table:table-cell>`;
}

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-xls-notes-"));
  const row = `${cell("alpha", `${AUTHOR} first`, `${TEXT} remark`)}${cell("beta cell", `${AUTHOR} second`, `${WIDE} \u0142\u0105ka`)}`;
  const source = path.join(dir, "notes.fods");
  await fs.writeFile(source, `<?xml version="1.0" encoding="UTF-8"?><office:document ${NS}><office:body><office:spreadsheet><table:table table:name="Sheet1"><table:table-row>${row}</table:table-row></table:table></office:spreadsheet></office:body></office:document>`);
  await soffice(dir, ["--convert-to", "xls", "--outdir", dir, source]);
  workbook = path.join(dir, "notes.xls");
  server = await startServer();
}, 180_000);
afterAll(async () => {
  await server?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

/** The comments and the first sheet's cells as LibreOffice reads the workbook (converted to XLSX). */
async function asLibreOfficeReadsIt(data: Buffer, name: string): Promise<{ comments: string[]; cells: string }> {
  const work = await fs.mkdtemp(path.join(dir, "read-"));
  await fs.writeFile(path.join(work, `${name}.xls`), data);
  await soffice(work, ["--convert-to", "xlsx", "--outdir", work, path.join(work, `${name}.xls`)]);
  const { members } = await readZip(await fs.readFile(path.join(work, `${name}.xlsx`)));
  const part = (p: string): string => members.find((m) => m.name === p)?.data.toString("utf8") ?? "";
  const comments = [...part("xl/comments1.xml").matchAll(/<comment [^>]*>.*?<t[^>]*>([^<]*)<\/t>/g)].map((m) => m[1]!.trim());
  return { comments, cells: part("xl/sharedStrings.xml") + part("xl/worksheets/sheet1.xml").replace(/<legacyDrawing[^>]*>/, "") };
}

/** The review-comment findings of extract's answer on `data`. */
async function commentFindings(data: Buffer): Promise<unknown[]> {
  const res = await postFile(`${server.baseUrl}/api/v1/extract`, { name: "notes.xls", data }, { headers: { "X-API-Key": server.apiKey } });
  expect(res.status).toBe(200);
  return ((await res.json()) as { findings: Array<{ title: string }> }).findings.filter((f) => /review comment/.test(f.title));
}

describe("Excel 97-2003 cell comments", () => {
  it("are told of as hidden content naming their authors, by extract and remove, and not in the cleaned copy", async () => {
    const told = [{ kind: "hidden", severity: "high", title: "The workbook holds 2 review comment(s).", tags: [], value: `${AUTHOR} first; ${AUTHOR} second` }];
    expect(await commentFindings(await fs.readFile(workbook))).toEqual(told);
    const { status, body, cleaned } = await removeViaApi(server, workbook);
    expect(status, JSON.stringify(body)).toBe(200);
    expect((body["findings"] as Array<{ title: string }>).filter((f) => /review comment/.test(f.title))).toEqual(told);
    expect(await commentFindings(cleaned!)).toEqual([]);
  }, 60_000);

  it("lose their authors and their text; the cells and the comments' places stay", async () => {
    const original = await fs.readFile(workbook);
    for (const s of [AUTHOR, TEXT, WIDE]) expect(await findMarker(original, s), s).not.toEqual([]);
    const { status, body, cleaned } = await removeViaApi(server, workbook);
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body["remaining"]).toEqual({});
    expect((body["removed"] as Record<string, number>)["comments"]).toBe(2);
    for (const s of [AUTHOR, TEXT, WIDE]) expect(await findMarker(cleaned!, s), s).toEqual([]);
    const before = await asLibreOfficeReadsIt(original, "original");
    const after = await asLibreOfficeReadsIt(cleaned!, "cleaned");
    expect(before.comments).toEqual([`${TEXT} remark`, `${WIDE} \u0142\u0105ka`]);
    expect(after.comments).toEqual(["", ""]);
    expect(after.cells).toContain("beta cell");
    expect(after.cells).toBe(before.cells);
  }, 240_000);

  it("keep=comments keeps their text, not their authors", async () => {
    const { status, body, cleaned } = await removeViaApi(server, workbook, "notes.xls", { keep: "comments" });
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body["remaining"]).toEqual({});
    expect((body["removed"] as Record<string, number>)["comments"]).toBeUndefined();
    expect(await findMarker(cleaned!, TEXT)).not.toEqual([]);
    expect(await findMarker(cleaned!, WIDE)).not.toEqual([]);
    expect(await findMarker(cleaned!, AUTHOR)).toEqual([]);
  }, 60_000);
});
