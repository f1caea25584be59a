import fsp from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { BadFileError } from "../src/cleaners/errors.js";
import { checkCleanedPdf } from "../src/cleaners/pdf/check-output.js";
import { makeMarkedPdf, makePdfWithScripts } from "./helpers/make-pdf.js";
import { run } from "./helpers/tools.js";

/*
 * The look inside a written PDF (check-output.ts), on real generated files: its page count now
 * comes from the same qpdf read as its objects (qpdf's page list, no `--show-npages` run of its
 * own), and must still agree with qpdf's own count and refuse a copy that lost a page. A copy
 * with JavaScript left is refused as well. Inside the service the check runs on every cleaned
 * PDF (remove-pdf.test.ts, whose PDFs must come back 200).
 */

let dir: string;

beforeAll(async () => {
  dir = await fsp.mkdtemp(path.join(os.tmpdir(), "pdf-written-"));
});

afterAll(async () => {
  if (dir != null) await fsp.rm(dir, { recursive: true, force: true });
});

async function qpdfPages(file: string): Promise<number> {
  return Number((await run("qpdf", ["--show-npages", file])).stdout.toString("utf8").trim());
}

async function workDir(): Promise<string> {
  return fsp.mkdtemp(path.join(dir, "work-"));
}

describe("the check of a written PDF", () => {
  test("counts the pages qpdf counts, object streams included, and refuses a copy with a page fewer", async () => {
    const file = await makeMarkedPdf(dir, "object-streams", "PWCmark");
    const twoPages = path.join(dir, "two-pages.pdf");
    await run("qpdf", ["--empty", "--pages", file, file, "--", twoPages]);
    expect(await qpdfPages(twoPages)).toBe(2);
    const expected = { attachments: [], noReviewAnnotations: false };
    await expect(checkCleanedPdf(twoPages, { ...expected, pages: 2 }, await workDir())).resolves.toMatchObject({ pages: 2 });
    const onePage = path.join(dir, "one-page.pdf");
    await run("qpdf", ["--empty", "--pages", twoPages, "1", "--", onePage]);
    const err = await checkCleanedPdf(onePage, { ...expected, pages: 2 }, await workDir()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BadFileError);
    expect(String((err as Error).cause)).toContain("2 pages became 1");
  });

  test("refuses a copy that still holds JavaScript", async () => {
    const file = await makePdfWithScripts(dir, "PWCscript");
    const err = await checkCleanedPdf(file, { pages: await qpdfPages(file), attachments: [], noReviewAnnotations: false }, await workDir()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BadFileError);
    expect(String((err as Error).cause)).toContain("JavaScript left");
  });
});
