import crypto from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import CFB from "cfb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { legacyOfficeText, makeMarkedLegacyOffice } from "./helpers/make-legacy-office.js";
import { compoundStreams, makePptWithWorkbook, presentationStorages, withEmptyObjectStorages, withUnendedObjectStorages } from "./helpers/make-ole-objects.js";
import { findMarker } from "./helpers/marker-scan.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { type RunningServer, startServer } from "./helpers/server.js";

let server: RunningServer;
let dir: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-remove-ppt-unended-"));
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

describe("POST /api/v1/remove on a PowerPoint 97-2003 presentation whose object storage is deflated as PowerPoint writes it", () => {
  // PowerPoint ends the deflated storage with a sync flush (Tika's testPPT_EmbeddedPDF.ppt,
  // testPPT_oleWorkbook.ppt): the 422 said the object's metadata could not be removed.
  it("the storage is read to its stated size and cleaned in its place; the workbook keeps its cell", async () => {
    const marker = `Unended${crypto.randomBytes(5).toString("hex")}`;
    const ppt = await makePptWithWorkbook(dir, marker);
    expect((await withUnendedObjectStorages(ppt)).objects).toBe(1);
    expect(await findMarker(presentationStorages(await fs.readFile(ppt))[0]!, marker)).not.toEqual([]);

    const { status, body, cleaned } = await removeViaApi(server, ppt, "slides.ppt");
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body["remaining"]).toEqual({});
    expect(await findMarker(cleaned!, marker)).toEqual([]);
    const [storage] = presentationStorages(cleaned!);
    expect(await findMarker(storage!, marker)).toEqual([]);
    const object = path.join(dir, "object.xls");
    await fs.writeFile(object, storage!);
    expect(await legacyOfficeText(dir, "xls", object)).toContain("cell");
  }, 120_000);
});

describe("POST /api/v1/remove on a PowerPoint 97-2003 presentation holding an empty object storage", () => {
  // PowerPoint keeps some objects' storages empty (Tika's testPPT.ppt, testPPT_various.ppt): a compound file of no
  // program, refused "(FPX)"; the library's copy of it no longer deflated into the record's room.
  it("is cleaned: the storage still empty, in its place, without its time", async () => {
    const ppt = await makePptWithWorkbook(dir, `Empty${crypto.randomBytes(5).toString("hex")}`);
    // A FILETIME in 2026 whose bytes are unique to this run.
    const modified = Buffer.concat([crypto.randomBytes(5), Buffer.from([0xdc, 0xd9, 0x01])]);
    expect((await withEmptyObjectStorages(ppt, modified)).objects).toBe(1);
    const before = await fs.readFile(ppt);
    expect(presentationStorages(before)[0]!.includes(modified)).toBe(true);

    const { status, body, cleaned } = await removeViaApi(server, ppt, "slides.ppt");
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body["remaining"]).toEqual({});
    expect(cleaned!.includes(modified)).toBe(false);
    const [storage] = presentationStorages(cleaned!);
    expect(storage!.includes(modified)).toBe(false);
    expect(CFB.read(storage!, { type: "buffer" }).FileIndex.filter((e) => e.type !== 0).map((e) => e.type)).toEqual([5]);
    expect(compoundStreams(cleaned!, "PowerPoint Document")[0]!.length).toBe(compoundStreams(before, "PowerPoint Document")[0]!.length);
  }, 120_000);
});

describe("POST /api/v1/remove on a PowerPoint 97-2003 presentation written by the cfb library itself", () => {
  // The property streams' entries were taken out of the library's lists without relinking the
  // directory tree, which then pointed past its entries: the library could not read the copy back.
  // (Word and Excel files made the same way happened to show the library a link it relinks.)
  it("the cleaned copy's directory reads back, every stream but the properties kept", async () => {
    const kind = "ppt";
    const marker = `Relinked${crypto.randomBytes(5).toString("hex")}`;
    const file = await makeMarkedLegacyOffice(dir, kind, marker);
    const written = CFB.read(await fs.readFile(file), { type: "buffer" });
    await fs.writeFile(file, CFB.write(written, { type: "buffer", fileType: "cfb" }) as Buffer);
    const before = streamNames(await fs.readFile(file)).filter((n) => !n.startsWith("\x05"));

    const { status, body, cleaned } = await removeViaApi(server, file, `file.${kind}`);
    expect(status, JSON.stringify(body)).toBe(200);
    expect(streamNames(cleaned!)).toEqual(expect.arrayContaining(before));
    expect(await findMarker(cleaned!, marker)).toEqual([]);
  }, 120_000);
});

function streamNames(bytes: Buffer): string[] {
  const doc = CFB.read(bytes, { type: "buffer" });
  return doc.FileIndex.filter((e) => e.type === 2).map((e) => e.name);
}
