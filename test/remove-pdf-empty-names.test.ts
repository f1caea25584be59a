import crypto from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assemblePdf, PDF_TEXT, pdfContent } from "./helpers/make-pdf.js";
import { findMarker } from "./helpers/marker-scan.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { savedIn } from "./helpers/saved.js";
import { type RunningServer, startServer } from "./helpers/server.js";
import { run } from "./helpers/tools.js";

/*
 * The empty name (`/` alone) is a valid PDF name, which font encodings use for unnamed glyphs.
 * Debian's qpdf writes it in its JSON view of the objects but refuses it when the edit is read
 * back: a PDF whose page lost its private data while holding such a font was a 500. It is cleaned,
 * its page the same, the empty names where they were.
 */

let server: RunningServer;
let dir: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-pdf-empty-names-"));
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

/** One page whose own dictionary holds the marker (application data, a date) and, inline, a font whose encoding names glyphs with the empty name. */
function pdfWithEmptyNames(marker: string): Buffer {
  const content = `BT /F1 18 Tf 36 100 Td (${PDF_TEXT}) Tj ET`;
  const font = "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding << /Type /Encoding /BaseEncoding /WinAnsiEncoding /Differences [128 / /Euro 130 /] >> >>";
  return assemblePdf(
    [
      "<< /Type /Catalog /Pages 2 0 R >>",
      "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
      `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 400 150] /Contents 4 0 R /Resources << /Font << /F1 ${font} >> >> /LastModified (D:20240102030405) /PieceInfo << /Illustrator << /Private << /Owner (${marker}) >> /LastModified (D:20240102030405) >> >> >>`,
      `<< /Length ${content.length} >>\nstream\n${content}\nendstream`,
    ],
    `/Info << /Author (${marker}) >>`,
  );
}

/** The page's font encoding's differences, as qpdf reads them from `file`. */
async function differences(file: string): Promise<unknown> {
  const json = JSON.parse((await run("qpdf", ["--json=2", "--json-key=pages", "--json-key=qpdf", file])).stdout.toString("utf8")) as { pages: Array<{ object: string }>; qpdf: [unknown, Record<string, { value: Record<string, any> }>] };
  const page = json.qpdf[1][`obj:${json.pages[0]!.object}`]!.value;
  return page["/Resources"]["/Font"]["/F1"]["/Encoding"]["/Differences"];
}

describe("POST /api/v1/remove on a PDF holding empty names", () => {
  it.each([
    ["objects as they are", []],
    ["objects in an object stream", ["--object-streams=generate"]],
  ])("cleans one with %s: the page's private data and the Info go, the empty names stay, the page reads and draws the same", async (what, qpdfArgs) => {
    const marker = `EmptyName${crypto.randomBytes(5).toString("hex")}`;
    const built = await savedIn(dir, `built-${crypto.randomUUID()}.pdf`, pdfWithEmptyNames(marker));
    const file = path.join(dir, `${crypto.randomUUID()}.pdf`);
    await run("qpdf", [...qpdfArgs, built, file]);
    expect(await differences(file)).toEqual([128, "/", "/Euro", 130, "/"]);

    const { status, body, cleaned } = await removeViaApi(server, file, "report.pdf");
    expect(status, `${what}: ${JSON.stringify(body)}`).toBe(200);
    expect(await findMarker(cleaned!, marker)).toEqual([]);
    const copy = await savedIn(dir, `cleaned-${crypto.randomUUID()}.pdf`, cleaned!);
    expect(await differences(copy)).toEqual([128, "/", "/Euro", 130, "/"]);
    expect(cleaned!.includes("exifapi")).toBe(false);
    expect(await pdfContent(copy)).toEqual(await pdfContent(file));
  }, 120_000);
});
