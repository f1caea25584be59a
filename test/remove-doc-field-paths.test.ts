import crypto from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import CFB from "cfb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { libreOfficeText } from "./helpers/make-doc-review.js";
import { localLinksDoc } from "./helpers/make-local-links.js";
import { findMarker } from "./helpers/marker-scan.js";
import { cleanedCopyViaApi } from "./helpers/remove-api.js";
import { type RunningServer, startServer } from "./helpers/server.js";

/*
 * A Word 97-2003 document's fields named files in the user's folder and share in their
 * instructions (LINK, INCLUDEPICTURE, HYPERLINK), and its Data stream held the hyperlink's
 * object and the linked picture's file name, which ExifTool does not read: each becomes its bare
 * file name in place, no character position or stream size moving; the text stays.
 */

let server: RunningServer;
let dir: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-doc-fields-"));
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

const streams = async (file: string): Promise<Map<string, Buffer>> =>
  new Map(CFB.read(await fs.readFile(file), { type: "buffer" }).FileIndex.filter((e) => e.type === 2).map((e) => [e.name, Buffer.from(e.content)]));

describe("POST /api/v1/remove on a Word 97-2003 document whose fields link to the user's files", () => {
  it("field instructions, the hyperlink's object and the picture's name keep only bare names; the text stays", async () => {
    const marker = `Field${crypto.randomBytes(5).toString("hex")}`;
    const source = await localLinksDoc(dir, marker);
    const before = await streams(source);
    expect(before.get("WordDocument")!.toString("utf16le")).toContain(marker);
    expect(before.get("Data")!.toString("latin1")).toContain(marker);

    const { out } = await cleanedCopyViaApi(server, source, dir);
    expect(await findMarker(out, marker)).toEqual([]);

    const after = await streams(out);
    expect(after.get("WordDocument")!.length).toBe(before.get("WordDocument")!.length);
    expect(after.get("Data")!.length).toBe(before.get("Data")!.length);
    const text = after.get("WordDocument")!.toString("utf16le");
    expect(text).toMatch(/\u0013LINK Excel\.Sheet\.12 "Budget\.xlsx" +"Sheet1!R1C1:R2C2" \\a \\p\u0014/);
    expect(text).toMatch(/\u0013 INCLUDEPICTURE {2}"rome\.jpg" +\\d\u0014/);
    expect(text).toMatch(/\u0013 HYPERLINK "notes\.docx" +\u0001\u0014Meeting notes\u0015/);
    const data = after.get("Data")!;
    expect(data.toString("latin1")).toMatch(/\0notes\.docx\0{4}/);
    expect(data.toString("utf16le")).toMatch(/\u0003notes\.docx\0{4}/);
    expect(data.toString("latin1")).toMatch(/rome\.jpg\0{4}/);
    expect(data.toString("latin1")).not.toContain("file:");

    // catdoc shows field instructions with the text; LibreOffice, as Word, shows the fields' results.
    expect(await libreOfficeText(dir, out)).toBe(await libreOfficeText(dir, source));
  }, 240_000);

  it("Word's own document, its text in 8-bit pieces: INCLUDEPICTURE paths after a switch and the pictures' names keep their bare names", async () => {
    const fixture = path.join(import.meta.dirname, "fixtures", "doc", "include-picture-fields.doc");
    const folder = "astus1";
    const before = await streams(fixture);
    expect(before.get("WordDocument")!.toString("latin1")).toContain(`INCLUDEPICTURE  \\d "c:\\\\# astus\\\\${folder}\\\\Tit_fav.gif" \\* MERGEFORMATINET`);
    expect(before.get("Data")!.toString("latin1")).toContain(`c:\\# astus\\${folder}\\Tit_fav.gif`);

    const { out } = await cleanedCopyViaApi(server, fixture, dir);
    expect(await findMarker(out, folder)).toEqual([]);
    const after = await streams(out);
    expect(after.get("WordDocument")!.length).toBe(before.get("WordDocument")!.length);
    const instructions = [...after.get("WordDocument")!.toString("latin1").matchAll(/\u0013 INCLUDEPICTURE {2}\\d "([^"]*)" +\\\* MERGEFORMATINET \u0014/g)].map((m) => m[1]);
    expect(instructions).toEqual(["Tit_fav.gif", "Ie_favo1.jpg", "icon_ie5.gif", "Ie_org.jpg", "IE_tri.jpg"]);
    for (const name of instructions) expect(after.get("Data")!.toString("latin1")).toMatch(new RegExp(`${name!.replace(".", "\\.")}\0{4}`));
    expect(await libreOfficeText(dir, out)).toBe(await libreOfficeText(dir, fixture));
  }, 240_000);
});
