import crypto from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { libreOfficeLinks, linkTargets, makeHyperlinkXls } from "./helpers/make-hyperlink-xls.js";
import { legacyOfficeText } from "./helpers/make-legacy-office.js";
import { recordsOf, workbookOf } from "./helpers/make-query-xls.js";
import { findMarker } from "./helpers/marker-scan.js";
import { cleanedCopyViaApi } from "./helpers/remove-api.js";
import { type RunningServer, startServer } from "./helpers/server.js";

/*
 * An Excel 97-2003 cell's hyperlink to a file (a file moniker's 8-bit and UTF-16 paths, a `file:`
 * URL, a path climbing out of the workbook's folder) and a hyperlink's tooltip kept the user's
 * folder or share, which ExifTool does not read: each becomes its bare file name in place, every
 * record keeping its size; the web link, the cells and the links themselves (as LibreOffice reads
 * them: to the file of that name beside the workbook) stay.
 */

let server: RunningServer;
let dir: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-xls-hyperlinks-"));
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

const HLINK = 0x01b8;
const HLINK_TOOLTIP = 0x0800;
/** A record's characters read one byte and two bytes at a time. */
const readings = (body: Buffer): string => [body.toString("latin1"), body.toString("utf16le"), body.subarray(1).toString("utf16le")].join("\n");

describe("POST /api/v1/remove on an Excel workbook whose cells link to the user's files", () => {
  it("the links' folders go, their file names, the web link, the cells and the records' sizes stay", async () => {
    const marker = `Hlink${crypto.randomBytes(5).toString("hex")}`;
    const source = await makeHyperlinkXls(dir, marker);
    const links = recordsOf(workbookOf(await fs.readFile(source))).filter(([t]) => t === HLINK || t === HLINK_TOOLTIP);
    expect(links.map(([t]) => t)).toEqual([HLINK, HLINK, HLINK, HLINK, HLINK, HLINK_TOOLTIP]);
    for (const [, body] of links.filter((_, i) => i !== 3)) expect(readings(body)).toContain(marker);

    const { out } = await cleanedCopyViaApi(server, source, dir);
    expect(await findMarker(out, marker)).toEqual([]);

    const before = recordsOf(workbookOf(await fs.readFile(source)));
    const after = recordsOf(workbookOf(await fs.readFile(out)));
    expect(after.map(([t, b]) => [t, b.length])).toEqual(before.map(([t, b]) => [t, b.length]));
    const cleaned = after.filter(([t]) => t === HLINK || t === HLINK_TOOLTIP).map(([, b]) => readings(b));
    // The file monikers' 8-bit and UTF-16 paths (after their length, after their key 3), the URL
    // moniker's address, the tooltip: each the bare name, then NULs.
    for (const [i, name] of ["Budget.xlsx", "notes.docx", "report.doc"].entries()) expect(cleaned[i]!.match(new RegExp(`[\0\u0003]${name.replace(".", "\\.")}\0{4}`, "g")), name).toHaveLength(2);
    expect(links[3]![1]).toEqual(after.filter(([t]) => t === HLINK)[3]![1]);
    expect(cleaned[4]).toMatch(/\0Plan\.xlsx\0{4}/);
    expect(cleaned[5]).toMatch(/\0tip\.txt\0{4}/);

    expect(await legacyOfficeText(dir, "xls", out)).toBe(await legacyOfficeText(dir, "xls", source));
    const read = await libreOfficeLinks(dir, out);
    // LibreOffice reads the links from the workbook's folder ("../" from the OpenDocument's own).
    expect(read).toEqual(["Budget link -> ../Budget.xlsx", "Meeting notes -> ../notes.docx", "Report -> ../report.doc", `Web page -> ${linkTargets(marker).web}`, "Plan -> ../Plan.xlsx#Sheet1!A1"]);
  }, 240_000);
});
