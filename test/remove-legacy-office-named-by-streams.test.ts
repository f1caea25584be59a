import crypto from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import CFB from "cfb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { excel95Book } from "./helpers/make-excel95.js";
import { type LegacyKind, legacyOfficeText, makeMarkedLegacyOffice, writeCompound } from "./helpers/make-legacy-office.js";
import { bareFileType } from "./helpers/bare-file-type.js";
import { findMarker } from "./helpers/marker-scan.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { type RunningServer, startServer } from "./helpers/server.js";

/*
 * ExifTool names a compound file by the program its CompObj stream or its Software property names.
 * Workbooks and presentations that carry neither (jxl's, Excel 5.0/95's, many generated ones:
 * Tika's jxl.xls, testEXCEL_95.xls, testPPT_custom_props.ppt) were FlashPix images to it, read
 * without their extension as the service reads files, and refused "not supported (FPX)"; so
 * were password-protected DOCX, XLSX and PPTX files, which are compound files too.
 */

let server: RunningServer;
let dir: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-named-by-streams-"));
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

/** LibreOffice's marked document without the CompObj stream that names its program. */
async function withoutCompObj(kind: LegacyKind, marker: string): Promise<string> {
  const doc = CFB.read(await fs.readFile(await makeMarkedLegacyOffice(dir, kind, marker)), { type: "buffer" });
  CFB.utils.cfb_del(doc, "/\u0001CompObj");
  return writeCompound(dir, doc, `unnamed.${kind}`);
}

/** An Excel 5.0/95 workbook: LibreOffice's marked properties, a BIFF5 `Book` stream whose last user is the marker, no CompObj. */
async function excel95(marker: string): Promise<string> {
  const doc = CFB.read(await fs.readFile(await makeMarkedLegacyOffice(dir, "xls", marker)), { type: "buffer" });
  CFB.utils.cfb_del(doc, "/\u0001CompObj");
  CFB.utils.cfb_del(doc, "/Workbook");
  CFB.utils.cfb_add(doc, "/Book", excel95Book(`${marker} saver`, [[0, 0, "alpha"], [0, 1, "beta cell"], [1, 0, "gamma"]]));
  return writeCompound(dir, doc, "old.xls");
}

describe("an Office 97-2003 file whose properties do not name its program", () => {
  const cases: Array<{ what: string; kind: LegacyKind; make: (marker: string) => Promise<string>; type: string; text: string }> = [
    { what: "an Excel workbook with no CompObj stream", kind: "xls", make: (m) => withoutCompObj("xls", m), type: "XLS", text: "beta cell" },
    { what: "an Excel 5.0/95 workbook (BIFF5 in a Book stream)", kind: "xls", make: excel95, type: "XLS", text: "beta cell" },
    { what: "a PowerPoint presentation with no CompObj stream", kind: "ppt", make: (m) => withoutCompObj("ppt", m), type: "PPT", text: "Hello slide text" },
  ];
  it.each(cases)("$what is cleaned as the $type it is, its text unchanged", async ({ kind, make, type, text }) => {
    const marker = `Streams${kind}${crypto.randomBytes(5).toString("hex")}`;
    const file = await make(marker);
    expect(await bareFileType(dir, file)).toBe("FPX");
    expect(await findMarker(file, marker)).not.toEqual([]);
    const before = await legacyOfficeText(dir, kind, file);
    expect(before).toContain(text);

    const { status, body, cleaned } = await removeViaApi(server, file, `report.${kind}`);
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body["remaining"]).toEqual({});
    const out = path.join(dir, `cleaned-${crypto.randomUUID()}.${kind}`);
    await fs.writeFile(out, cleaned!);
    expect(await findMarker(out, marker)).toEqual([]);
    expect(await bareFileType(dir, out)).toBe(type);
    expect(await legacyOfficeText(dir, kind, out)).toBe(before);
  }, 180_000);
});

/**
 * A DOCX encrypted with a password as Office writes it ([MS-OFFCRYPTO] 2.3.4.4 "agile"): a
 * compound file holding the encryption's parameters, the encrypted package (its size, then
 * ciphertext: random bytes here) and the data-space storages that name the transform.
 */
async function encryptedDocx(): Promise<string> {
  const doc = CFB.utils.cfb_new();
  const info = Buffer.concat([Buffer.from([4, 0, 4, 0, 0x40, 0, 0, 0]), Buffer.from('<?xml version="1.0" encoding="UTF-8" standalone="yes"?><encryption xmlns="http://schemas.microsoft.com/office/2006/encryption"/>')]);
  const size = Buffer.alloc(8);
  size.writeUInt32LE(9000);
  CFB.utils.cfb_add(doc, "/EncryptionInfo", info);
  CFB.utils.cfb_add(doc, "/EncryptedPackage", Buffer.concat([size, crypto.randomBytes(9008)]));
  CFB.utils.cfb_add(doc, "/\u0006DataSpaces/Version", Buffer.alloc(76));
  CFB.utils.cfb_add(doc, "/\u0006DataSpaces/DataSpaceMap", Buffer.alloc(112));
  return writeCompound(dir, doc, "secret.docx");
}

describe("a password-protected Office 2007+ document", () => {
  it("is refused saying it cannot be cleaned without its password, not as an unsupported FlashPix file", async () => {
    const file = await encryptedDocx();
    expect(await bareFileType(dir, file)).toBe("FPX");
    const { status, body } = await removeViaApi(server, file, "secret.docx");
    expect(status).toBe(422);
    expect(body["error"]).toMatch(/^The document is encrypted \(password-protected\).* cannot be cleaned without its password/);
  }, 60_000);
});
