import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assemblePdf, markedJpeg } from "./helpers/make-pdf.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { type RunningServer, startServer } from "./helpers/server.js";
import { run } from "./helpers/tools.js";

/*
 * Where a cleaned PDF's pages no longer draw the original's content byte for byte (here: a JPEG
 * drawn inline, which the cleaner makes an image object to clean it), pdftotext reads both files
 * and their text is compared. Its layout analysis costs far more than the text, worst for rotated
 * lines: a 170 kB document of 40 pages, each drawing one content stream of 1,500 slanted lines,
 * took ~120 s of CPU for each file, so the removal ended at the deadline with a 422. Read in
 * content stream order, the same proof takes ~3 s and the document is cleaned.
 */

const MARKER = "RotatedLinesMark8";
const PAGES = 40;
/** Shorter than the default 120 s, so that the old way fails sooner (and surely, on a faster machine too). */
const DEADLINE_SECONDS = 60;
const LINE = "The quick brown fox jumps over the lazy dog again and again";

let dir: string;
let server: RunningServer;

async function rotatedLinesPdf(): Promise<Buffer> {
  const jpeg = await markedJpeg(dir, MARKER);
  const lines = Array.from({ length: 1500 }, (_, i) => `0.7 0.7 -0.7 0.7 ${(i * 37) % 600} ${(i * 53) % 780} Tm (${LINE}) Tj`).join(" ");
  const content = Buffer.concat([
    Buffer.from(`BT /F1 4 Tf ${lines} ET q 40 0 0 40 300 20 cm BI /W 8 /H 8 /CS /RGB /BPC 8 /F /DCT ID `, "latin1"),
    jpeg,
    Buffer.from("\nEI Q", "latin1"),
  ]);
  const kids = Array.from({ length: PAGES }, (_, i) => `${5 + i} 0 R`).join(" ");
  return assemblePdf(
    [
      "<< /Type /Catalog /Pages 2 0 R >>",
      `<< /Type /Pages /Count ${PAGES} /Kids [${kids}] >>`,
      "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
      `<< /Length ${content.length} >>\nstream\n${content.toString("latin1")}\nendstream`,
      ...Array.from({ length: PAGES }, () => "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> /Contents 4 0 R >>"),
    ],
    `/Info << /Author (${MARKER}) >>`,
  );
}

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-rotated-lines-"));
  server = await startServer({ REQUEST_TIMEOUT_SECONDS: String(DEADLINE_SECONDS) });
});

afterAll(async () => {
  await server?.stop();
  if (dir != null) await fs.rm(dir, { recursive: true, force: true });
});

describe("the text proof of a PDF whose pages the cleaning changed", () => {
  it("cleans a document of many rotated lines of text within the deadline", async () => {
    const file = path.join(dir, "rotated.pdf");
    await fs.writeFile(file, await rotatedLinesPdf());
    const { status, body, cleaned } = await removeViaApi(server, file);
    expect(status, JSON.stringify(body)).toBe(200);
    expect(cleaned!.includes(MARKER)).toBe(false);
    const out = path.join(dir, "cleaned.pdf");
    await fs.writeFile(out, cleaned!);
    const { stdout } = await run("qpdf", ["--show-npages", out]);
    expect(Number(stdout.toString("utf8").trim())).toBe(PAGES);
    // The inline picture became an image object: the pages' content is no longer the original's.
    const images = (await run("qpdf", ["--show-pages", "--with-images", "--", out])).stdout.toString("utf8");
    expect(images).toMatch(/page 1: [\s\S]*images:\s+\/\S+: \d+ 0 R, 8 x 8/);
    // Slanted, the lines come out a letter a line: compared without whitespace.
    const lastPage = async (pdf: string): Promise<string> =>
      (await run("pdftotext", ["-q", "-raw", "-f", String(PAGES), "-l", String(PAGES), pdf, "-"])).stdout.toString("utf8").replace(/\s+/g, "");
    const text = await lastPage(out);
    expect(text).toContain(LINE.replace(/\s+/g, ""));
    expect(text).toBe(await lastPage(file));
  }, (DEADLINE_SECONDS + 60) * 1000);
});
