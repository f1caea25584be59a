import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assemblePdf, pdfContent, streamObject } from "./helpers/make-pdf.js";
import { findMarker } from "./helpers/marker-scan.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { findingsViaApi, type RunningServer, startServer } from "./helpers/server.js";

/*
 * A PDF may spell a number `400.`, `+150`, `-.5` or `007`; qpdf's JSON keeps the spelling, which
 * is no JSON number, so reading its dump threw: the removal of such a PDF was a 500 (qpdf's test
 * file good10.pdf), and its findings left out what qpdf's objects show (the /ID).
 */

let server: RunningServer;
let dir: string;
const MARKER = "PdfNumberSpelling6512";
const ID = "00112233445566778899aabbccddeeff";

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-pdf-numbers-"));
  server = await startServer();
});

afterAll(async () => {
  await server?.stop();
  if (dir != null) await fs.rm(dir, { recursive: true, force: true });
});

/** A one-page PDF whose page box and a page key spell their numbers as PDF allows and JSON does not. */
function oddlySpelledPdf(): Buffer {
  return assemblePdf(
    [
      "<< /Type /Catalog /Pages 2 0 R >>",
      "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
      "<< /Type /Page /Parent 2 0 R /MediaBox [0 -0. 400. +150] /UserUnit 001.0 /PZ -.5 /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
      streamObject("", "BT /F1 18 Tf 36 100 Td (Numbers as a PDF spells them) Tj ET"),
      "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
      `<< /Author (${MARKER}) /Title (${MARKER}) >>`,
    ],
    `/Info 6 0 R /ID [<${ID}> <${ID}>]`,
  );
}

describe("a PDF spelling its numbers as JSON does not (5., +1, -.5, 007)", () => {
  it("is cleaned, its page the same, and its findings name its /ID", async () => {
    const file = path.join(dir, "numbers.pdf");
    await fs.writeFile(file, oddlySpelledPdf());
    const findings = await findingsViaApi(server, "numbers.pdf", await fs.readFile(file));
    expect(findings.find((f) => f.kind === "identifiers" && f.value === ID)).toBeDefined();

    const outcome = await removeViaApi(server, file);
    expect(outcome.status, JSON.stringify(outcome.body)).toBe(200);
    const out = path.join(dir, "cleaned.pdf");
    await fs.writeFile(out, outcome.cleaned!);
    expect(await findMarker(out, MARKER)).toEqual([]);
    expect(await pdfContent(out)).toEqual(await pdfContent(file));
  });
});
