import crypto from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import CFB from "cfb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { legacyOfficeText, soffice } from "./helpers/make-legacy-office.js";
import { findMarker } from "./helpers/marker-scan.js";
import { readZip } from "./helpers/read-archives.js";
import { cleanedCopyViaApi } from "./helpers/remove-api.js";
import { type RunningServer, startServer } from "./helpers/server.js";

/*
 * A PowerPoint 97-2003 presentation's hyperlinks to the user's files and its linked movie kept
 * the user's folders (the CStrings of ExHyperlinkContainer and ExVideoContainer, in the
 * `PowerPoint Document` stream), which ExifTool does not read: each becomes its bare file name in
 * place, every record keeping its size; the web link, the slide's text and the links themselves
 * (to the file of that name beside the presentation, as LibreOffice reads them) stay.
 */

let server: RunningServer;
let dir: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-ppt-links-"));
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

const NS = [
  'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"',
  'xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0"',
  'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"',
  'xmlns:svg="urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0"',
  'xmlns:xlink="http://www.w3.org/1999/xlink"',
].join(" ");

/**
 * A slide whose text links to a file in the user's folder, a share, a file down from the
 * presentation's folder and a web page, and a movie linked from the user's folder, as LibreOffice
 * writes them into a PPT (the link down from the folder as the absolute path it resolves to:
 * `work`'s folders). Returns the file and `work`.
 */
async function makeLinkedPpt(marker: string): Promise<{ file: string; work: string }> {
  const work = path.join(dir, `make-${crypto.randomUUID()}`);
  await fs.mkdir(work);
  const a = (href: string, text: string): string => `<text:a xlink:type="simple" xlink:href="${href}">${text}</text:a>`;
  const links = [
    a(`file:///C:/Users/${marker}/Documents/budget.xls`, "Budget"),
    a(`file://fileserver/${marker}share/plan.pptx`, "Plan"),
    a("data/list.xls", "List"),
    a("https://example.com/page", "Web"),
  ].join(" and ");
  const movie = `<draw:frame svg:x="2cm" svg:y="9cm" svg:width="4cm" svg:height="3cm"><draw:plugin xlink:href="file:///C:/Users/${marker}/Videos/clip.avi" xlink:type="simple" xlink:show="embed" xlink:actuate="onLoad" draw:mime-type="application/vnd.sun.star.media"/></draw:frame>`;
  const slide = `<draw:page draw:name="p1">${movie}<draw:frame svg:x="2cm" svg:y="2cm" svg:width="20cm" svg:height="3cm"><draw:text-box><text:p>Links: ${links}</text:p></draw:text-box></draw:frame></draw:page>`;
  const source = path.join(work, "slides.fodp");
  await fs.writeFile(source, `<?xml version="1.0" encoding="UTF-8"?><office:document ${NS} office:version="1.3" office:mimetype="application/vnd.oasis.opendocument.presentation"><office:body><office:presentation>${slide}</office:presentation></office:body></office:document>`);
  await soffice(work, ["--convert-to", "ppt", "--outdir", work, source]);
  return { file: path.join(work, "slides.ppt"), work };
}

/** The `PowerPoint Document` stream of a presentation. */
async function presentationStream(file: string): Promise<Buffer> {
  const doc = CFB.read(await fs.readFile(file), { type: "buffer" });
  return Buffer.from(CFB.find(doc, "PowerPoint Document")!.content);
}

/** The links of the slide's text as LibreOffice reads them, a file beside the presentation as `./name`. */
async function libreOfficeLinks(file: string): Promise<string[]> {
  const work = path.join(dir, `odp-${crypto.randomUUID()}`);
  await fs.mkdir(work);
  const copy = path.join(work, "slides.ppt");
  await fs.copyFile(file, copy);
  await soffice(work, ["--convert-to", "odp", "--outdir", work, copy]);
  const content = (await readZip(await fs.readFile(path.join(work, "slides.odp")))).members.find((p) => p.name === "content.xml")!.data.toString("utf8");
  return [...content.matchAll(/<text:a [^>]*xlink:href="([^"]*)"[^>]*>([^<]*)<\/text:a>/g)].map((m) => `${m[2]} -> ${m[1]!.replace(`file://${work}/`, "./")}`);
}

describe("POST /api/v1/remove on a PowerPoint presentation linking to the user's files", () => {
  it("the links' and the movie's folders go; their file names, the web link, the text and the records' sizes stay", async () => {
    const marker = `Pptlink${crypto.randomBytes(5).toString("hex")}`;
    const { file: source, work } = await makeLinkedPpt(marker);
    const before = await presentationStream(source);
    // LibreOffice writes each path into the presentation's records, in UTF-16.
    expect(before.toString("utf16le").split(marker).length - 1).toBeGreaterThanOrEqual(4);
    expect(before.toString("utf16le")).toContain(`C:/Users/${marker}/Videos/clip.avi`);
    expect(before.toString("utf16le")).toContain(`${work}/data/list.xls`);

    const { out } = await cleanedCopyViaApi(server, source, dir);
    expect(await findMarker(out, marker)).toEqual([]);
    const after = await presentationStream(out);
    expect(after.length).toBe(before.length);
    const text = after.toString("utf16le");
    for (const name of ["budget.xls\0", "plan.pptx\0", "clip.avi\0", "list.xls\0"]) expect(text, name).toContain(name);
    expect(await findMarker(out, path.basename(work))).toEqual([]);

    expect(await legacyOfficeText(dir, "ppt", out)).toBe(await legacyOfficeText(dir, "ppt", source));
    // LibreOffice writes the share's link without a friendly name, and reads such a link only from
    // the document summary's list of links (which goes with the property sets): it shows no
    // target for it in any copy without them.
    expect(await libreOfficeLinks(out)).toEqual(["Budget -> ./budget.xls", "Plan -> ", "List -> ./list.xls", "Web -> https://example.com/page"]);
  }, 240_000);
});
