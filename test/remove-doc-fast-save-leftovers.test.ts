import crypto from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import CFB from "cfb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { libreOfficeText, openWord } from "./helpers/make-doc-review.js";
import { makeLaidOutDoc, withFastSaveLeftovers } from "./helpers/make-fast-saved-doc.js";
import { legacyOfficeRendering, makeMarkedLegacyOffice } from "./helpers/make-legacy-office.js";
import { findMarker } from "./helpers/marker-scan.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { findingsViaApi, type RunningServer, startServer } from "./helpers/server.js";

/*
 * Word's fast saves leave earlier versions behind, among them the table stream the document no
 * longer uses (Word writes its tables into the other one), which kept the last-saved-by lists of
 * earlier saves (users' names and folders) in the copy, a 200 with nothing said: three of Apache
 * POI's fast-saved documents did. It is zeroed; the document reads the same. In the streams in
 * use, what no structure of the document refers to any more (earlier wording, earlier
 * last-saved-by lists) is zeroed too; the document shows the same, lists, sections and pictures
 * included.
 */

let server: RunningServer;
let dir: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-doc-fast-save-"));
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

/** An SttbSavedBy ([MS-DOC] 2.9.279) of one user and the path they saved to, as Word writes it. */
function savedBy(user: string, file: string): Buffer {
  const xst = (s: string): Buffer => Buffer.concat([Buffer.from([s.length & 0xff, s.length >> 8]), Buffer.from(s, "utf16le")]);
  return Buffer.concat([Buffer.from([0xff, 0xff, 2, 0, 0, 0]), xst(user), xst(file)]);
}

async function save(bytes: Buffer, name: string): Promise<string> {
  const file = path.join(dir, `${crypto.randomUUID()}-${name}`);
  await fs.writeFile(file, bytes);
  return file;
}

describe("POST /api/v1/remove on Word 97-2003 documents saved fast", () => {
  it("the table stream not in use goes; the text stays", async () => {
    const m = (what: string): string => `Fast${what}${crypto.randomBytes(4).toString("hex")}`;
    const oldTable = m("oldtable");
    const file = await makeMarkedLegacyOffice(dir, "doc", m("doc"));
    const w = await openWord(file);
    const active = (w.word.readUInt16LE(10) & 0x0200) !== 0 ? "1Table" : "0Table";
    // The earlier save's tables, in the stream the document no longer uses.
    const previous = Buffer.concat([w.table, savedBy(`${oldTable} user`, `C:\\Users\\${oldTable}\\Documents\\report.doc`)]);
    CFB.utils.cfb_add(w.doc, active === "1Table" ? "0Table" : "1Table", previous);
    CFB.utils.cfb_gc(w.doc);
    const fastSaved = await save(w.bytes(), "fast-saved.doc");
    const original = await fs.readFile(fastSaved);
    for (const marker of [oldTable]) expect(original.includes(Buffer.from(marker, "utf16le")), marker).toBe(true);
    // The construction is sound: LibreOffice reads the document's text from it as before.
    expect(await libreOfficeText(dir, fastSaved)).toBe(await libreOfficeText(dir, file));

    const { status, body, cleaned } = await removeViaApi(server, fastSaved, "fast-saved.doc");
    expect(status, JSON.stringify(body)).toBe(200);
    for (const marker of [oldTable]) expect(await findMarker(cleaned!, marker), marker).toEqual([]);
    // The text as the cleaner makes it of the same document without the leftovers (its tracked deletion blanked).
    const plain = await removeViaApi(server, file, "plain.doc");
    expect(plain.status).toBe(200);
    expect(await libreOfficeText(dir, await save(cleaned!, "cleaned.doc"))).toBe(await libreOfficeText(dir, await save(plain.cleaned!, "plain-cleaned.doc")));
  }, 120_000);

  it("Word's own fast-saved document with two table streams (Apache POI's rasp.doc): the earlier users and folders go, the text stays", async () => {
    const file = path.join(import.meta.dirname, "fixtures", "doc", "fast-saved-two-tables.doc");
    const before = await fs.readFile(file);
    // An earlier save's wording, its typo since corrected ("наименоваие"), lies in the
    // WordDocument stream, referred to by no piece of the text.
    const traces = ["Дина", "Profiles\\sgg", "D:\\FTP", "полное наименоваие"];
    for (const t of traces) expect(before.includes(Buffer.from(t, "utf16le")), t).toBe(true);
    const { status, body, cleaned } = await removeViaApi(server, file, "rasp.doc");
    expect(status, JSON.stringify(body)).toBe(200);
    for (const t of traces) expect(cleaned!.includes(Buffer.from(t, "utf16le")), t).toBe(false);
    expect(await libreOfficeText(dir, await save(cleaned!, "cleaned.doc"))).toBe(await libreOfficeText(dir, file));
  }, 120_000);

  it("in the streams in use, earlier text and saved-by lists go; lists, tables, footnotes, pictures and sections show the same", async () => {
    const marker = `FastLeft${crypto.randomBytes(4).toString("hex")}`;
    const file = await makeLaidOutDoc(dir);
    const fastSaved = await withFastSaveLeftovers(file, marker);
    expect(fastSaved.includes(Buffer.from(marker, "utf16le"))).toBe(true);
    const shown = await legacyOfficeRendering(dir, "doc", fastSaved);
    // The construction is sound: LibreOffice shows the leftovers' document as the one it was made from.
    expect(shown).toEqual(await legacyOfficeRendering(dir, "doc", file));
    expect(shown.text).toContain("Nested item b");

    // Extraction reports the leftovers, the earlier user's folder first.
    const leftovers = (f: { kind: string; title: string }): boolean => f.kind === "hidden" && f.title.includes("earlier saves");
    const reported = (await findingsViaApi(server, "fast-saved.doc", fastSaved)).filter(leftovers);
    expect(reported).toHaveLength(1);
    expect(reported[0]!.value!.split("; ")[0], reported[0]!.value).toContain(`C:\\Users\\${marker}\\Documents`);
    expect(reported[0]!.value).toContain(`Earlier wording by ${marker}`);

    const { status, body, cleaned } = await removeViaApi(server, await save(fastSaved, "fast-saved.doc"), "fast-saved.doc");
    expect(status, JSON.stringify(body)).toBe(200);
    expect(await findMarker(cleaned!, marker)).toEqual([]);
    expect(await legacyOfficeRendering(dir, "doc", cleaned!)).toEqual(shown);
    expect((await findingsViaApi(server, "cleaned.doc", cleaned!)).filter(leftovers)).toEqual([]);
  }, 180_000);
});
