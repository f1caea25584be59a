import crypto from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import CFB from "cfb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { legacyOfficeText, makeMarkedLegacyOffice } from "./helpers/make-legacy-office.js";
import { embedObjects } from "./helpers/make-ole-objects.js";
import { findMarker } from "./helpers/marker-scan.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { type RunningServer, startServer } from "./helpers/server.js";

/*
 * Word, Excel and PowerPoint 97-2003 documents embedded in another as storages (Word's
 * `ObjectPool/_N`, Excel's `MBDxxxxxxxx`: Tika's testEXCEL_embeded.xls, testWPSAttachment.doc)
 * keep their own authors in their own streams, which only the cleaner of their kind blanks: an
 * embedded workbook's last user (WriteAccess, which ExifTool does not read) came back in the
 * cleaned copy, and an embedded presentation's Current User (which ExifTool reads) made the
 * document refused as not clean.
 */

let server: RunningServer;
let dir: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-embedded-documents-"));
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

/** The storage `ObjectPool/_N` of a Word document as a compound file of its own. */
async function storageFile(bytes: Buffer, storage: string): Promise<string> {
  const doc = CFB.read(bytes, { type: "buffer" });
  const out = CFB.utils.cfb_new();
  const prefix = doc.FullPaths.find((p) => p.endsWith(`/ObjectPool/${storage}/`))!;
  for (const [i, p] of doc.FullPaths.entries()) {
    const e = doc.FileIndex[i]!;
    if (p.startsWith(prefix) && e.type === 2 && e.content != null) CFB.utils.cfb_add(out, `/${p.slice(prefix.length)}`, Buffer.from(e.content));
  }
  const file = path.join(dir, `${crypto.randomUUID()}-${storage}`);
  await fs.writeFile(file, CFB.write(out, { type: "buffer", fileType: "cfb" }) as Buffer);
  return file;
}

describe("a Word 97-2003 document holding Office 97-2003 documents as embedded storages", () => {
  it("has each cleaned by its own cleaner (a workbook's last user, a presentation's Current User, their properties), the outer text and the workbook's cells unchanged", async () => {
    const marker = `Storages${crypto.randomBytes(5).toString("hex")}`;
    const xls = await makeMarkedLegacyOffice(dir, "xls", `${marker}xls`);
    const ppt = await makeMarkedLegacyOffice(dir, "ppt", `${marker}ppt`);
    const doc = await makeMarkedLegacyOffice(dir, "doc", `${marker}doc`);
    await embedObjects(doc, [
      { kind: "storage", compoundFile: await fs.readFile(xls) },
      { kind: "storage", compoundFile: await fs.readFile(ppt) },
    ]);
    const original = await fs.readFile(doc);
    for (const m of ["xls", "ppt", "doc"]) expect(await findMarker(original, `${marker}${m}`), m).not.toEqual([]);
    const outerText = await legacyOfficeText(dir, "doc", doc);
    const cells = await legacyOfficeText(dir, "xls", xls);
    expect(cells).toContain("beta cell");

    const { status, body, cleaned } = await removeViaApi(server, doc, "report.doc");
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body["remaining"]).toEqual({});
    expect(await findMarker(cleaned!, marker)).toEqual([]);
    const out = path.join(dir, "cleaned.doc");
    await fs.writeFile(out, cleaned!);
    // The outer document's own review content goes as in any Word document (blanked in place).
    const words = (t: string): string => t.replace(/\s+/gu, " ").trim();
    expect(words(await legacyOfficeText(dir, "doc", out))).toBe(words(outerText.replace("deleted words", "").replace("A remark", "")));
    expect(await legacyOfficeText(dir, "xls", await storageFile(cleaned!, "_1000"))).toBe(cells);
    expect(await findMarker(await storageFile(cleaned!, "_1001"), marker)).toEqual([]);
  }, 180_000);
});
