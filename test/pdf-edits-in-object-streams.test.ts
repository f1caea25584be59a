import crypto from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findMarker } from "./helpers/marker-scan.js";
import { pageAnnotations, pdfContent } from "./helpers/make-pdf.js";
import { pdfWithObjectStream } from "./helpers/make-pdf-objects.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { type RunningServer, startServer } from "./helpers/server.js";

/*
 * What the cleaning edits in objects stored in an object stream must stay edited when the stream
 * also holds objects it leaves alone (qpdf read such a stream only when the writer first needed
 * one of those, and put the edited objects back as they were). The document is laid out as
 * PDFTron writes it (pdf.js's issue17904.pdf): the page on its own, its font, its list of
 * annotations, a reviewer's line with its author, a link and a signed signature field packed
 * together. Refused before ("review annotations left"), and with keep=comments the author
 * and the signer's name were written back without a word.
 */

let server: RunningServer;
let dir: string;
const TEXT = "Packed objects page";

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-pdf-objstm-"));
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

async function packedPdf(author: string, note: string): Promise<string> {
  const content = `BT /F1 14 Tf 20 100 Td (${TEXT}) Tj ET`;
  const date = "(D:20240408163630+04'00')";
  const file = path.join(dir, `packed-${crypto.randomUUID()}.pdf`);
  const plain = [
    "<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [9 0 R] /SigFlags 3 >> >>",
    "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
    "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 300 150] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> /Annots 6 0 R >>",
    `<< /Length ${content.length} >>\nstream\n${content}\nendstream`,
  ];
  const packed = [
    "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    "[7 0 R 8 0 R 9 0 R]",
    `<< /Type /Annot /Subtype /Line /Rect [20 60 280 90] /L [20 70 280 80] /Contents (${note}) /T (${author}) /M ${date} /CreationDate ${date} /Subj (Line) /P 3 0 R >>`,
    "<< /Type /Annot /Subtype /Link /Rect [20 20 140 40] /Border [0 0 0] /A << /S /URI /URI (https://example.com/) >> >>",
    "<< /Type /Annot /Subtype /Widget /FT /Sig /T (Signature1) /V 10 0 R /Rect [0 0 0 0] /F 132 /P 3 0 R >>",
    `<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /adbe.pkcs7.detached /Name (${author}) /Reason (Approved by ${author}) /M ${date} /ByteRange [0 0 0 0] /Contents <00> >>`,
  ];
  await fs.writeFile(file, pdfWithObjectStream(plain, packed));
  return file;
}

async function cleaned(file: string, fields: Record<string, string> = {}): Promise<{ out: string; removed: Record<string, number> }> {
  const { status, body, cleaned: bytes } = await removeViaApi(server, file, "packed.pdf", fields);
  expect(status, JSON.stringify(body)).toBe(200);
  expect(body["remaining"]).toEqual({});
  const out = path.join(dir, `cleaned-${crypto.randomUUID()}.pdf`);
  await fs.writeFile(out, bytes!);
  return { out, removed: body["removed"] as Record<string, number> };
}

describe("POST /api/v1/remove on a PDF whose annotations share an object stream with its fonts", () => {
  it("removes the review annotation and the signer's name, keeps the link, the field and the text", async () => {
    const author = `Author${crypto.randomBytes(4).toString("hex")}`;
    const note = `Notetext${crypto.randomBytes(4).toString("hex")}`;
    const file = await packedPdf(author, note);
    expect(await findMarker(file, author)).not.toEqual([]);
    expect((await pageAnnotations(file)).map((a) => a.subtype)).toEqual(["Line", "Link", "Widget"]);

    const { out, removed } = await cleaned(file);
    expect(removed).toMatchObject({ annotations: 1 });
    expect(await findMarker(out, author)).toEqual([]);
    expect(await findMarker(out, note)).toEqual([]);
    expect((await pageAnnotations(out)).map((a) => a.subtype)).toEqual(["Link", "Widget"]);
    expect(await pdfContent(out)).toEqual(await pdfContent(file));
  });

  it("with keep=comments keeps the annotation and its text, its author and dates gone", async () => {
    const author = `Author${crypto.randomBytes(4).toString("hex")}`;
    const note = `Notetext${crypto.randomBytes(4).toString("hex")}`;
    const file = await packedPdf(author, note);

    const { out } = await cleaned(file, { keep: "comments" });
    expect(await findMarker(out, author)).toEqual([]);
    expect(await findMarker(out, note)).not.toEqual([]);
    const annots = await pageAnnotations(out);
    expect(annots.map((a) => a.subtype)).toEqual(["Line", "Link", "Widget"]);
    expect(annots[0]!.keys).toEqual(expect.arrayContaining(["/Contents", "/Subj"]));
    expect(annots[0]!.keys).not.toEqual(expect.arrayContaining(["/T"]));
    expect(annots[0]!.keys.filter((k) => k === "/M" || k === "/CreationDate")).toEqual([]);
  });
});
