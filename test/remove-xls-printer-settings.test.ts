import crypto from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { legacyOfficeText } from "./helpers/make-legacy-office.js";
import { record, recordsOf, withRecords, workbookOf } from "./helpers/make-query-xls.js";
import { findMarker } from "./helpers/marker-scan.js";
import { cleanedCopyViaApi } from "./helpers/remove-api.js";
import { postFile, type RunningServer, startServer } from "./helpers/server.js";

/*
 * An Excel 97-2003 sheet's printer settings (the Pls record: a reserved word, then the printer
 * driver's DEVMODE) name the printer, a network printer's with its print server, and carry the
 * driver's own data (driver paths, for some drivers the job's owner), which ExifTool does not
 * read. The name and the driver's data become zeros in place; the paper, orientation and scale
 * stay; every record keeps its size.
 */

let server: RunningServer;
let dir: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-xls-printer-"));
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

interface Finding {
  kind: string;
  title: string;
  value?: string;
}

/** The printer findings of a workbook as /api/v1/extract reports them. */
async function printerFindings(data: Buffer): Promise<Finding[]> {
  const res = await postFile(`${server.baseUrl}/api/v1/extract`, { name: "book.xls", data }, { headers: { "X-API-Key": server.apiKey } });
  expect(res.status).toBe(200);
  return ((await res.json()) as { findings: Finding[] }).findings.filter((f) => f.kind === "device" && f.title.includes("printer"));
}

const PLS = 0x004d;
const CONTINUE = 0x003c;
/** DEVMODEW: the device name (32 UTF-16 characters), dmSpecVersion, dmDriverVersion, dmSize, dmDriverExtra, then dmFields and the public fields. */
const NAME = 64;
const SIZE_AT = 68;
const PUBLIC_SIZE = 220;

/** The Pls records' DEVMODEs of a workbook stream (the reserved word left out), each with its Continue records' bodies after it. */
function devmodes(stream: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let previous = -1;
  for (const [type, body] of recordsOf(stream)) {
    if (type === PLS) out.push(body.subarray(2));
    else if (type === CONTINUE && previous === PLS) out[out.length - 1] = Buffer.concat([out[out.length - 1]!, body]);
    if (type !== CONTINUE) previous = type;
  }
  return out;
}

/** A DEVMODEW naming `printer`, A4 landscape at 90%, whose driver's data (`extra` bytes) holds `privateText` in UTF-16. */
function devmode(printer: string, privateText: string, extra: number): Buffer {
  const b = Buffer.alloc(PUBLIC_SIZE + extra);
  b.write(printer, 0, NAME, "utf16le");
  b.writeUInt16LE(0x0401, 64);
  b.writeUInt16LE(PUBLIC_SIZE, SIZE_AT);
  b.writeUInt16LE(extra, 70);
  b.writeUInt32LE(0x0000_0013, 72);
  b.writeUInt16LE(2, 76);
  b.writeUInt16LE(9, 78);
  b.writeUInt16LE(90, 84);
  b.write("A4", 102, "utf16le");
  b.write(privateText, PUBLIC_SIZE, "utf16le");
  b.write(privateText, PUBLIC_SIZE + extra - privateText.length * 2, "utf16le");
  return b;
}

describe("POST /api/v1/remove on an Excel workbook with printer settings", () => {
  it("Excel's own workbook naming a network printer (Apache POI's 14330-2.xls): reported, then the name and the driver's data go, the page setup stays", async () => {
    const source = path.join(import.meta.dirname, "fixtures", "xls", "printer-network-name.xls");
    const before = workbookOf(await fs.readFile(source));
    const [mode] = devmodes(before);
    expect(mode!.subarray(0, NAME).toString("utf16le")).toMatch(/^\\\\uklonfp01\\hp9000\0/);
    const size = mode!.readUInt16LE(SIZE_AT);
    expect(mode!.subarray(size).some((b) => b !== 0)).toBe(true);
    // The report names the printer and its server; the copy's names none.
    expect(await printerFindings(await fs.readFile(source))).toEqual([{ kind: "device", severity: "medium", title: "The workbook names the printer it was set up to print on.", tags: [], value: "\\\\uklonfp01\\hp9000" }]);

    const { out } = await cleanedCopyViaApi(server, source, dir);
    expect(await findMarker(out, "uklonfp01")).toEqual([]);
    const after = workbookOf(await fs.readFile(out));
    expect(recordsOf(after).map(([t, b]) => [t, b.length])).toEqual(recordsOf(before).map(([t, b]) => [t, b.length]));
    const [cleaned] = devmodes(after);
    expect(await printerFindings(await fs.readFile(out))).toEqual([]);
    expect(cleaned!.subarray(0, NAME).every((b) => b === 0)).toBe(true);
    expect(cleaned!.subarray(NAME, size)).toEqual(mode!.subarray(NAME, size));
    expect(cleaned!.subarray(size).every((b) => b === 0)).toBe(true);
    expect(await legacyOfficeText(dir, "xls", out)).toBe(await legacyOfficeText(dir, "xls", source));
  }, 120_000);

  it("settings whose driver's data goes on in a Continue record: the printer, the share and the user's folder in both go", async () => {
    const marker = `Pls${crypto.randomBytes(5).toString("hex")}`;
    const mode = devmode(`\\\\Print${marker}\\Laser 4F`, `C:\\Users\\${marker}\\AppData\\spool.dat`, 9000);
    const body = Buffer.concat([Buffer.alloc(2), mode]);
    // A record holds 8,224 bytes at most; the rest of the DEVMODE follows in a Continue record.
    const { file: source } = await withRecords(dir, Buffer.concat([record(PLS, body.subarray(0, 8224)), record(CONTINUE, body.subarray(8224))]));
    const before = workbookOf(await fs.readFile(source));
    expect(devmodes(before)).toEqual([mode]);
    expect(before.subarray(before.length - 2000).toString("utf16le")).toContain(marker);

    const { out } = await cleanedCopyViaApi(server, source, dir);
    expect(await findMarker(out, marker)).toEqual([]);
    const after = workbookOf(await fs.readFile(out));
    expect(recordsOf(after).map(([t, b]) => [t, b.length])).toEqual(recordsOf(before).map(([t, b]) => [t, b.length]));
    const [cleaned] = devmodes(after);
    expect(cleaned!.subarray(0, NAME).every((b) => b === 0)).toBe(true);
    // Orientation, paper, scale and the form's name as they were.
    expect(cleaned!.subarray(NAME, PUBLIC_SIZE)).toEqual(mode.subarray(NAME, PUBLIC_SIZE));
    expect(cleaned!.subarray(PUBLIC_SIZE).every((b) => b === 0)).toBe(true);
    expect(await legacyOfficeText(dir, "xls", out)).toBe(await legacyOfficeText(dir, "xls", source));
  }, 120_000);
});
