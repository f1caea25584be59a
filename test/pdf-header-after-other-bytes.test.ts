import crypto from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findMarker } from "./helpers/marker-scan.js";
import { makeMarkedPdf, PDF_TEXT, pdfContent } from "./helpers/make-pdf.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { postFile, type RunningServer, startServer } from "./helpers/server.js";
import { run } from "./helpers/tools.js";

/*
 * PDFs whose header is not where ExifTool wants it (at the start, after white space only, with
 * both version numbers): lines a mail or web server wrote before it, or a header naming no minor
 * version (`%PDF-1.`) or no dot (`%PDF-1`). Acrobat, pdf.js, poppler and qpdf read them (a header anywhere in the first
 * kilobyte, offsets counting from it); ExifTool read them as text and the service refused them
 * (three of pdf.js's test files). They are read and cleaned now; the bytes before the header,
 * which may say who sent the file, do not survive the cleaning.
 */

let server: RunningServer;
let dir: string;
const MARKER = `Pdfjunk${crypto.randomBytes(6).toString("hex")}`;
/** What a mail gateway or a web server could have written before the PDF. */
const JUNK_MARKER = `Sender${crypto.randomBytes(6).toString("hex")}`;
let base: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-pdf-header-"));
  server = await startServer();
  base = await makeMarkedPdf(dir, "plain", MARKER);
});
afterAll(async () => {
  await server?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

async function written(name: string, data: Buffer): Promise<string> {
  const file = path.join(dir, name);
  await fs.writeFile(file, data);
  return file;
}

/** The marked PDF with lines before its header; its offsets still count from the header, as readers take them. */
async function afterJunk(): Promise<string> {
  const junk = Buffer.from(`From: ${JUNK_MARKER}@example.com\r\nX-Note: forwarded by ${JUNK_MARKER}\r\n\r\n`, "latin1");
  return written("after-junk.pdf", Buffer.concat([junk, await fs.readFile(base)]));
}

/** The marked PDF whose header names no minor version ("%PDF-1.7\n" becomes "%PDF-1.\n\n": nothing moves). */
async function noMinorVersion(): Promise<string> {
  const pdf = await fs.readFile(base);
  expect(pdf.toString("latin1", 0, 9)).toBe("%PDF-1.7\n");
  return written("no-minor-version.pdf", Buffer.concat([Buffer.from("%PDF-1.\n\n", "latin1"), pdf.subarray(9)]));
}

/**
 * The marked PDF whose header names its major version alone, no dot ("%PDF-1.7\n" becomes
 * "%PDF-1\n\n\n", or "%PDF-1\n%\n" with a comment line after it, as writers add one: nothing moves).
 * Acrobat, poppler and qpdf read it; ExifTool read it as text and the service refused it.
 */
function noDot(header: string, name: string): () => Promise<string> {
  return async () => {
    const pdf = await fs.readFile(base);
    expect(pdf.toString("latin1", 0, 9)).toBe("%PDF-1.7\n");
    return written(name, Buffer.concat([Buffer.from(header, "latin1"), pdf.subarray(9)]));
  };
}

const cases: Array<[string, () => Promise<string>]> = [
  ["lines before its header", afterJunk],
  ["a header naming no minor version", noMinorVersion],
  ["a header naming its major version alone", noDot("%PDF-1\n\n\n", "no-dot.pdf")],
  ["a header naming its major version alone, then a comment line", noDot("%PDF-1\n%\n", "no-dot-comment.pdf")],
];

describe("PDFs whose header ExifTool misses", () => {
  it.each(cases)("with %s: removed to a clean PDF, same text and pages, nothing before its header", async (_, make) => {
    const file = await make();
    const { status, body, cleaned } = await removeViaApi(server, file, "report.pdf");
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body["remaining"]).toEqual({});
    expect(body["removed"]).toMatchObject({ pdf: expect.any(Number), xmp: expect.any(Number) });
    const out = await written(`cleaned-${path.basename(file)}`, cleaned!);
    expect(cleaned!.toString("latin1", 0, 5)).toBe("%PDF-");
    expect(await findMarker(out, MARKER)).toEqual([]);
    expect(await findMarker(out, JUNK_MARKER)).toEqual([]);
    const content = await pdfContent(out);
    expect(content.text).toContain(PDF_TEXT);
    expect(content).toEqual(await pdfContent(base));
    await run("qpdf", ["--check", out]);
  }, 60_000);

  it.each(cases)("with %s: extracted as the PDF it is", async (_, make) => {
    const file = await make();
    const res = await postFile(`${server.baseUrl}/api/v1/extract`, { name: "report.pdf", data: await fs.readFile(file) }, { headers: { "X-API-Key": server.apiKey } });
    const body = (await res.json()) as { metadata: Record<string, Record<string, unknown>> };
    expect(res.status, JSON.stringify(body)).toBe(200);
    expect(body.metadata["File"]?.["FileType"]).toBe("PDF");
    expect(body.metadata["pdf"]?.["Author"]).toBe(MARKER);
    expect(body.metadata["xmp"]?.["Creator"]).toBe(MARKER);
    expect(body.metadata["pdf"]?.["PageCount"]).toBe("1");
  }, 60_000);

  it("a text quoting a PDF header in its first kilobyte, and ending as text, is still text", async () => {
    const text = await written("notes.txt", Buffer.from("Our printer writes %PDF-1.4 files; the old one wrote\n%PDF-1.\nheaders.\n".repeat(3), "latin1"));
    const res = await postFile(`${server.baseUrl}/api/v1/extract`, { name: "notes.txt", data: await fs.readFile(text) }, { headers: { "X-API-Key": server.apiKey } });
    const body = (await res.json()) as { metadata: Record<string, Record<string, unknown>> };
    expect(res.status, JSON.stringify(body)).toBe(200);
    expect(body.metadata["File"]?.["FileType"]).toBe("TXT");
  });
});
