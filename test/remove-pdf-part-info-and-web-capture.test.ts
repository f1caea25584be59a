import crypto from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findMarker } from "./helpers/marker-scan.js";
import { assemblePdf, pdfContent } from "./helpers/make-pdf.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { type RunningServer, startServer } from "./helpers/server.js";
import { run } from "./helpers/tools.js";

/*
 * Two records of where a PDF came from that ExifTool does not read, both met in pdf.js's test
 * files and both left in the cleaned copy before:
 * - Acrobat's "Combine Files" keeps each combined document's information dictionary (author,
 *   creator, title, dates) in the structure element of its part (issue14497.pdf);
 * - Web Capture (a web page or file Acrobat turned into a PDF) keeps the capture command, and for
 *   each captured page its title, the time and its source: a URL or a local path naming the user
 *   (issue15262.pdf, issue16176.pdf).
 * The page, its text and its structure stay.
 */

let server: RunningServer;
let dir: string;
const TEXT = "Combined and captured page";

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-pdf-part-capture-"));
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

async function combinedCapturedPdf(marker: string): Promise<string> {
  const content = `BT /F1 14 Tf 20 100 Td (${TEXT}) Tj ET`;
  const date = "(D:20230316023110Z)";
  const source = `(file:////wsl.localhost/Ubuntu/home/${marker}/result.html)`;
  const objects = [
    "<< /Type /Catalog /Pages 2 0 R /StructTreeRoot 6 0 R /MarkInfo << /Marked true >> /Names 8 0 R /SpiderInfo 12 0 R >>",
    "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
    "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 300 150] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> /ID <e8f2a0baf4cddd67d9399c5323e1530c> >>",
    `<< /Length ${content.length} >>\nstream\n${content}\nendstream`,
    "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    "<< /Type /StructTreeRoot /K 7 0 R >>",
    "<< /S /Part /P 6 0 R /K [] /Info 13 0 R >>",
    "<< /IDS 9 0 R /URLS 10 0 R >>",
    "<< /Names [<e8f2a0baf4cddd67d9399c5323e1530c> 11 0 R] >>",
    `<< /Names [${source} 11 0 R] >>`,
    `<< /Type /SpiderContentSet /S /SPS /ID <e8f2a0baf4cddd67d9399c5323e1530c> /O [3 0 R] /SI 14 0 R /T (Report of ${marker}) /TS ${date} /CT (text/html) >>`,
    `<< /V 1.25 /C [<< /URL ${source} /L 1 /F 0 /CT (text/html) >>] >>`,
    `<< /Author (${marker}) /Title (Part by ${marker}) /Creator (Writer ${marker}) /CreationDate ${date} >>`,
    `<< /AU ${source} /TS ${date} >>`,
  ];
  const file = path.join(dir, `combined-${crypto.randomUUID()}.pdf`);
  await fs.writeFile(file, assemblePdf(objects));
  return file;
}

describe("POST /api/v1/remove on a combined, web-captured PDF", () => {
  it("removes the parts' document information and the capture records, keeps the page and its structure", async () => {
    const marker = `Capture${crypto.randomBytes(5).toString("hex")}`;
    const file = await combinedCapturedPdf(marker);
    expect(await findMarker(file, marker)).not.toEqual([]);

    const { status, body, cleaned } = await removeViaApi(server, file, "combined.pdf");
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body["remaining"]).toEqual({});
    const out = path.join(dir, "cleaned-combined.pdf");
    await fs.writeFile(out, cleaned!);
    expect(await findMarker(out, marker)).toEqual([]);
    expect(await pdfContent(out)).toEqual(await pdfContent(file));
    const qdf = (await run("qpdf", ["--qdf", "--object-streams=disable", out, "-"])).stdout.toString("latin1");
    expect(qdf).toMatch(/\/S \/Part/);
    expect(qdf).not.toMatch(/\/SpiderInfo|\/IDS|\/URLS|\/SpiderContentSet/);
  });
});
