import crypto from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { legacyOfficeText, makeMarkedLegacyOffice } from "./helpers/make-legacy-office.js";
import { compoundStreams, oleObjectFile, overlongPackageStream, withOleObjects } from "./helpers/make-ole-objects.js";
import { makeOffice } from "./helpers/make-office.js";
import { makeMarkedPdf, markedJpeg, PDF_TEXT, pdfContent } from "./helpers/make-pdf.js";
import { findMarker } from "./helpers/marker-scan.js";
import { readZip } from "./helpers/read-archives.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { type RunningServer, startServer } from "./helpers/server.js";
import { pixelSignature } from "./helpers/tools.js";
import { savedIn } from "./helpers/saved.js";

let server: RunningServer;
let dir: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-remove-ooxml-ole-"));
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

const FOLDER = { docx: "word", xlsx: "xl", pptx: "ppt" } as const;

/** The members of a cleaned Office 2007+ document's embeddings folder, by name. */
async function embeddings(office: Buffer): Promise<Map<string, Buffer>> {
  const { members } = await readZip(office);
  return new Map(members.filter((m) => m.name.includes("/embeddings/")).map((m) => [m.name.replace(/^.*\//, ""), m.data]));
}

describe("POST /api/v1/remove on a DOCX holding embedded (OLE) objects", () => {
  // Word keeps each object as word/embeddings/oleObjectN.bin, a compound file: the 422 said "(FPX)".
  it("a packaged photo loses its folders, an Acrobat PDF and an Excel 97-2003 workbook their properties; photo pixels, PDF text and cells stay", async () => {
    const marker = `OleObject${crypto.randomBytes(5).toString("hex")}`;
    const photo = await markedJpeg(dir, `${marker}photo`);
    const pdf = await fs.readFile(await makeMarkedPdf(dir, "plain", `${marker}pdf`));
    const xls = await fs.readFile(await makeMarkedLegacyOffice(dir, "xls", `${marker}xls`));
    const docx = await makeOffice("docx", `${marker}docx`, await markedJpeg(dir, `${marker}picture`));
    const objects = [
      oleObjectFile({ kind: "packaged", name: "rome.jpg", sourcePath: `C:\\Users\\${marker}path\\Pictures\\rome.jpg`, data: photo }),
      oleObjectFile({ kind: "pdf", pdf }),
      oleObjectFile({ kind: "document", compoundFile: xls }),
    ];
    const file = await savedIn(dir, "report.docx", await withOleObjects(docx.bytes, "word", objects));
    for (const m of ["photo", "pdf", "xls", "path"]) expect(await findMarker(file, `${marker}${m}`), m).not.toEqual([]);

    const { status, body, cleaned } = await removeViaApi(server, file, "report.docx");
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body["remaining"]).toEqual({});
    expect(await findMarker(cleaned!, marker)).toEqual([]);
    const out = await embeddings(cleaned!);
    const [packaged, acrobat, workbook] = [1, 2, 3].map((n) => out.get(`oleObject${n}.bin`)!);
    // Inside the compound files, streams are read whole (a stream's sectors need not follow each other).
    const native = compoundStreams(packaged!, "\x01Ole10Native")[0]!;
    const contents = compoundStreams(acrobat!, "CONTENTS")[0]!;
    const cells = compoundStreams(workbook!, "Workbook")[0]!;
    for (const stream of [native, contents, cells]) expect(await findMarker(stream, marker)).toEqual([]);

    // The packaged photo is the same picture, under its bare name; the object is still a package.
    expect(native.toString("latin1")).toContain("rome.jpg\0rome.jpg\0");
    expect(compoundStreams(packaged!, "\x01CompObj")[0]!.toString("latin1")).toContain("Package");
    const jpeg = native.subarray(native.indexOf(Buffer.from([0xff, 0xd8, 0xff])));
    expect(native.readUInt32LE(0)).toBe(native.length - 4);
    expect(await pixelSignature(await savedIn(dir, "after.jpg", jpeg))).toBe(await pixelSignature(await savedIn(dir, "before.jpg", photo)));
    // The PDF reads the same; the workbook keeps its cells.
    const [before, after] = await Promise.all([pdfContent(await savedIn(dir, "before.pdf", pdf)), pdfContent(await savedIn(dir, "after.pdf", contents))]);
    expect(after.text).toContain(PDF_TEXT);
    expect(after.rendering).toBe(before.rendering);
    expect(await legacyOfficeText(dir, "xls", await savedIn(dir, "object.xls", workbook!))).toContain("beta cell");
    // A metadata stream of the object's own is no longer there.
    expect(compoundStreams(workbook!, "\x05SummaryInformation")).toEqual([]);
  }, 180_000);
});

describe("POST /api/v1/remove on an XLSX or a PPTX holding a packaged file", () => {
  it.each(["xlsx", "pptx"] as const)("%s: the packaged photo's folders go, its pixels stay", async (kind) => {
    const marker = `OleObject${crypto.randomBytes(5).toString("hex")}`;
    const photo = await markedJpeg(dir, `${marker}photo`);
    const office = await makeOffice(kind, `${marker}office`, await markedJpeg(dir, `${marker}picture`));
    const object = oleObjectFile({ kind: "packaged", name: "plan.jpg", sourcePath: `D:\\${marker}path\\plan.jpg`, data: photo });
    const file = await savedIn(dir, `book.${kind}`, await withOleObjects(office.bytes, FOLDER[kind], [object]));

    const { status, body, cleaned } = await removeViaApi(server, file, `book.${kind}`);
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body["remaining"]).toEqual({});
    expect(await findMarker(cleaned!, marker)).toEqual([]);
    const native = compoundStreams((await embeddings(cleaned!)).get("oleObject1.bin")!, "\x01Ole10Native")[0]!;
    expect(await findMarker(native, marker)).toEqual([]);
    const jpeg = native.subarray(native.indexOf(Buffer.from([0xff, 0xd8, 0xff])));
    expect(await pixelSignature(await savedIn(dir, "after.jpg", jpeg))).toBe(await pixelSignature(await savedIn(dir, "before.jpg", photo)));
  }, 120_000);
});

describe("POST /api/v1/remove on a DOCX holding an object of a program no cleaner knows", () => {
  it("is a 422 naming the program, as the object's CompObj stream does", async () => {
    const docx = await makeOffice("docx", `Visio${crypto.randomBytes(5).toString("hex")}`, await markedJpeg(dir, "picture"));
    const object = oleObjectFile({ kind: "other", userType: "Microsoft Visio Drawing", streams: { VisioDocument: Buffer.from("Visio (TM) Drawing\r\n\0\0\0\0") } });
    const file = await savedIn(dir, "drawing.docx", await withOleObjects(docx.bytes, "word", [object]));
    const { status, body } = await removeViaApi(server, file, "drawing.docx");
    expect(status, JSON.stringify(body)).toBe(422);
    expect(body["error"]).toBe("The file holds an embedded object (Microsoft Visio Drawing) that this service cannot clean.");
  }, 60_000);
});

describe("POST /api/v1/remove on a DOCX holding a packaged file whose package does not read through", () => {
  // Native data that is not a package the cleaner can read would go back as it is, its folders with it.
  it("is a 422, never a copy that keeps the folders", async () => {
    const marker = `BadPackage${crypto.randomBytes(5).toString("hex")}`;
    const native = overlongPackageStream("plan.txt", `C:\\Users\\${marker}\\plan.txt`, Buffer.from("plain words\r\n"));
    const object = oleObjectFile({ kind: "other", userType: "OLE Package", streams: { "\x01Ole10Native": native } });
    const docx = await makeOffice("docx", `${marker}docx`, await markedJpeg(dir, `${marker}picture`));
    const file = await savedIn(dir, "plan.docx", await withOleObjects(docx.bytes, "word", [object]));
    const { status, body } = await removeViaApi(server, file, "plan.docx");
    expect(status, JSON.stringify(body)).toBe(422);
    expect(body["error"]).toBe("The file holds an embedded object (OLE Package) that this service cannot clean.");
  }, 60_000);
});
