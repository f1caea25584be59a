import crypto from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import CFB from "cfb";
import { soffice } from "./make-legacy-office.js";
import { record } from "./make-query-xls.js";
import { readZip } from "./read-archives.js";

/**
 * An Excel 97-2003 workbook whose cells link to files in the user's folder (`m`): LibreOffice
 * writes a cell's hyperlink to a `file:` URL as an HLINK record ([MS-XLS] 2.4.140) holding a file
 * moniker ([MS-OSHARED] 2.3.7.8: an 8-bit path and a UTF-16 one), a relative one climbing out of
 * the workbook's folder (`../m/report.doc`) with its `..` count; a web link as a URL moniker.
 * Added by hand before the sheet's end, as Excel writes them: a hyperlink whose URL moniker is a
 * `file:` URL, with a display name that is its path and a location, and a tooltip (2.4.141
 * HLinkTooltip) naming a share; no offset of the workbook moves.
 */
export const linkTargets = (m: string) => ({
  budget: `file:///C:/Users/${m}/Documents/Budget.xlsx`,
  notes: `file://fileserver/home/${m}/notes.docx`,
  climbing: `../${m}/report.doc`,
  web: "https://example.com/page",
  urlMoniker: `file:///C:/Users/${m}/Desktop/Plan.xlsx`,
  tooltip: `\\\\fileserver\\home\\${m}\\tip.txt`,
});

const NS =
  'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:xlink="http://www.w3.org/1999/xlink" office:version="1.3"';

/** The cells' text, row by row: each links to the target of the same name. */
export const LINKED_CELLS = [
  ["budget", "Budget link"],
  ["notes", "Meeting notes"],
  ["climbing", "Report"],
  ["web", "Web page"],
] as const;
/** The text of the cell below them, given a hyperlink by hand. */
export const PLAN_CELL = "Plan";

const STD_HLINK = Buffer.from("d0c9ea79f9bace118c8200aa004ba90b", "hex");
const URL_MONIKER = Buffer.from("e0c9ea79f9bace118c8200aa004ba90b", "hex");
const HLINK = 0x01b8;
const HLINK_TOOLTIP = 0x0800;
const EOF = 0x000a;

const u32 = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return b;
};
/** A HyperlinkString: its count of characters, its NUL among them, then UTF-16. */
const hyperlinkString = (s: string): Buffer => Buffer.concat([u32(s.length + 1), Buffer.from(`${s}\0`, "utf16le")]);
/** A cell range: first and last row, first and last column. */
const ref8 = (row: number, col: number): Buffer => Buffer.from([row, 0, row, 0, col, 0, col, 0]);

/** The hyperlink on cell (row, col) Excel writes for a `file:` URL: display name, URL moniker, location (flags 0x1b). */
function urlHyperlink(row: number, col: number, url: string, display: string): Buffer {
  const address = Buffer.from(`${url}\0`, "utf16le");
  return record(HLINK, Buffer.concat([ref8(row, col), STD_HLINK, u32(2), u32(0x1b), hyperlinkString(display), URL_MONIKER, u32(address.length), address, hyperlinkString("Sheet1!A1")]));
}

const tooltip = (row: number, col: number, text: string): Buffer => record(HLINK_TOOLTIP, Buffer.concat([Buffer.from([0x00, 0x08]), ref8(row, col), Buffer.from(`${text}\0`, "utf16le")]));

export async function makeHyperlinkXls(dir: string, m: string): Promise<string> {
  const t = linkTargets(m);
  const work = path.join(dir, `xls-${crypto.randomUUID()}`);
  await fs.mkdir(work);
  const cell = (inner: string): string => `<table:table-row><table:table-cell><text:p>${inner}</text:p></table:table-cell></table:table-row>`;
  const rows = [...LINKED_CELLS.map(([key, text]) => cell(`<text:a xlink:type="simple" xlink:href="${t[key]}">${text}</text:a>`)), cell(PLAN_CELL)];
  const source = path.join(work, "links.fods");
  await fs.writeFile(source, `<?xml version="1.0" encoding="UTF-8"?><office:document ${NS} office:mimetype="application/vnd.oasis.opendocument.spreadsheet"><office:body><office:spreadsheet><table:table table:name="Sheet1">${rows.join("")}</table:table></office:spreadsheet></office:body></office:document>`);
  await soffice(work, ["--convert-to", "xls", "--outdir", work, source]);
  const file = path.join(work, "links.xls");
  const doc = CFB.read(await fs.readFile(file), { type: "buffer" });
  const book = CFB.find(doc, "/Workbook")!;
  const stream = Buffer.from(book.content);
  let eof = -1;
  for (let pos = 0; pos + 4 <= stream.length; pos += 4 + stream.readUInt16LE(pos + 2)) if (stream.readUInt16LE(pos) === EOF) eof = pos;
  const row = LINKED_CELLS.length;
  const added = Buffer.concat([urlHyperlink(row, 0, t.urlMoniker, t.urlMoniker.slice("file:///".length)), tooltip(row, 0, t.tooltip)]);
  book.content = Buffer.concat([stream.subarray(0, eof), added, stream.subarray(eof)]);
  book.size = book.content.length;
  await fs.writeFile(file, CFB.write(doc, { type: "buffer", fileType: "cfb" }) as Buffer);
  return file;
}

/** The hyperlinks LibreOffice reads from a workbook (converted to OpenDocument): each cell's text and target. */
export async function libreOfficeLinks(dir: string, file: string): Promise<string[]> {
  const work = path.join(dir, `ods-${crypto.randomUUID()}`);
  await fs.mkdir(work);
  const copy = path.join(work, "links.xls");
  await fs.copyFile(file, copy);
  await soffice(work, ["--convert-to", "ods", "--outdir", work, copy]);
  const content = (await readZip(await fs.readFile(path.join(work, "links.ods")))).members.find((p) => p.name === "content.xml")!.data.toString("utf8");
  return [...content.matchAll(/<text:a [^>]*xlink:href="([^"]*)"[^>]*>([^<]*)<\/text:a>/g)].map((a) => `${a[2]} -> ${a[1]}`);
}
