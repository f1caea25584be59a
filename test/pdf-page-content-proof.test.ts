import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import zlib from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BadFileError } from "../src/cleaners/errors.js";
import { dumpObjects } from "../src/cleaners/pdf/qpdf.js";
import { checkSamePages, samePageContent, type ReadPdf } from "../src/cleaners/pdf/same-page-content.js";
import { pageText } from "../src/cleaners/pdf/same-text.js";
import { assemblePdf } from "./helpers/make-pdf.js";
import { pdfOfTinyObjectsInStreams } from "./helpers/make-pdf-objects.js";
import { qpdfPages } from "./helpers/pdf-pages.js";
import { loggedQpdf, loggedTool, type QpdfLog } from "./helpers/qpdf-log.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { type RunningServer, startServer } from "./helpers/server.js";
import { run } from "./helpers/tools.js";

/*
 * The text of a cleaned PDF's pages is proven without pdftotext where qpdf's read of the copy
 * shows every page drawing from the original's content streams, fonts and resources, byte for
 * byte (same-page-content.ts); wherever anything a page draws with differs, pdftotext reads both
 * files and their text is compared, as before. A copy that lost a page's text, its font or a
 * page, or has its pages in another order, is refused either way.
 */

const MARKER = "PageProofMark7";

let dir: string;
let qpdfLog: QpdfLog;
let pdftotextLog: QpdfLog;
let server: RunningServer;

const FONT = "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>";
const page = (contents: number, extra = ""): string =>
  `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents ${contents} 0 R /Resources << /Font << /F1 3 0 R >> >> ${extra} >>`;
const text = (words: string): string => {
  const s = words === "" ? "" : `BT /F1 24 Tf 72 720 Td (${words}) Tj ET`;
  return `<< /Length ${s.length} >>\nstream\n${s}\nendstream`;
};

/** Two pages of text, the marker as the author; `count` is what the page tree says it holds. */
function twoPages(opts: { one?: string; two?: string; font?: string; count?: number; kids?: string; pageExtra?: string } = {}): Buffer {
  return assemblePdf(
    [
      "<< /Type /Catalog /Pages 2 0 R >>",
      `<< /Type /Pages /Kids ${opts.kids ?? "[4 0 R 6 0 R]"} /Count ${opts.count ?? 2} >>`,
      opts.font ?? FONT,
      page(5, opts.pageExtra),
      text(opts.one ?? "Page one reads this"),
      page(7),
      text(opts.two ?? "Page two reads that"),
    ],
    `/Info << /Author (${MARKER}) >>`,
  );
}

async function save(data: Buffer, name: string): Promise<string> {
  const file = path.join(dir, name);
  await fs.writeFile(file, data);
  return file;
}

/** The file with qpdf's dump of it, stream data in files as stored, as the cleaner reads both. */
async function read(file: string): Promise<ReadPdf> {
  const work = await fs.mkdtemp(path.join(dir, "dump-"));
  return { file, dump: await dumpObjects(file, path.join(work, "objects.json"), { streamPrefix: path.join(work, "s") }) };
}

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-page-proof-"));
  qpdfLog = await loggedQpdf(dir);
  pdftotextLog = await loggedTool(dir, "pdftotext");
  server = await startServer({ PATH: qpdfLog.path });
});

afterAll(async () => {
  await server?.stop();
  if (dir != null) await fs.rm(dir, { recursive: true, force: true });
});

describe("the pages of a copy compared with the original's on qpdf's reads of both", () => {
  it("the same pages written anew by qpdf (objects renumbered and packed into object streams, content compressed) are the same pages", async () => {
    const original = await save(twoPages(), "original.pdf");
    const copy = path.join(dir, "renumbered.pdf");
    await run("qpdf", ["--object-streams=generate", original, copy]);
    const copyRead = await read(copy);
    expect(Object.values(copyRead.dump.doc.qpdf[1]).some((o) => "stream" in o && o.stream.dict["/Filter"] === "/FlateDecode")).toBe(true);
    expect(samePageContent((await read(original)).dump, copyRead.dump)).toBe(true);
  });

  it("a copy that lost a page's text or a page, changed its text or its font's encoding, or reorders its pages, is not, and is refused on pdftotext's reading", async () => {
    const original = await read(await save(twoPages(), "base.pdf"));
    const broken = {
      "text-dropped": twoPages({ two: "" }),
      "text-changed": twoPages({ two: "Page two reads THAT" }),
      "font-encoding-changed": twoPages({ font: "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding << /Differences [80 /space] >> >>" }),
      "page-dropped": twoPages({ kids: "[4 0 R]", count: 1 }),
      "pages-swapped": twoPages({ kids: "[6 0 R 4 0 R]" }),
    };
    for (const [name, data] of Object.entries(broken)) {
      const copy = await read(await save(data, `${name}.pdf`));
      expect(samePageContent(original.dump, copy.dump), name).toBe(false);
      await expect(checkSamePages(original, copy), name).rejects.toBeInstanceOf(BadFileError);
    }
  });

  it("a copy whose page draws the same text from other streams (its content split in two) is left to pdftotext, which finds the same text", async () => {
    const original = await read(await save(twoPages(), "one-stream.pdf"));
    const stream = (s: string): string => `<< /Length ${s.length} >>\nstream\n${s}\nendstream`;
    const split = assemblePdf([
      "<< /Type /Catalog /Pages 2 0 R >>",
      "<< /Type /Pages /Kids [4 0 R 6 0 R] /Count 2 >>",
      FONT,
      page(5),
      text("Page one reads this"),
      "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents [7 0 R 8 0 R] /Resources << /Font << /F1 3 0 R >> >> >>",
      stream("BT /F1 24 Tf 72 720 Td"),
      stream("(Page two reads that) Tj ET"),
    ]);
    const copy = await read(await save(split, "two-streams.pdf"));
    expect(samePageContent(original.dump, copy.dump)).toBe(false);
    await expect(checkSamePages(original, copy)).resolves.toBeUndefined();
  });

  it("a content stream that inflates past what the comparison inflates (20 MB of spaces) is left to pdftotext, unless stored byte for byte the same", async () => {
    const content = Buffer.concat([Buffer.from("BT /F1 24 Tf 72 720 Td (Page one reads this) Tj ET\n"), Buffer.alloc(20 * 2 ** 20, 0x20)]);
    const objects = ["<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [4 0 R] /Count 1 >>", FONT, page(5)];
    const stored = (drawing: Buffer): Buffer => assemblePdf([...objects, `<< /Length ${drawing.length} /Filter /FlateDecode >>\nstream\n${drawing.toString("latin1")}\nendstream`]);
    const file = await read(await save(stored(zlib.deflateSync(content, { level: 9 })), "inflating.pdf"));
    // The same content deflated otherwise: other stored bytes, which only inflating could tell the same.
    const other = await read(await save(stored(zlib.deflateSync(content, { level: 1 })), "inflating-other.pdf"));
    expect(samePageContent(file.dump, other.dump)).toBe(false);
    await expect(checkSamePages(file, other)).resolves.toBeUndefined();
    // The same stored bytes draw the same text: nothing is inflated to tell.
    expect(samePageContent(file.dump, file.dump)).toBe(true);
  });
});

describe("a PDF removal proves its pages with qpdf's read of the copy", () => {
  async function remove(file: string): Promise<{ status: number; qpdf: string[]; pdftotext: string[]; cleaned: Buffer | null }> {
    await Promise.all([qpdfLog.clear(), pdftotextLog.clear()]);
    const r = await removeViaApi(server, file);
    return { status: r.status, qpdf: await qpdfLog.runs(), pdftotext: await pdftotextLog.runs(), cleaned: r.cleaned };
  }

  it("a plain document: qpdf dumps, writes and reads the copy back (three runs), no pdftotext; the copy reads the same", async () => {
    const file = await save(twoPages(), "plain.pdf");
    const r = await remove(file);
    expect(r.status).toBe(200);
    expect(r.qpdf).toHaveLength(3);
    expect(r.qpdf.filter((a) => a.includes("--update-from-json"))).toHaveLength(1);
    expect(r.pdftotext).toHaveLength(0);
    expect(r.cleaned!.includes(MARKER)).toBe(false);
    const out = await save(r.cleaned!, "plain.cleaned.pdf");
    expect(await qpdfPages(out)).toBe(2);
    expect((await pageText(out)).digest).toBe((await pageText(file)).digest);
  });

  it("a page with an annotation (its appearance may come from outside the page): pdftotext reads both files", async () => {
    const link = "/Annots [<< /Type /Annot /Subtype /Link /Rect [72 700 300 740] /Border [0 0 0] /A << /S /URI /URI (https://example.com/) >> >>]";
    const r = await remove(await save(twoPages({ pageExtra: link }), "annotated.pdf"));
    expect(r.status).toBe(200);
    expect(r.pdftotext).toHaveLength(2);
    expect(r.cleaned!.includes(MARKER)).toBe(false);
  });

  it("40 pages each drawing 20 MB of spaces (20 KB stored): the copy's streams are the original's bytes, proven without inflating them or pdftotext", async () => {
    // Inflated, they passed the comparison's bound, and pdftotext read 800 MB of spaces in each
    // file (25 s, 11 s of CPU on a loaded machine); compared as stored, 1.5 s.
    const drawing = zlib.deflateSync(Buffer.concat([Buffer.from("BT /F1 24 Tf 72 720 Td (Spaces follow) Tj ET\n"), Buffer.alloc(20 * 2 ** 20, 0x20)]), { level: 9 });
    const pages = Array.from({ length: 40 }, (_, i) => [page(5 + 2 * i), `<< /Length ${drawing.length} /Filter /FlateDecode >>\nstream\n${drawing.toString("latin1")}\nendstream`]);
    const kids = pages.map((_, i) => `${4 + 2 * i} 0 R`).join(" ");
    const head = assemblePdf(["<< /Type /Catalog /Pages 2 0 R >>", `<< /Type /Pages /Kids [${kids}] /Count 40 >>`, FONT, ...pages.flat()], `/Info << /Author (${MARKER}) >>`);
    const r = await remove(await save(head, "spaces.pdf"));
    expect(r.status).toBe(200);
    expect(r.pdftotext).toHaveLength(0);
    expect(r.cleaned!.includes(MARKER)).toBe(false);
    expect(await qpdfPages(await save(r.cleaned!, "spaces.cleaned.pdf"))).toBe(40);
  });

  it("a page tree that understates its pages: qpdf counts both pages in the copy, and both are kept", async () => {
    const r = await remove(await save(twoPages({ count: 1 }), "understated.pdf"));
    expect(r.status).toBe(200);
    expect(await qpdfPages(await save(r.cleaned!, "understated.cleaned.pdf"))).toBe(2);
  });

  it("a document of more objects than the copy is read back whole for (25,000): pdftotext reads both files, qpdf does not read the copy (nothing in it to find)", async () => {
    const r = await remove(await save(pdfOfTinyObjectsInStreams(25_000, 5_000, MARKER), "many-objects.pdf"));
    expect(r.status).toBe(200);
    const writes = r.qpdf.filter((a) => a.includes("--update-from-json"));
    expect(writes).toHaveLength(1);
    const copy = writes[0]!.split(" ").at(-1)!;
    expect(r.qpdf.filter((a) => a.includes(copy))).toHaveLength(1);
    expect(r.pdftotext).toHaveLength(2);
    expect(r.cleaned!.includes(MARKER)).toBe(false);
  });
});
