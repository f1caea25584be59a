import crypto from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import CFB from "cfb";
import { expect } from "vitest";
import { soffice } from "./make-legacy-office.js";

/**
 * An Excel 97-2003 workbook with a pivot table, made by LibreOffice from a flat OpenDocument
 * spreadsheet with a data pilot over four rows: LibreOffice writes the pivot cache as the stream
 * `_SX_DB_CUR/0001`, whose SXDB record ([MS-XLS] 2.4.276) leaves the name of the user who last
 * refreshed it empty; the name is then set to `refreshedBy` (each character in two bytes when
 * `wide`) with the `cfb` library.
 */
export const PIVOT_CACHE = "/_SX_DB_CUR/0001";
const SXDB = 0x00c6;
const SXDB_EX = 0x0122;

const FODS = `<?xml version="1.0" encoding="UTF-8"?>
<office:document xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" office:version="1.3" office:mimetype="application/vnd.oasis.opendocument.spreadsheet">
<office:body><office:spreadsheet><table:table table:name="Sheet1">${[
  ["Name", "Value"],
  ["apple", 3],
  ["pear", 5],
  ["apple", 7],
]
  .map((row) => `<table:table-row>${row.map(cell).join("")}</table:table-row>`)
  .join("")}</table:table>
<table:data-pilot-tables><table:data-pilot-table table:name="Fruit" table:target-range-address="Sheet1.D1:Sheet1.E5">
<table:source-cell-range table:cell-range-address="Sheet1.A1:Sheet1.B4"/>
<table:data-pilot-field table:source-field-name="Name" table:orientation="row"/>
<table:data-pilot-field table:source-field-name="Value" table:orientation="data" table:function="sum"/>
<table:data-pilot-field table:source-field-name="" table:is-data-layout-field="true" table:orientation="column"/>
</table:data-pilot-table></table:data-pilot-tables>
</office:spreadsheet></office:body></office:document>`;

function cell(v: string | number): string {
  return typeof v === "number"
    ? `<table:table-cell office:value-type="float" office:value="${v}"><text:p>${v}</text:p></table:table-cell>`
    : `<table:table-cell office:value-type="string"><text:p>${v}</text:p></table:table-cell>`;
}

/** The workbook with the pivot table as LibreOffice writes it in `format` (`xls`, `xlsx`). */
export async function pivotWorkbook(dir: string, format: string): Promise<string> {
  const work = path.join(dir, `pivot-${crypto.randomUUID()}`);
  await fs.mkdir(work);
  await fs.writeFile(path.join(work, "pivot.fods"), FODS);
  await soffice(work, ["--convert-to", format, "--outdir", work, path.join(work, "pivot.fods")]);
  return path.join(work, `pivot.${format}`);
}

export async function makePivotXls(dir: string, refreshedBy: string, wide: boolean): Promise<string> {
  const file = await pivotWorkbook(dir, "xls");
  const doc = CFB.read(await fs.readFile(file), { type: "buffer" });
  const cache = CFB.find(doc, PIVOT_CACHE);
  if (cache == null) throw new Error("LibreOffice wrote no pivot cache");
  const records = cacheRecords(Buffer.from(cache.content));
  const sxdb = records.find((r) => r.type === SXDB)!;
  const name = wide ? Buffer.from(refreshedBy, "utf16le") : Buffer.from(refreshedBy, "latin1");
  const who = Buffer.from([refreshedBy.length & 0xff, refreshedBy.length >> 8, wide ? 1 : 0]);
  sxdb.body = Buffer.concat([sxdb.body.subarray(0, 18), who, name]);
  const content = Buffer.concat(records.flatMap((r) => [Buffer.from([r.type & 0xff, r.type >> 8, r.body.length & 0xff, r.body.length >> 8]), r.body]));
  cache.content = content;
  cache.size = content.length;
  await fs.writeFile(file, CFB.write(doc, { type: "buffer", fileType: "cfb" }) as Buffer);
  return file;
}

/** What LibreOffice reads of `file` (a workbook) converted to `format` (`fods`, `csv`: the first sheet's values). */
async function readAs(dir: string, file: string, format: string): Promise<string> {
  const work = path.join(dir, `read-${crypto.randomUUID()}`);
  await fs.mkdir(work);
  const copy = path.join(work, `book${path.extname(file)}`);
  await fs.copyFile(file, copy);
  await soffice(work, ["--convert-to", format, "--outdir", work, copy]);
  return fs.readFile(path.join(work, `book.${format}`), "utf8");
}

/** The pivot tables LibreOffice reads from a workbook (their part of its flat OpenDocument form). */
export async function pivotTables(dir: string, file: string): Promise<string> {
  return /<table:data-pilot-tables>.*<\/table:data-pilot-tables>/s.exec(await readAs(dir, file, "fods"))?.[0] ?? "";
}

/** The values of a workbook's first sheet as LibreOffice reads them. */
export function sheetValues(dir: string, file: string): Promise<string> {
  return readAs(dir, file, "csv");
}

/** The records of a pivot cache stream, in order. */
export function cacheRecords(stream: Buffer): Array<{ type: number; body: Buffer }> {
  const out: Array<{ type: number; body: Buffer }> = [];
  for (let at = 0; at + 4 <= stream.length; at += 4 + stream.readUInt16LE(at + 2)) {
    out.push({ type: stream.readUInt16LE(at), body: stream.subarray(at + 4, at + 4 + stream.readUInt16LE(at + 2)) });
  }
  return out;
}

/** The cache's refresh date (SXDBEx's numDate, days since 1899-12-30). */
export function refreshDate(records: ReadonlyArray<{ type: number; body: Buffer }>): number | undefined {
  return records.find((r) => r.type === SXDB_EX)?.body.readDoubleLE(0);
}

/** The name the cache's SXDB record gives the user who last refreshed it. */
export function refreshedBy(records: ReadonlyArray<{ type: number; body: Buffer }>): string {
  const body = records.find((r) => r.type === SXDB)!.body;
  const length = body.readUInt16LE(18);
  if (length === 0xffff) return "";
  return (body[20]! & 1) === 1 ? body.toString("utf16le", 21, 21 + length * 2) : body.toString("latin1", 21, 21 + length);
}

/** The cleaned copy's cells (the first sheet's values) and pivot table read the same as the pivot workbook's. */
export async function expectSameCellsAndPivot(dir: string, source: string, out: string): Promise<void> {
  const values = await sheetValues(dir, source);
  expect(values).toContain("apple");
  expect(await sheetValues(dir, out)).toBe(values);
  const tables = await pivotTables(dir, source);
  expect(tables).toContain('table:name="Fruit"');
  expect(await pivotTables(dir, out)).toBe(tables);
}
