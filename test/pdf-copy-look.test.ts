import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { holdsWhatTheCheckLooksFor } from "../src/cleaners/pdf/check-output.js";
import { dumpObjects } from "../src/cleaners/pdf/qpdf.js";
import { pageText } from "../src/cleaners/pdf/same-text.js";
import { makePdf } from "./helpers/make-files.js";
import { assemblePdf, makePdfWithAttachments, makePdfWithReviewAnnotations, makePdfWithScripts } from "./helpers/make-pdf.js";
import { qpdfPages } from "./helpers/pdf-pages.js";

/*
 * For a document past pdf.ts's MAX_OBJECTS_READ_BACK objects, qpdf's look inside the cleaned copy
 * (check-output.ts: attached files, review annotations, JavaScript, pages) is left out only where
 * the original's own dump shows, in every object it has, nothing for it to find, and pdftotext's
 * page counts of the original and the copy both agree with qpdf's count of the original
 * (pdf-page-content-proof.test.ts removes such a document). Smaller ones are always read back.
 */

const MARKER = "CopyLookMark5";

let dir: string;

/** A PDF of these objects, numbered from 1, the first the catalog, with the marker as its author. */
const pdfOf = (objects: readonly string[]): Buffer => assemblePdf(objects, `/Info << /Author (${MARKER}) >>`);

const FONT = "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>";
const page = (contents: number): string => `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents ${contents} 0 R /Resources << /Font << /F1 3 0 R >> >> >>`;
const text = (words: string): string => {
  const s = `BT /F1 24 Tf 72 720 Td (${words}) Tj ET`;
  return `<< /Length ${s.length} >>\nstream\n${s}\nendstream`;
};

/** Two pages; `count` is what the page tree says it holds (poppler believes it, qpdf counts the pages). */
function twoPages(count: number, extra: readonly string[] = []): Buffer {
  return pdfOf(["<< /Type /Catalog /Pages 2 0 R >>", `<< /Type /Pages /Kids [4 0 R 6 0 R] /Count ${count} >>`, FONT, page(5), text("Page one"), page(7), text("Page two"), ...extra]);
}

async function save(data: Buffer, name: string): Promise<string> {
  const file = path.join(dir, name);
  await fs.writeFile(file, data);
  return file;
}

async function dumpOf(file: string) {
  return (await dumpObjects(file, path.join(await fs.mkdtemp(path.join(dir, "dump-")), "objects.json"))).doc;
}

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-copy-look-"));
});

afterAll(async () => {
  if (dir != null) await fs.rm(dir, { recursive: true, force: true });
});

describe("what qpdf's look at a cleaned PDF could find, judged on the original", () => {
  it("nothing in a plain document; a script, an attached file or a review annotation anywhere, even in an object nothing refers to", async () => {
    expect(holdsWhatTheCheckLooksFor(await dumpOf(await makePdf(dir)))).toBe(false);
    expect(holdsWhatTheCheckLooksFor(await dumpOf(await makePdfWithScripts(dir, MARKER)))).toBe(true);
    expect(holdsWhatTheCheckLooksFor(await dumpOf((await makePdfWithAttachments(dir, MARKER, { nested: false })).file))).toBe(true);
    expect(holdsWhatTheCheckLooksFor(await dumpOf(await makePdfWithReviewAnnotations(dir, MARKER, "a note")))).toBe(true);
    const orphanScript = await save(twoPages(2, [`<< /S /JavaScript /JS (app.alert\\("${MARKER}"\\)) >>`]), "orphan-script.pdf");
    expect(holdsWhatTheCheckLooksFor(await dumpOf(orphanScript))).toBe(true);
    const orphanFile = await save(twoPages(2, ["<< /Type /EmbeddedFile /Length 5 >>\nstream\nhello\nendstream"]), "orphan-file.pdf");
    expect(holdsWhatTheCheckLooksFor(await dumpOf(orphanFile))).toBe(true);
  });

  it("pdftotext counts the pages it read as qpdf counts them, and fewer where the page tree understates them", async () => {
    const honest = await save(twoPages(2), "honest.pdf");
    expect((await pageText(honest)).pages).toBe(2);
    expect(await qpdfPages(honest)).toBe(2);
    const understated = await save(twoPages(1), "understated.pdf");
    expect((await pageText(understated)).pages).toBe(1);
    expect(await qpdfPages(understated)).toBe(2);
  });
});
