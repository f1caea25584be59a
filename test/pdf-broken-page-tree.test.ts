import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BadFileError } from "../src/cleaners/errors.js";
import { checkCleanedPdf } from "../src/cleaners/pdf/check-output.js";
import { pageText } from "../src/cleaners/pdf/same-text.js";
import { findMarker } from "./helpers/marker-scan.js";
import { popplerPages, qpdfPages } from "./helpers/pdf-pages.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { type RunningServer, startServer } from "./helpers/server.js";
import { run } from "./helpers/tools.js";

/*
 * py-pdf's sample 017-unreadable-meta-data/unreadablemetadata.pdf: a linearized PDF whose last
 * 1.1 MB are zero bytes. Gone with them are the page tree's root (the catalog's /Pages names an
 * object no longer in the file), the Info dictionary and the main cross-reference table; the
 * startxref at the end points at the first-page section's table, which lists none of them.
 * qpdf rebuilds the cross-reference table and reads no page; poppler says "Pages: 4" (the
 * linearization dictionary's /N) but loads none of them. The removal answered 200 with a copy
 * whose /Pages is null: qpdf counted 0 pages in the original and 0 in the copy, and the page
 * proof compared those two empty lists. A copy with no pages shows nothing, so it is never an
 * answer: such a file is refused as damaged. Where the page tree is whole and only the
 * cross-reference table is broken, qpdf rebuilds it and the file is cleaned as any other.
 */

const MARKER = "BrokenTreeMark4";
const FONT = "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>";
const TEXTS = ["Page one reads this", "Page two reads that"];
const XMP =
  `<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">` +
  `<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:description>${MARKER}</dc:description></rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end="w"?>`;

let server: RunningServer;
let dir: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-pdf-page-tree-"));
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

interface Damage {
  /** The page tree's root as written (object 2); its bytes are zeroed where `zeroPages` is set. */
  pages?: string;
  /** Zero the page tree's root in place, as the sample's zeroed tail took its /Pages. */
  zeroPages?: boolean;
  /** A linearization dictionary first in the file, declaring two pages (as the sample's /N 4). */
  linearized?: boolean;
  /** Zero the cross-reference table too; startxref then points at nothing usable. */
  zeroXref?: boolean;
  /** Objects after the marker's (numbered from 10): page tree nodes. */
  more?: readonly string[];
  /** The pages' /Parent (2, the root, unless a node in `more`). */
  parent?: number;
}

/**
 * Two pages of text (objects 1 to 7), the marker in the Info dictionary (8) and the catalog's
 * XMP (9), then `more`, written with the damage asked for. Zeroed bytes keep every other offset as it was.
 */
function twoPagePdf(damage: Damage): Buffer {
  const page = (contents: number): string => `<< /Type /Page /Parent ${damage.parent ?? 2} 0 R /MediaBox [0 0 612 792] /Contents ${contents} 0 R /Resources << /Font << /F1 3 0 R >> >> >>`;
  const text = (words: string): string => {
    const s = `BT /F1 24 Tf 72 720 Td (${words}) Tj ET`;
    return `<< /Length ${s.length} >>\nstream\n${s}\nendstream`;
  };
  const objects = [
    "<< /Type /Catalog /Pages 2 0 R /Metadata 9 0 R >>",
    damage.pages ?? "<< /Type /Pages /Kids [4 0 R 6 0 R] /Count 2 >>",
    FONT,
    page(5),
    text(TEXTS[0]!),
    page(7),
    text(TEXTS[1]!),
    `<< /Author (${MARKER}) /Title (${MARKER}) >>`,
    `<< /Type /Metadata /Subtype /XML /Length ${XMP.length} >>\nstream\n${XMP}\nendstream`,
    ...(damage.more ?? []),
  ];
  const parts: Buffer[] = [Buffer.from("%PDF-1.4\n", "latin1")];
  const at = (): number => parts.reduce((n, p) => n + p.length, 0);
  const add = (s: string, zero = false): void => {
    parts.push(zero ? Buffer.alloc(Buffer.byteLength(s, "latin1")) : Buffer.from(s, "latin1"));
  };
  // The length (/L) is filled in once known, in a field of fixed width.
  if (damage.linearized === true) add("99 0 obj\n<< /Linearized 1 /L 0000000000 /N 2 /O 4 /E 0 /T 0 /H [0 0] >>\nendobj\n");
  const offsets = objects.map((o, i) => {
    const offset = at();
    add(`${i + 1} 0 obj\n${o}\nendobj\n`, i === 1 && damage.zeroPages === true);
    return offset;
  });
  const xref = at();
  add(`xref\n0 ${objects.length + 1}\n0000000000 65535 f \n${offsets.map((o) => `${String(o).padStart(10, "0")} 00000 n \n`).join("")}`, damage.zeroXref === true);
  add(`trailer\n<< /Size ${objects.length + 1} /Root 1 0 R /Info 8 0 R >>\nstartxref\n${xref}\n%%EOF\n`);
  const file = Buffer.concat(parts);
  if (damage.linearized === true) file.write(String(file.length).padStart(10, "0"), file.indexOf("/L ") + 3, "latin1");
  return file;
}

async function save(data: Buffer, name: string): Promise<string> {
  const file = path.join(dir, name);
  await fs.writeFile(file, data);
  return file;
}

describe("POST /api/v1/remove on a PDF whose page tree is gone", () => {
  const gone: Record<string, Damage> = {
    // The sample's damage: /Pages and the cross-reference table zeroed, a linearization dictionary
    // declaring the pages (poppler's count comes from it).
    "zeroed, linearized": { zeroPages: true, zeroXref: true, linearized: true },
    "zeroed, no cross-reference table": { zeroPages: true, zeroXref: true },
    "zeroed, cross-reference table whole": { zeroPages: true },
    "written as null": { pages: "null" },
  };
  for (const [name, damage] of Object.entries(gone)) {
    it(`${name}: refused as damaged (qpdf reads no page in it), never a copy without pages`, async () => {
      const file = await save(twoPagePdf(damage), `${name.replace(/\W+/g, "-")}.pdf`);
      expect(await qpdfPages(file)).toBe(0);
      const r = await removeViaApi(server, file);
      expect(r.status, JSON.stringify(r.body)).toBe(422);
      expect(JSON.stringify(r.body)).toMatch(/damaged/i);
    });
  }
});

describe("POST /api/v1/remove on a PDF whose page tree qpdf can read", () => {
  const readable: Record<string, Damage> = {
    "no cross-reference table (zeroed), the tree whole": { zeroXref: true },
    "linearized, no cross-reference table, the tree whole": { zeroXref: true, linearized: true },
    // poppler reads no page in the original ("Page count ... is wrong type"): qpdf walks the kids.
    "the tree's root without /Count": { pages: "<< /Type /Pages /Kids [4 0 R 6 0 R] >>" },
    // poppler shows one page of two, or a third that is not there.
    "the tree's root counting one page of two": { pages: "<< /Type /Pages /Kids [4 0 R 6 0 R] /Count 1 >>" },
    "the tree's root counting three pages of two": { pages: "<< /Type /Pages /Kids [4 0 R 6 0 R] /Count 3 >>" },
    "the pages under a node of their own, both counts missing": {
      pages: "<< /Type /Pages /Kids [10 0 R] >>",
      more: ["<< /Type /Pages /Parent 2 0 R /Kids [4 0 R 6 0 R] >>"],
      parent: 10,
    },
  };
  for (const [name, damage] of Object.entries(readable)) {
    it(`${name}: cleaned, its two pages (as qpdf and poppler count them) and their text kept, the marker gone`, async () => {
      const file = await save(twoPagePdf(damage), `${name.replace(/\W+/g, "-")}.pdf`);
      const r = await removeViaApi(server, file);
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      const out = await save(r.cleaned!, `cleaned-${path.basename(file)}`);
      expect(await qpdfPages(out)).toBe(2);
      expect(await popplerPages(out)).toBe(2);
      const words = (await run("pdftotext", ["-q", "-raw", out, "-"])).stdout.toString("utf8");
      expect(words.split("\f").slice(0, 2).map((w) => w.trim())).toEqual(TEXTS);
      expect(await findMarker(out, MARKER)).toEqual([]);
    });
  }

  it("a page tree whose kids name a font (qpdf and poppler both count it as a blank page): the same two pages and text", async () => {
    const file = await save(twoPagePdf({ pages: "<< /Type /Pages /Kids [4 0 R 3 0 R] /Count 2 >>" }), "font-kid.pdf");
    const r = await removeViaApi(server, file);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    const out = await save(r.cleaned!, "cleaned-font-kid.pdf");
    expect([await qpdfPages(out), await popplerPages(out)]).toEqual([await qpdfPages(file), await popplerPages(file)]);
    expect((await pageText(out)).digest).toBe((await pageText(file)).digest);
    expect(await findMarker(out, MARKER)).toEqual([]);
  });
});

describe("the check of a written copy", () => {
  it("refuses a copy whose page tree declares other than its pages (what poppler shows), which the cleaning now writes anew", async () => {
    const expected = { pages: 2, attachments: [], noReviewAnnotations: true };
    const work = await fs.mkdtemp(path.join(dir, "check-"));
    const whole = await save(twoPagePdf({}), "copy-whole.pdf");
    await expect(checkCleanedPdf(whole, expected, work)).resolves.toBeDefined();
    for (const count of ["", "/Count 1", "/Count 3"]) {
      const copy = await save(twoPagePdf({ pages: `<< /Type /Pages /Kids [4 0 R 6 0 R] ${count} >>` }), `copy-count-${count.length}.pdf`);
      await expect(checkCleanedPdf(copy, expected, work), count).rejects.toBeInstanceOf(BadFileError);
    }
  });
});
