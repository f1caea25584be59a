import crypto from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeMarkedJpeg, makeOffice, XML, zip, type Part } from "./helpers/make-office.js";
import { findMarker } from "./helpers/marker-scan.js";
import { readZip } from "./helpers/read-archives.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { type RunningServer, startServer } from "./helpers/server.js";

/*
 * An XLSX sheet declared ISO-8859-1. The cleaner reads every part as UTF-8 (a byte no UTF-8
 * reader takes is a damaged part) and writes it back declared UTF-8; its final-text proof read
 * both copies as UTF-8 too, whatever the declaration said. So a sheet whose Latin-1 text "Ã©" (the
 * bytes C3 A9) also reads as UTF-8 ("é") came back a 200 reading "é": the proof now reads each
 * part in the encoding its declaration names, and that copy is refused. A sheet whose Latin-1
 * text is plain ASCII reads the same either way and is cleaned.
 */

const CHANGED = "The file could not be cleaned without changing its content; it may be damaged.";
const SHEET = "xl/worksheets/sheet1.xml";

let server: RunningServer;
let dir: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-declared-encoding-"));
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

/** A marked XLSX whose sheet is declared ISO-8859-1 and written in it, its cell reading `text`. */
async function latinSheetXlsx(marker: string, text: string): Promise<string> {
  const fx = await makeOffice("xlsx", marker, await makeMarkedJpeg(dir, marker));
  const { members } = await readZip(fx.bytes);
  const latin = (xml: string): Buffer => Buffer.from(xml.replace(XML, '<?xml version="1.0" encoding="ISO-8859-1"?>\n').replace("Hello body cell", text), "latin1");
  const file = path.join(dir, `${crypto.randomUUID()}.xlsx`);
  await fs.writeFile(file, await zip(members.map((m): Part => [m.name, m.name === SHEET ? latin(m.data.toString("utf8")) : m.data])));
  return file;
}

describe("POST /api/v1/remove on an XLSX whose sheet is declared ISO-8859-1", () => {
  it("Latin-1 text whose bytes read otherwise as UTF-8 is refused as changed, not handed back reading otherwise; ASCII text is cleaned", async () => {
    const marker = `Latin${crypto.randomBytes(5).toString("hex")}`;
    const changed = await removeViaApi(server, await latinSheetXlsx(marker, "Caf\u00c3\u00a9 cell"), "cafe.xlsx");
    expect(`${changed.status} ${String(changed.body["error"])}`).toBe(`422 ${CHANGED}`);

    const plain = await removeViaApi(server, await latinSheetXlsx(marker, "Plain cell"), "plain.xlsx");
    expect(plain.status, JSON.stringify(plain.body)).toBe(200);
    expect(plain.body["remaining"]).toEqual({});
    expect(await findMarker(plain.cleaned!, marker)).toEqual([]);
    const sheet = (await readZip(plain.cleaned!)).members.find((m) => m.name === SHEET)!.data.toString("utf8");
    expect(sheet).toContain("<t>Plain cell</t>");
  }, 120_000);
});
