import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { holdsWhatTheCheckLooksFor } from "../src/cleaners/pdf/check-output.js";
import { dumpObjects } from "../src/cleaners/pdf/qpdf.js";
import { pageText } from "../src/cleaners/pdf/same-text.js";
import { makePdf } from "./helpers/make-files.js";
import { assemblePdf, makePdfWithAttachments, makePdfWithReviewAnnotations, makePdfWithScripts } from "./helpers/make-pdf.js";
import { loggedQpdf, type QpdfLog } from "./helpers/qpdf-log.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { type RunningServer, startServer } from "./helpers/server.js";
import { run } from "./helpers/tools.js";

/*
 * qpdf's look inside the cleaned copy (check-output.ts: attached files, review annotations,
 * JavaScript, pages) is left out only where the original's own dump shows, in every object it
 * has, nothing for it to find, and pdftotext's page counts of the original and the copy both
 * agree with qpdf's count of the original. Everywhere else qpdf reads the copy, as before.
 */

const MARKER = "CopyLookMark5";

let dir: string;
let qpdfLog: QpdfLog;
let server: RunningServer;

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

/** The qpdf runs one removal starts, as the PATH shim logged them. */
async function qpdfRunsOf(file: string): Promise<{ status: number; runs: string[]; cleaned: Buffer | null }> {
  await qpdfLog.clear();
  const r = await removeViaApi(server, file);
  return { status: r.status, runs: await qpdfLog.runs(), cleaned: r.cleaned };
}

async function qpdfPages(file: string): Promise<number> {
  const { stdout } = await run("qpdf", ["--json-output=2", "--json-key=pages", file, "-"]);
  return (JSON.parse(stdout.toString("utf8")) as { pages: unknown[] }).pages.length;
}

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-copy-look-"));
  qpdfLog = await loggedQpdf(dir);
  server = await startServer({ PATH: qpdfLog.path });
});

afterAll(async () => {
  await server?.stop();
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

describe("a PDF removal reads the copy with qpdf only where there is something to find", () => {
  it("a plain document: qpdf dumps and writes (two runs), and the copy has its pages and text and no metadata", async () => {
    const file = await save(twoPages(2), "plain.pdf");
    const r = await qpdfRunsOf(file);
    expect(r.status).toBe(200);
    expect(r.runs).toHaveLength(2);
    expect(r.runs.filter((a) => a.includes("--update-from-json"))).toHaveLength(1);
    const out = await save(r.cleaned!, "plain.cleaned.pdf");
    expect(r.cleaned!.includes(MARKER)).toBe(false);
    expect(await qpdfPages(out)).toBe(2);
    expect((await pageText(out)).digest).toBe((await pageText(file)).digest);
  });

  it("a document with scripts: the copy is read by qpdf too (three runs), and has none left", async () => {
    const r = await qpdfRunsOf(await makePdfWithScripts(dir, MARKER));
    expect(r.status).toBe(200);
    expect(r.runs).toHaveLength(3);
    expect(r.cleaned!.toString("latin1")).not.toContain("JavaScript");
  });

  it("a page tree that understates its pages (pdftotext reads one of two): qpdf counts the copy's pages (three runs), both kept", async () => {
    const r = await qpdfRunsOf(await save(twoPages(1), "understated-remove.pdf"));
    expect(r.status).toBe(200);
    expect(r.runs).toHaveLength(3);
    expect(await qpdfPages(await save(r.cleaned!, "understated.cleaned.pdf"))).toBe(2);
  });
});
