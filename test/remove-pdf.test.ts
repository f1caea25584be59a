import crypto from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findMarker } from "./helpers/marker-scan.js";
import { ORIGINAL_ID, PDF_TEXT, type PdfVariant, makeMarkedPdf, pdfContent } from "./helpers/make-pdf.js";
import { minimalTextPdf } from "./helpers/make-files.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { type RunningServer, startServer } from "./helpers/server.js";
import { run } from "./helpers/tools.js";

let server: RunningServer;
let dir: string;
const MARKER = `Pdfmark${crypto.randomBytes(6).toString("hex")}`;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-remove-pdf-"));
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

const variants: PdfVariant[] = ["plain", "object-streams", "encrypted"];

describe("POST /api/v1/remove on PDFs", () => {
  it.each(variants)("leaves no metadata and no older revision in a %s PDF, and keeps its text", async (variant) => {
    const file = await makeMarkedPdf(dir, variant, MARKER);
    const before = await pdfContent(file);
    expect(before.text).toContain(PDF_TEXT);
    if (variant !== "encrypted") expect(await findMarker(file, MARKER)).not.toEqual([]);

    const { status, body, cleaned } = await removeViaApi(server, file, "report.pdf");
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body["remaining"]).toEqual({});
    expect(body["removed"]).toMatchObject({ pdf: expect.any(Number) });
    expect(cleaned).not.toBeNull();

    const out = path.join(dir, `cleaned-${variant}.pdf`);
    await fs.writeFile(out, cleaned!);
    expect(await findMarker(out, MARKER)).toEqual([]);
    expect(await pdfContent(out)).toEqual(before);
    // The original's permanent /ID is a fingerprint linking the copy to its source.
    expect(cleaned!.includes(ORIGINAL_ID)).toBe(false);
    // One revision only, and a file qpdf finds sound.
    expect(cleaned!.toString("latin1").match(/%%EOF/g)).toHaveLength(1);
    await run("qpdf", ["--check", out]);
  });

  it("cleans a JPEG image whose dictionary is damaged (found by the fuzz run)", async () => {
    const file = await makeMarkedPdf(dir, "plain", MARKER);
    const bytes = await fs.readFile(file);
    const at = bytes.indexOf("/Filter /DCTDecode");
    expect(at).toBeGreaterThan(0);
    // Same length, so every xref offset still holds: only the key's name is wrong.
    bytes.write("/Fimter", at, "latin1");
    const damaged = path.join(dir, "damaged-filter.pdf");
    await fs.writeFile(damaged, bytes);

    const { status, body, cleaned } = await removeViaApi(server, damaged, "report.pdf");
    expect(status, JSON.stringify(body)).toBe(200);
    const out = path.join(dir, "cleaned-damaged-filter.pdf");
    await fs.writeFile(out, cleaned!);
    expect(await findMarker(out, MARKER)).toEqual([]);
  });

  /**
   * Same-length renames (every xref offset still holds), as the fuzz run's bit flips made them:
   * the key leading to the metadata is damaged, the metadata itself is not.
   */
  const damagedKeys: Array<[string, Array<[string, string]>]> = [
    ["the catalog's /Perms and the signature field's /FT", [["/Perms <<", "/Perns <<"], ["/FT /Sig", "/FT /Sog"]]],
    ["the same, and the signature's own /Type", [["/Perms <<", "/Perns <<"], ["/FT /Sig", "/FT /Sog"], ["/Type /Sig", "/Type /Sog"]]],
    ["an annotation's /Rect", [["/Rect [300", "/Rdct [300"]]],
    ["the page's /PieceInfo", [["/PieceInfo", "/PieceIffo"]]],
    ["the trailer's /Info", [["/Info ", "/Infp "]]],
    ["every /Metadata key and every XMP stream's /Type", [["/Metadata ", "/Metadatb "], ["/Type /Metadata", "/Type /Metadatb"]]],
  ];

  it.each(damagedKeys)("scrubs metadata reached through a damaged key: %s (found by the fuzz run)", async (what, renames) => {
    const file = await makeMarkedPdf(dir, "plain", MARKER);
    let text = (await fs.readFile(file)).toString("latin1");
    for (const [from, to] of renames) {
      expect(text, from).toContain(from);
      text = text.replaceAll(from, to);
    }
    const damaged = path.join(dir, `damaged-${what.replace(/\W+/g, "-")}.pdf`);
    await fs.writeFile(damaged, text, "latin1");

    const { status, body, cleaned } = await removeViaApi(server, damaged, "report.pdf");
    expect(status, JSON.stringify(body)).toBe(200);
    const out = `${damaged}.cleaned.pdf`;
    await fs.writeFile(out, cleaned!);
    expect(await findMarker(out, MARKER)).toEqual([]);
  });

  it("refuses a PDF whose page content swallowed the next objects (found by the fuzz run)", async () => {
    const file = await makeMarkedPdf(dir, "plain", MARKER);
    const bytes = await fs.readFile(file);
    // Zeros from the page content's `endstream` to the page XMP's `obj` line: qpdf can only find
    // the content's end at the XMP's `endstream`, and the packet becomes page content.
    const from = bytes.indexOf("endstream", bytes.indexOf(PDF_TEXT));
    const to = bytes.indexOf("6 0 obj\n") + "6 0 obj\n".length;
    expect(from).toBeGreaterThan(0);
    expect(to).toBeGreaterThan(from);
    bytes.fill(0, from, to);
    const damaged = path.join(dir, "swallowed.pdf");
    await fs.writeFile(damaged, bytes);

    const { status, body, cleaned } = await removeViaApi(server, damaged, "report.pdf");
    expect(status).toBe(422);
    expect(body["error"]).toBe("The PDF is damaged and cannot be cleaned safely.");
    expect(cleaned).toBeNull();
  });

  it("still cleans a PDF with the everyday damage qpdf repairs: a stream length off by one, a wrong startxref", async () => {
    const file = await makeMarkedPdf(dir, "plain", MARKER);
    let text = (await fs.readFile(file)).toString("latin1");
    text = text.replace(/\/Length (\d+)( >>\nstream\nBT)/, (_m, n: string, rest: string) => `/Length ${String(Number(n) - 1).padStart(n.length, "0")}${rest}`);
    text = text.replace(/startxref\n(\d+)\n%%EOF\n$/, (_m, n: string) => `startxref\n${String(Number(n) - 7).padStart(n.length, "0")}\n%%EOF\n`);
    const damaged = path.join(dir, "repairable.pdf");
    await fs.writeFile(damaged, text, "latin1");
    const qpdfCheck = await run("qpdf", ["--check", damaged], { okCodes: [3] });
    expect(qpdfCheck.stderr).toMatch(/recovered stream length|reconstruct/);

    const { status, body, cleaned } = await removeViaApi(server, damaged, "report.pdf");
    expect(status, JSON.stringify(body)).toBe(200);
    const out = path.join(dir, "cleaned-repairable.pdf");
    await fs.writeFile(out, cleaned!);
    expect(await findMarker(out, MARKER)).toEqual([]);
    expect((await pdfContent(out)).text).toContain(PDF_TEXT);
  });

  it("refuses a PDF that needs a password to open", async () => {
    const plain = path.join(dir, "to-lock.pdf");
    const locked = path.join(dir, "locked.pdf");
    await fs.writeFile(plain, minimalTextPdf("Locked"));
    await run("qpdf", ["--encrypt", "user-secret", "owner-secret", "256", "--", plain, locked]);
    const { status, body, cleaned } = await removeViaApi(server, locked);
    expect(status).toBe(422);
    expect(body["error"]).toBe("The PDF is password-protected and cannot be cleaned without its password.");
    expect(cleaned).toBeNull();
  });

  it("refuses a damaged PDF with a reason", async () => {
    const broken = path.join(dir, "broken.pdf");
    await fs.writeFile(broken, "%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R\nthis is not a PDF any more\n");
    const { status, body, cleaned } = await removeViaApi(server, broken);
    expect(status).toBe(422);
    expect(typeof body["error"]).toBe("string");
    expect(cleaned).toBeNull();
  });
});
