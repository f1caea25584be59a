import crypto from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { soffice } from "./helpers/make-legacy-office.js";
import { zip, type Part } from "./helpers/make-office.js";
import { findMarker } from "./helpers/marker-scan.js";
import { readZip } from "./helpers/read-archives.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { type RunningServer, startServer } from "./helpers/server.js";

/*
 * An XLSX written by LibreOffice: its sheet and shared strings hold nothing the cleaner removes,
 * so they go back byte for byte, as they were (the rewrite wrote the sheet's header text with `"`
 * where LibreOffice wrote `&quot;`, and the final-text proof then parsed both copies of every such
 * sheet: 4.7 s of CPU for 100,000 rows of 8 cells). A comment in the sheet makes it rewritten, the
 * comment gone.
 */

const SHEET = "xl/worksheets/sheet1.xml";
const STRINGS = "xl/sharedStrings.xml";

let server: RunningServer;
let dir: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-unchanged-parts-"));
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

const partOf = async (bytes: Buffer, name: string): Promise<Buffer> => (await readZip(bytes)).members.find((m) => m.name === name)!.data;

describe("POST /api/v1/remove on an XLSX whose sheet holds nothing to remove", () => {
  it("the sheet and its shared strings go back byte for byte; a sheet holding a comment is rewritten without it", async () => {
    const work = path.join(dir, crypto.randomUUID());
    await fs.mkdir(work);
    await fs.writeFile(path.join(work, "book.csv"), 'name,note\napple,"said ""yes"""\npear,3\n');
    await soffice(work, ["--convert-to", "xlsx", "--outdir", work, path.join(work, "book.csv")]);
    const file = path.join(work, "book.xlsx");
    const original = await fs.readFile(file);
    // LibreOffice's page header names its font in quotes, written as entities.
    expect((await partOf(original, SHEET)).toString("utf8")).toContain("&quot;");

    const plain = await removeViaApi(server, file, "book.xlsx");
    expect(plain.status, JSON.stringify(plain.body)).toBe(200);
    for (const part of [SHEET, STRINGS]) expect(await partOf(plain.cleaned!, part), part).toEqual(await partOf(original, part));

    const marker = `Unchanged${crypto.randomBytes(5).toString("hex")}`;
    const { members } = await readZip(original);
    const commented = path.join(work, "commented.xlsx");
    const withComment = (xml: string): string => xml.replace("<sheetData>", `<!-- ${marker} --><sheetData>`);
    await fs.writeFile(commented, await zip(members.map((m): Part => [m.name, m.name === SHEET ? withComment(m.data.toString("utf8")) : m.data])));
    expect(await findMarker(commented, marker)).not.toEqual([]);
    const rewritten = await removeViaApi(server, commented, "commented.xlsx");
    expect(rewritten.status, JSON.stringify(rewritten.body)).toBe(200);
    expect(await findMarker(rewritten.cleaned!, marker)).toEqual([]);
    expect(await partOf(rewritten.cleaned!, STRINGS)).toEqual(await partOf(original, STRINGS));
  }, 120_000);
});
