import crypto from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { proveEpub } from "../src/cleaners/proof/epub-proof.js";
import { makeMarkedEpub } from "./helpers/make-epub.js";
import { makeMarkedJpeg, zip } from "./helpers/make-office.js";
import { findMarker } from "./helpers/marker-scan.js";
import { readZip } from "./helpers/read-archives.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { savedIn } from "./helpers/saved.js";
import { type RunningServer, startServer } from "./helpers/server.js";

/*
 * Fuzz seed 1657653122, #5324: bit flips in an EPUB's deflated entries (their CRCs left wrong,
 * which the service does not check) changed the NCX's namespace from z3986 to z3976. The NCX
 * cleaning went by that namespace, met no element it knew, and the table of contents came back
 * whole: its dtb:uid, dtb:generator and docAuthor held the book's marker. ExifTool reads only
 * the package document of a book, so the verification's re-read did not see it either. The NCX
 * is now cleaned from an allow-list, one whose root is not the NCX's is refused, and a proof of
 * the copy (proof/epub-proof.ts) walks every NCX beside the re-read.
 */
const NCX = "OEBPS/toc.ncx";

let server: RunningServer;
let dir: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-epub-ncx-"));
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

/** The suite's marked book, its NCX changed by `edit` (which must change it). */
async function bookWithNcx(marker: string, edit: (ncx: string) => string): Promise<string> {
  const book = await makeMarkedEpub(marker, await makeMarkedJpeg(dir, marker));
  return savedIn(dir, `${crypto.randomUUID()}.epub`, await withEntry(book, NCX, edit));
}

async function withEntry(book: Buffer, name: string, edit: (text: string) => string): Promise<Buffer> {
  const { members } = await readZip(book);
  const parts = members.map(({ name: n, data }): [string, Buffer] => {
    if (n !== name) return [n, data];
    const edited = edit(data.toString("utf8"));
    expect(edited).not.toBe(data.toString("utf8"));
    return [n, Buffer.from(edited, "utf8")];
  });
  return zip(parts);
}

describe("an EPUB whose NCX table of contents is damaged", () => {
  it("is refused, with no copy, when one bit flipped in its namespace makes its root no NCX", async () => {
    const marker = `Ncxns${crypto.randomBytes(5).toString("hex")}`;
    const file = await bookWithNcx(marker, (ncx) => ncx.replace('xmlns="http://www.daisy.org/z3986/2005/ncx/"', 'xmlns="http://www.daisy.org/z3987/2005/ncx/"'));
    const { status, body, cleaned } = await removeViaApi(server, file, "book.epub");
    expect(status, JSON.stringify(body)).toBe(422);
    expect(body["error"]).toBe("The EPUB book could not be read: its table of contents (NCX) is not an NCX document.");
    expect(cleaned).toBeNull();
  });

  it("is cleaned of elements whose names a flipped bit changed, head text, instructions, foreign elements and extra meta attributes", async () => {
    const marker = `Ncxnames${crypto.randomBytes(5).toString("hex")}`;
    const file = await bookWithNcx(marker, (ncx) =>
      ncx
        .replace('<meta name="dtb:generator"', '<mdta name="dtb:generator"')
        .replace(/<docAuthor>(.*)<\/docAuthor>/, "<docAuthnr>$1</docAuthnr>")
        .replace('<meta name="dtb:depth" content="1"/>', `<meta name="dtb:depth" content="1" scheme="${marker} scheme">${marker} in meta</meta>${marker} in head<?tool ${marker}?>`)
        .replace("<navMap>", `<x:who xmlns:x="urn:example:who">${marker} foreign</x:who><navMap>`),
    );
    const { status, body, cleaned } = await removeViaApi(server, file, "book.epub");
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body["remaining"]).toEqual({});
    const out = await savedIn(dir, "cleaned.epub", cleaned!);
    expect(await findMarker(out, marker)).toEqual([]);
    const ncx = (await readZip(cleaned!)).members.find((m) => m.name === NCX)!.data.toString("utf8");
    expect(ncx).toMatch(/<head><meta name="dtb:uid" content="urn:uuid:[0-9a-f-]{36}"\/><meta name="dtb:depth" content="1"\/><\/head>/);
    expect(ncx).toContain("<navLabel><text>Chapter One</text></navLabel>");
  });

  it("the proof of a cleaned copy fails for each place metadata could be left in its NCX, the fuzz case's whole NCX among them", async () => {
    const marker = `Ncxproof${crypto.randomBytes(5).toString("hex")}`;
    const book = await makeMarkedEpub(marker, await makeMarkedJpeg(dir, marker));
    const { status, body, cleaned } = await removeViaApi(server, await savedIn(dir, "book.epub", book));
    expect(status, JSON.stringify(body)).toBe(200);
    expect(await proveEpub(await savedIn(dir, "proved.epub", cleaned!))).toBeNull();
    const original = (await readZip(book)).members.find((m) => m.name === NCX)!.data.toString("utf8");
    const leftovers: ReadonlyArray<[string, (ncx: string) => string]> = [
      ["the fuzz case's NCX as the cleaning returned it", () => original.replace("z3986/2005/ncx/", "z3976/2005/ncx/").replace(/<!DOCTYPE[^>]*>/, "")],
      ["a generator", (ncx) => ncx.replace("</head>", `<meta name="dtb:generator" content="${marker}"/></head>`)],
      ["a docAuthor", (ncx) => ncx.replace("<navMap>", `<docAuthor><text>${marker}</text></docAuthor><navMap>`)],
      ["an element of a damaged name", (ncx) => ncx.replace("<navMap>", `<docAuthnr><text>${marker}</text></docAuthnr><navMap>`)],
      ["an element in another namespace", (ncx) => ncx.replace("<navMap>", `<who xmlns="urn:example:who">${marker}</who><navMap>`)],
      ["a uid other than a new identifier", (ncx) => ncx.replace(/content="urn:uuid:[^"]*"/, `content="urn:isbn:${marker}"`)],
      ["a depth other than a number", (ncx) => ncx.replace('content="1"', `content="${marker}"`)],
      ["a meta attribute beyond name and value", (ncx) => ncx.replace('content="1"', `content="1" scheme="${marker}"`)],
      ["text in the head", (ncx) => ncx.replace("</head>", `${marker}</head>`)],
      ["text in a meta", (ncx) => ncx.replace('content="1"/>', `content="1">${marker}</meta>`)],
      ["a comment", (ncx) => ncx.replace("<navMap>", `<!-- ${marker} --><navMap>`)],
      ["a processing instruction", (ncx) => ncx.replace("<navMap>", `<?tool ${marker}?><navMap>`)],
    ];
    for (const [what, edit] of leftovers) {
      const file = await savedIn(dir, "left.epub", await withEntry(cleaned!, NCX, edit));
      // Each a well-formed NCX: the proof must fail on what it holds, not on how it is written.
      expect(await proveEpub(file), what).toMatch(/^OEBPS\/toc\.ncx: (?!not well-formed)/);
    }
  });
});
