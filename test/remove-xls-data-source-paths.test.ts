import crypto from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import CFB from "cfb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { excel95Book } from "./helpers/make-excel95.js";
import { legacyOfficeText, makeMarkedLegacyOffice, writeCompound } from "./helpers/make-legacy-office.js";
import { expectSameCellsAndPivot } from "./helpers/make-pivot-xls.js";
import { chars, record, recordsOf, workbookOf } from "./helpers/make-query-xls.js";
import { makeSourceXls, sourceStrings, txtQryFileAt } from "./helpers/make-source-xls.js";
import { findMarker } from "./helpers/marker-scan.js";
import { cleanedCopyViaApi } from "./helpers/remove-api.js";
import { type RunningServer, startServer } from "./helpers/server.js";

/*
 * Where an Excel 97-2003 workbook's external data comes from was copied as it was: a text
 * import's file (TxtQry), a query's data file and connection file (SXAddl), an Excel 2007 data
 * connection's files, connection string and SQL (DConn), all in the user's folder or on a share
 * named after them, with the connection's user and password; so were an Excel 5.0/95 workbook's
 * query strings. The folders and accounts become spaces in place, each record keeping its size;
 * the files' names, the driver, the cells and the pivot table stay.
 */

let server: RunningServer;
let dir: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-xls-sources-"));
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

/** A record's characters read one byte and two bytes at a time (the second at both alignments). */
const readings = (body: Buffer): string => [body.toString("latin1"), body.toString("utf16le"), body.subarray(1).toString("utf16le")].join("\n");

describe("POST /api/v1/remove on an Excel workbook with text imports, queries and data connections", () => {
  it("the folders, users and passwords of their files and connections become spaces; records, file names, cells and pivot table stay", async () => {
    const marker = `Source${crypto.randomBytes(5).toString("hex")}`;
    const { file: source, at } = await makeSourceXls(dir, marker);
    const added = recordsOf(workbookOf(await fs.readFile(source)), at).slice(0, 5);
    for (const [type, body] of added) expect(readings(body), type.toString(16)).toContain(marker);

    const { out } = await cleanedCopyViaApi(server, source, dir);
    expect(await findMarker(out, marker)).toEqual([]);

    const before = recordsOf(workbookOf(await fs.readFile(source)));
    const after = recordsOf(workbookOf(await fs.readFile(out)));
    expect(after.map(([t, b]) => [t, b.length])).toEqual(before.map(([t, b]) => [t, b.length]));
    const [txtQry, ext, dataFile, connectionFile, dConn] = recordsOf(workbookOf(await fs.readFile(out)), at);
    const s = sourceStrings(marker);
    expect(txtQry![1].subarray(0, txtQryFileAt(2))).toEqual(added[0]![1].subarray(0, txtQryFileAt(2)));
    expect(txtQry![1].toString("utf16le", txtQryFileAt(2) + 3)).toMatch(/^ +orders\.csv$/);
    expect(ext![1].toString("latin1", 7)).toMatch(/^TEXT; +orders\.csv$/);
    expect(dataFile![1].toString("utf16le", 15)).toMatch(/^ +sales\.accdb$/);
    expect(connectionFile![1].toString("latin1", 15)).toMatch(/^ +sales\.odc$/);
    const connection = readings(dConn![1]);
    expect(connection).toMatch(/ +sales\.accdb/);
    expect(connection).toMatch(/ +sales\.odc/);
    expect(connection).toMatch(/DSN=MS Access Database;DBQ=sales\.accdb +;DefaultDir= +;DriverId=25;UID= +;PWD= +;/);
    expect(connection).toMatch(/SELECT \* FROM ` +sales`\.Orders/);
    for (const [i, text] of [s.odbc, s.sql].entries()) expect(connection, `string ${i}`).not.toContain(text);

    expect(await legacyOfficeText(dir, "xls", out)).toBe(await legacyOfficeText(dir, "xls", source));
    await expectSameCellsAndPivot(dir, source, out);
  }, 180_000);

  it("an Excel 5.0/95 workbook's query strings lose their folders and accounts; its cells stay", async () => {
    const marker = `Biff5${crypto.randomBytes(5).toString("hex")}`;
    const s = sourceStrings(marker);
    // BIFF5's SXString: a count and one-byte characters, no flags byte.
    const sxString = (text: string): Buffer => record(0x00cd, Buffer.concat([chars(text).subarray(0, 2), Buffer.from(text, "latin1")]));
    const doc = CFB.read(await fs.readFile(await makeMarkedLegacyOffice(dir, "xls", "nobody")), { type: "buffer" });
    CFB.utils.cfb_del(doc, "/Workbook");
    CFB.utils.cfb_add(doc, "/Book", excel95Book("saver", [[0, 0, "alpha"], [0, 1, "beta cell"]], [sxString(s.sql), sxString(`ODBC;${s.odbc}`)]));
    const source = await writeCompound(dir, doc, "old.xls");
    expect(await findMarker(source, marker)).not.toEqual([]);

    const { out } = await cleanedCopyViaApi(server, source, dir);
    expect(await findMarker(out, marker)).toEqual([]);
    const book = (f: Buffer): Buffer => Buffer.from(CFB.find(CFB.read(f, { type: "buffer" }), "/Book")!.content);
    const strings = recordsOf(book(await fs.readFile(out))).filter(([t]) => t === 0x00cd);
    expect(strings.map(([, b]) => b.toString("latin1", 2))).toEqual([
      expect.stringMatching(/^SELECT \* FROM ` +sales`\.Orders$/),
      expect.stringMatching(/^ODBC;DSN=MS Access Database;DBQ=sales\.accdb +;DefaultDir= +;DriverId=25;UID= +;PWD= +;$/),
    ]);
    const text = await legacyOfficeText(dir, "xls", source);
    expect(text).toContain("beta cell");
    expect(await legacyOfficeText(dir, "xls", out)).toBe(text);
  }, 120_000);
});
