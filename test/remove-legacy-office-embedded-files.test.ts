import crypto from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import CFB from "cfb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeMarkedLegacyOffice, soffice } from "./helpers/make-legacy-office.js";
import { embedObjects, makePptWithWorkbook } from "./helpers/make-ole-objects.js";
import { makeBmp } from "./helpers/make-formats.js";
import { makeOffice } from "./helpers/make-office.js";
import { markedJpeg } from "./helpers/make-pdf.js";
import { findMarker } from "./helpers/marker-scan.js";
import { readZip } from "./helpers/read-archives.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { type RunningServer, startServer } from "./helpers/server.js";
import { savedIn } from "./helpers/saved.js";
import { pixelSignature } from "./helpers/tools.js";

let server: RunningServer;
let dir: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-remove-legacy-embedded-"));
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

/** The streams of a compound file with a given name, in order. */
function streams(bytes: Buffer, name: string): Buffer[] {
  const doc = CFB.read(bytes, { type: "buffer" });
  return doc.FileIndex.filter((e) => e.type === 2 && e.name === name && e.content != null).map((e) => Buffer.from(e.content));
}

describe("POST /api/v1/remove on a Word 97-2003 document holding embedded files", () => {
  it("an embedded DOCX (Package stream) and a packaged photo (Object Packager) are cleaned by their own cleaners, the photo's paths cut to its name; text and pixels stay", async () => {
    const marker = `Embedded${crypto.randomBytes(5).toString("hex")}`;
    const docx = await makeOffice("docx", `${marker}docx`, await markedJpeg(dir, `${marker}picture`));
    const photo = await markedJpeg(dir, `${marker}photo`);
    const doc = await makeMarkedLegacyOffice(dir, "doc", `${marker}outer`);
    await embedObjects(doc, [
      { kind: "package", document: docx.bytes },
      { kind: "packaged", name: "rome.jpg", sourcePath: `C:\\Users\\${marker}path\\Pictures\\rome.jpg`, data: photo },
    ]);
    const original = await fs.readFile(doc);
    for (const m of ["docx", "photo", "path"]) expect([...(await findMarker(original, `${marker}${m}`)), ...(await findMarker(streams(original, "Package")[0]!, `${marker}${m}`))], m).not.toEqual([]);

    const { status, body, cleaned } = await removeViaApi(server, doc, "report.doc");
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body["remaining"]).toEqual({});
    const out = cleaned!;
    const [pkg] = streams(out, "Package");
    for (const place of [out, pkg!]) expect(await findMarker(place, marker)).toEqual([]);
    // The embedded document keeps its text (its tracked changes accepted) and its picture; the packaged photo is the same picture, under its bare name.
    const members = (await readZip(pkg!)).members;
    const text = members.find((e) => e.name === docx.bodyPart)?.data.toString("utf8").replace(/<[^>]+>/g, "");
    expect(text).toContain("Hello body text insertedcommented");
    expect(members.some((e) => e.name === docx.imagePart)).toBe(true);
    const [native] = streams(out, "\x01Ole10Native");
    expect(native!.toString("latin1")).toContain("rome.jpg\0rome.jpg\0");
    const jpeg = native!.subarray(native!.indexOf(Buffer.from([0xff, 0xd8, 0xff])));
    const [before, after] = [path.join(dir, "before.jpg"), path.join(dir, "after.jpg")];
    await fs.writeFile(before, photo);
    await fs.writeFile(after, jpeg);
    expect(await pixelSignature(after)).toBe(await pixelSignature(before));
  }, 120_000);
});

describe("POST /api/v1/remove on a Word 97-2003 document holding a packaged file no cleaner handles", () => {
  // Tika's testWPSAttachment.doc packages files (an XML one among them): the 422 said only "an embedded file".
  it("is a 422 naming the file, as Object Packager labels it, and its type", async () => {
    const doc = await makeMarkedLegacyOffice(dir, "doc", `Packaged${crypto.randomBytes(5).toString("hex")}`);
    await embedObjects(doc, [{ kind: "packaged", name: "notes.xml", sourcePath: "C:\\Users\\someone\\notes.xml", data: Buffer.from("<?xml version='1.0'?><notes>plain words</notes>\r\n") }]);
    const { status, body } = await removeViaApi(server, doc, "report.doc");
    expect(status, JSON.stringify(body)).toBe(422);
    expect(body["error"]).toBe("The document holds an embedded file that cannot be cleaned: notes.xml (XML).");
  }, 60_000);
});

describe("POST /api/v1/remove on a PowerPoint 97-2003 presentation holding an embedded workbook", () => {
  it("the workbook's storage (a compressed ExOleObjStg record) is cleaned in its place; LibreOffice still reads the object's cell", async () => {
    const marker = `PptObject${crypto.randomBytes(5).toString("hex")}`;
    const ppt = await makePptWithWorkbook(dir, marker);
    expect(await findMarker(ppt, marker)).not.toEqual([]);

    const { status, body, cleaned } = await removeViaApi(server, ppt, "slides.ppt");
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body["remaining"]).toEqual({});
    expect(await findMarker(cleaned!, marker)).toEqual([]);
    const work = await fs.mkdtemp(path.join(dir, "reread-"));
    await fs.writeFile(path.join(work, "cleaned.ppt"), cleaned!);
    await soffice(work, ["--convert-to", "odp", "--outdir", work, path.join(work, "cleaned.ppt")]);
    const object = (await readZip(await fs.readFile(path.join(work, "cleaned.odp")))).members.find((e) => e.name === "Object 1/content.xml");
    expect(object?.data.toString("utf8")).toContain("<text:p>cell</text:p>");
  }, 120_000);
});

describe("POST /api/v1/remove on a Word 97-2003 document holding a WordPad object (an RTF document in its CONTENTS stream)", () => {
  // The stream went back as it was, the RTF's author with it.
  it("the RTF document is cleaned by its own cleaner: its author gone, its text kept", async () => {
    const marker = `WordPad${crypto.randomBytes(5).toString("hex")}`;
    const rtf = Buffer.from(`{\\rtf1\\ansi\\deff0{\\fonttbl{\\f0 Arial;}}{\\info{\\author ${marker}author}{\\operator ${marker}operator}}\\pard\\f0 words of the object\\par}`, "latin1");
    const doc = await makeMarkedLegacyOffice(dir, "doc", `Outer${marker.slice(-6)}`);
    await embedObjects(doc, [{ kind: "streams", userType: "WordPad Document", streams: { CONTENTS: rtf } }]);
    expect(await findMarker(doc, marker)).not.toEqual([]);

    const { status, body, cleaned } = await removeViaApi(server, doc, "report.doc");
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body["remaining"]).toEqual({});
    expect(await findMarker(cleaned!, marker)).toEqual([]);
    const [contents] = streams(cleaned!, "CONTENTS");
    expect(contents!.toString("latin1")).toMatch(/^\{\\rtf1/);
    expect(contents!.toString("latin1")).toContain("words of the object");
  }, 60_000);
});

describe("POST /api/v1/remove on Office 97-2003 documents holding a Paintbrush object (a BMP file in its \\x01Ole10Native stream)", () => {
  // Pictures pasted from Paint: the object was refused as "an embedded object (PBrush) that this service cannot clean".
  for (const kind of ["doc", "xls"] as const) {
    it(`the object of a ${kind.toUpperCase()} is cleaned by the BMP cleaner: its linked colour profile's path goes, the pixels stay`, async () => {
      const marker = `Paintbrush${crypto.randomBytes(5).toString("hex")}`;
      const bmp = await fs.readFile(await makeBmp(dir, `${marker}profile`, true));
      const size = Buffer.alloc(4);
      size.writeUInt32LE(bmp.length);
      const file = await makeMarkedLegacyOffice(dir, kind, `${marker}outer`);
      await embedObjects(file, [{ kind: "streams", userType: "PBrush", streams: { "\x01Ole10Native": Buffer.concat([size, bmp]) } }]);
      expect(await findMarker(file, `${marker}profile`)).not.toEqual([]);

      const { status, body, cleaned } = await removeViaApi(server, file, `paint.${kind}`);
      expect(status, JSON.stringify(body)).toBe(200);
      expect(await findMarker(cleaned!, marker)).toEqual([]);
      const [native] = streams(cleaned!, "\x01Ole10Native");
      const picture = native!.subarray(4, 4 + native!.readUInt32LE(0));
      expect(picture.toString("latin1", 0, 2)).toBe("BM");
      expect(await pixelSignature(await savedIn(dir, "after.bmp", picture))).toBe(await pixelSignature(await savedIn(dir, "before.bmp", bmp)));
    }, 120_000);
  }
});
