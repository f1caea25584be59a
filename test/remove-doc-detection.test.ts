import crypto from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import CFB from "cfb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { legacyOfficeText, makeMarkedLegacyOffice } from "./helpers/make-legacy-office.js";
import { bareFileType } from "./helpers/bare-file-type.js";
import { findMarker } from "./helpers/marker-scan.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { type RunningServer, startServer } from "./helpers/server.js";

/*
 * Word documents written by other programs (node-word-extractor's test files, from Corel's and
 * WordPerfect's writers) have no CompObj stream naming Word, and some an empty `Data` stream:
 * ExifTool, reading them without their extension as the service does, calls them FlashPix
 * images, and they were refused as such; with the empty stream the cleaner failed (a 500).
 */

let server: RunningServer;
let dir: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-remove-doc-detection-"));
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

/** LibreOffice's marked DOC without its CompObj stream, and with an empty `Data` stream. */
async function docAsOtherWritersSaveIt(marker: string): Promise<string> {
  const source = await makeMarkedLegacyOffice(dir, "doc", marker);
  const doc = CFB.read(await fs.readFile(source), { type: "buffer" });
  CFB.utils.cfb_del(doc, "/\u0001CompObj");
  if (CFB.find(doc, "Data") == null) CFB.utils.cfb_add(doc, "/Data", Buffer.alloc(0));
  const file = path.join(dir, `other-writer-${crypto.randomUUID()}.doc`);
  await fs.writeFile(file, CFB.write(doc, { type: "buffer", fileType: "cfb" }) as Buffer);
  return file;
}

describe("a Word 97-2003 document without a CompObj stream", () => {
  it("is cleaned as the DOC it is, its text unchanged, and comes back as a DOC", async () => {
    const marker = `Docdetect${crypto.randomBytes(5).toString("hex")}`;
    const file = await docAsOtherWritersSaveIt(marker);
    expect(await bareFileType(dir, file)).toBe("FPX");
    const reread = CFB.read(await fs.readFile(file), { type: "buffer" });
    expect(CFB.find(reread, "Data")?.size).toBe(0);
    expect(await findMarker(file, marker)).not.toEqual([]);
    const before = await legacyOfficeText(dir, "doc", file);

    const { status, body, cleaned } = await removeViaApi(server, file, "letter.doc");
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body["remaining"]).toEqual({});
    const out = path.join(dir, "cleaned.doc");
    await fs.writeFile(out, cleaned!);
    expect(await findMarker(out, marker)).toEqual([]);
    expect(await bareFileType(dir, out)).toBe("DOC");
    const words = (t: string): string => t.replace(/\s+/gu, " ").trim();
    // The review content goes as in any Word document (blanked in place).
    expect(words(await legacyOfficeText(dir, "doc", out))).toBe(words(before.replace("deleted words", "").replace("A remark", "")));
  }, 120_000);
});
