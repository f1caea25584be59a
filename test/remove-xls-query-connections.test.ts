import crypto from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { legacyOfficeText } from "./helpers/make-legacy-office.js";
import { expectSameCellsAndPivot } from "./helpers/make-pivot-xls.js";
import { makeQueryXls, queryStrings, recordsOf, workbookOf } from "./helpers/make-query-xls.js";
import { findMarker } from "./helpers/marker-scan.js";
import { cleanedCopyViaApi } from "./helpers/remove-api.js";
import { type RunningServer, startServer } from "./helpers/server.js";

/*
 * An Excel 97-2003 workbook's external data queries were copied as they were: the SQL naming a
 * database in the user's folder, the ODBC connection string with the database's path, the user
 * and the password, an OLE DB connection string with a user and a share named after the user.
 * The accounts and folders become spaces in place, each string keeping its length and each
 * record its size; the driver, the data source's name, the database's file name, the tables and
 * the cells stay.
 */

let server: RunningServer;
let dir: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-xls-queries-"));
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

/** The text of an SXString record (its count, flags byte and characters). */
function sxText(body: Buffer, at = 0): string {
  const cch = body.readUInt16LE(at);
  return (body[at + 2]! & 1) === 1 ? body.toString("utf16le", at + 3, at + 3 + cch * 2) : body.toString("latin1", at + 3, at + 3 + cch);
}

describe("POST /api/v1/remove on an Excel 97-2003 workbook with external data queries", () => {
  it("the queries' users, passwords and folders become spaces; the records, the data sources' names, the cells and the pivot table stay", async () => {
    const marker = `Query${crypto.randomBytes(5).toString("hex")}`;
    const { file: source, at } = await makeQueryXls(dir, marker);
    expect(await findMarker(source, marker)).not.toEqual([]);
    const q = queryStrings(marker);

    const { out } = await cleanedCopyViaApi(server, source, dir);
    expect(await findMarker(out, marker)).toEqual([]);

    const before = recordsOf(workbookOf(await fs.readFile(source)));
    const after = recordsOf(workbookOf(await fs.readFile(out)));
    expect(after.map(([t, b]) => [t, b.length])).toEqual(before.map(([t, b]) => [t, b.length]));
    const [dbQuery, sql, odbc1, odbc2, oleDbConn, ext] = recordsOf(workbookOf(await fs.readFile(out)), at);
    expect(dbQuery).toEqual(recordsOf(workbookOf(await fs.readFile(source)), at)[0]);
    expect(oleDbConn![1]).toEqual(recordsOf(workbookOf(await fs.readFile(source)), at)[4]![1]);

    const sqlAfter = sxText(sql![1]);
    expect(sqlAfter).toMatch(/^SELECT \* FROM ` +sales`\.Orders$/);
    expect(sqlAfter).toHaveLength(q.sql.length);
    const odbcAfter = sxText(odbc1![1]) + sxText(odbc2![1]);
    expect(odbcAfter).toMatch(/^ODBC;DSN=MS Access Database;DBQ=sales\.accdb +;UID= +;PWD= +;$/);
    expect(odbcAfter).toHaveLength(q.odbc.join("").length);
    const oleDbAfter = sxText(ext![1], 4);
    expect(oleDbAfter).toMatch(/^Provider=MSDASQL\.1;User ID= +;Data Source=db\.mdb +;$/);
    expect(oleDbAfter).toHaveLength(q.oleDb.length);

    expect(await legacyOfficeText(dir, "xls", out)).toBe(await legacyOfficeText(dir, "xls", source));
    await expectSameCellsAndPivot(dir, source, out);
  }, 180_000);

  it("an OLE DB connection string whose count says more than its record holds is scrubbed as far as the record goes", async () => {
    const marker = `Query${crypto.randomBytes(5).toString("hex")}`;
    const { file: source, at } = await makeQueryXls(dir, marker, 0xffff);
    const { out } = await cleanedCopyViaApi(server, source, dir);
    expect(await findMarker(out, marker)).toEqual([]);
    const ext = recordsOf(workbookOf(await fs.readFile(out)), at)[5]![1];
    expect(ext.toString("latin1", 7)).toMatch(/^Provider=MSDASQL\.1;User ID= +;Data Source=db\.mdb +;$/);
  }, 120_000);
});
