import crypto from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import CFB from "cfb";
import { readZip } from "./read-archives.js";
import { pdfContent } from "./make-pdf.js";
import { pixelSignature, run } from "./tools.js";

/**
 * Word, Excel and PowerPoint 97-2003 files made by LibreOffice (headless) from a flat
 * OpenDocument file whose properties all hold a marker (title, subject, description, keywords,
 * first and last author, printed by, a custom property, a comment's author; in Word documents
 * also the comment author's initials and the authors of a tracked insertion and deletion):
 * LibreOffice writes them into the SummaryInformation and DocumentSummaryInformation streams
 * and Word's comment and revision-author tables. The author fields
 * LibreOffice fills with its own values are then set to the marker with the `cfb` library:
 * Word's last-saved-by list, Excel's WriteAccess record, PowerPoint's Current User stream.
 */
export type LegacyKind = "doc" | "xls" | "ppt";

/** The namespaces of the flat OpenDocument files the helpers write, with the version. */
export const NS = [
  'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"',
  'xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0"',
  'xmlns:fo="urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0"',
  'xmlns:meta="urn:oasis:names:tc:opendocument:xmlns:meta:1.0"',
  'xmlns:dc="http://purl.org/dc/elements/1.1/"',
  'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"',
  'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"',
  'xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0"',
  'xmlns:svg="urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0"',
  'office:version="1.3"',
].join(" ");

const MIME: Record<LegacyKind, string> = {
  doc: "application/vnd.oasis.opendocument.text",
  xls: "application/vnd.oasis.opendocument.spreadsheet",
  ppt: "application/vnd.oasis.opendocument.presentation",
};

function meta(m: string): string {
  return `<office:meta><dc:title>${m} title</dc:title><dc:subject>${m} subject</dc:subject><dc:description>${m} description</dc:description><meta:keyword>${m} keyword</meta:keyword><meta:initial-creator>${m} initial</meta:initial-creator><dc:creator>${m} creator</dc:creator><meta:creation-date>2023-05-06T07:08:09</meta:creation-date><dc:date>2023-05-06T08:09:10</dc:date><meta:printed-by>${m} printer</meta:printed-by><meta:print-date>2023-05-06T09:10:11</meta:print-date><meta:editing-duration>PT2H10M</meta:editing-duration><meta:editing-cycles>7</meta:editing-cycles><meta:user-defined meta:name="${m} name">${m} value</meta:user-defined></office:meta>`;
}

/** Word keeps at most 9 characters of a comment author's initials: the marker's last 9. */
export const initialsOf = (m: string): string => m.slice(-9);

function body(kind: LegacyKind, m: string, pictures: readonly Buffer[]): string {
  const note = `<office:annotation><dc:creator>${m} commenter</dc:creator><meta:creator-initials>${initialsOf(m)}</meta:creator-initials><dc:date>2023-05-06T07:08:09</dc:date><text:p>A remark</text:p></office:annotation>`;
  const change = (id: string, kind: string, m: string, inner = ""): string =>
    `<text:changed-region text:id="${id}"><text:${kind}><office:change-info><dc:creator>${m} ${kind}</dc:creator><dc:date>2023-05-06T07:08:09</dc:date></office:change-info>${inner}</text:${kind}></text:changed-region>`;
  switch (kind) {
    case "doc":
      return `<office:text><text:tracked-changes text:track-changes="true">${change("ct1", "insertion", m)}${change("ct2", "deletion", m, "<text:p>deleted words</text:p>")}</text:tracked-changes><text:p>Hello body text of the document</text:p><text:p>Second paragraph${note} here, <text:change-start text:change-id="ct1"/>inserted words<text:change-end text:change-id="ct1"/> and <text:change text:change-id="ct2"/>the end.</text:p>${pictures.map((p) => `<text:p>${image(p, 'text:anchor-type="as-char"')}</text:p>`).join("")}</office:text>`;
    case "xls":
      return `<office:spreadsheet><table:table table:name="Sheet1"><table:shapes>${pictures.map((p, i) => image(p, `svg:x="${1 + i * 2}cm" svg:y="2cm"`)).join("")}</table:shapes><table:table-row><table:table-cell><text:p>alpha</text:p></table:table-cell><table:table-cell><text:p>beta cell</text:p></table:table-cell></table:table-row></table:table></office:spreadsheet>`;
    case "ppt":
      return `<office:presentation><draw:page draw:name="p1"><draw:frame svg:x="2cm" svg:y="2cm" svg:width="10cm" svg:height="3cm"><draw:text-box><text:p>Hello slide text</text:p></draw:text-box></draw:frame>${pictures.map((p, i) => image(p, `svg:x="${2 + i * 3}cm" svg:y="8cm"`)).join("")}</draw:page></office:presentation>`;
  }
}

/** A picture frame (`place`: its anchor or position), its bytes inline. */
function image(picture: Buffer, place: string): string {
  return `<draw:frame svg:width="2cm" svg:height="1.5cm" ${place}><draw:image><office:binary-data>${picture.toString("base64")}</office:binary-data></draw:image></draw:frame>`;
}

/** Runs LibreOffice with a profile of its own (parallel runs and other suites do not share one). */
export async function soffice(dir: string, args: readonly string[]): Promise<void> {
  const profile = path.join(dir, `lo-profile-${crypto.randomUUID()}`);
  try {
    await run("soffice", [`-env:UserInstallation=file://${profile}`, "--headless", "--norestore", ...args], { timeoutMs: 120_000 });
  } finally {
    await fs.rm(profile, { recursive: true, force: true });
  }
}

/**
 * The flat OpenDocument file (FODT, FODS, FODP) the legacy documents are converted from: a marker
 * in every metadata field, a comment and tracked changes; `pictures`, JPEG or PNG files to place
 * in the document, the slide or the sheet, inline.
 */
export function flatOpenDocument(kind: LegacyKind, marker: string, pictures: readonly Buffer[] = []): string {
  return `<?xml version="1.0" encoding="UTF-8"?><office:document ${NS} office:mimetype="${MIME[kind]}">${meta(marker)}<office:body>${body(kind, marker, pictures)}</office:body></office:document>`;
}

/** `pictures`: JPEG or PNG files to place in the document, the slide or the sheet. */
export async function makeMarkedLegacyOffice(dir: string, kind: LegacyKind, marker: string, pictures: readonly Buffer[] = []): Promise<string> {
  const work = path.join(dir, `lo-${crypto.randomUUID()}`);
  await fs.mkdir(work);
  const source = path.join(work, `source.fod${kind === "doc" ? "t" : kind === "xls" ? "s" : "p"}`);
  await fs.writeFile(source, flatOpenDocument(kind, marker, pictures));
  await soffice(work, ["--convert-to", kind, "--outdir", work, source]);
  const file = path.join(work, `source.${kind}`);
  const doc = CFB.read(await fs.readFile(file), { type: "buffer" });
  if (kind === "doc") addSavedBy(doc, marker);
  if (kind === "xls") markWriteAccess(doc, marker);
  if (kind === "ppt") markCurrentUser(doc, marker);
  await fs.writeFile(file, CFB.write(doc, { type: "buffer", fileType: "cfb" }) as Buffer);
  return file;
}

/**
 * `doc` written into `dir` as a compound file whose name ends in `name`, its directory's tree
 * rebuilt first: `cfb_del`, entries pushed or renamed leave the read one's sibling links, which
 * then skip streams, and each entry's name comes from its full path.
 */
export async function writeCompound(dir: string, doc: CFB.CFB$Container, name: string): Promise<string> {
  CFB.utils.cfb_gc(doc);
  const file = path.join(dir, `${crypto.randomUUID()}-${name}`);
  await fs.writeFile(file, CFB.write(doc, { type: "buffer", fileType: "cfb" }) as Buffer);
  return file;
}

function stream(doc: CFB.CFB$Container, name: string): CFB.CFB$Entry {
  const e = CFB.find(doc, name);
  if (e == null) throw new Error(`no ${name} stream`);
  return e;
}

/** Word's SttbSavedBy (FibRgFcLcb97 pair 71): two entries, each a user name and a path. */
function addSavedBy(doc: CFB.CFB$Container, m: string): void {
  const word = stream(doc, "WordDocument");
  const fib = Buffer.from(word.content);
  const table = stream(doc, (fib.readUInt16LE(10) & 0x0200) !== 0 ? "1Table" : "0Table");
  const xst = (s: string): Buffer => Buffer.concat([Buffer.from([s.length & 0xff, s.length >> 8]), Buffer.from(s, "utf16le")]);
  const sttb = Buffer.concat([Buffer.from([0xff, 0xff, 4, 0, 0, 0]), xst(`${m} saver`), xst(`C:\\Users\\${m}\\report.doc`), xst(`${m} saver2`), xst(`C:\\Users\\${m}\\old.doc`)]);
  const old = Buffer.from(table.content);
  let pos = 32;
  pos += 2 + fib.readUInt16LE(pos) * 2;
  pos += 2 + fib.readUInt16LE(pos) * 4;
  const count = fib.readUInt16LE(pos);
  if (count <= 71) throw new Error("FIB too short for SttbSavedBy");
  const at = pos + 2 + 71 * 8;
  fib.writeUInt32LE(old.length, at);
  fib.writeUInt32LE(sttb.length, at + 4);
  word.content = fib;
  word.size = fib.length;
  table.content = Buffer.concat([old, sttb]);
  table.size = table.content.length;
}

/** Excel's WriteAccess record (who saved last): the marker instead of LibreOffice's name. */
function markWriteAccess(doc: CFB.CFB$Container, m: string): void {
  const wb = stream(doc, "Workbook");
  const b = Buffer.from(wb.content);
  let pos = 0;
  while (pos + 4 <= b.length) {
    const type = b.readUInt16LE(pos);
    const len = b.readUInt16LE(pos + 2);
    if (type === 0x5c) {
      b.fill(0x20, pos + 4, pos + 4 + len);
      b.writeUInt16LE(m.length, pos + 4);
      b[pos + 6] = 0;
      b.write(m, pos + 7, "latin1");
      wb.content = b;
      return;
    }
    pos += 4 + len;
  }
  throw new Error("no WriteAccess record");
}

/** PowerPoint's CurrentUserAtom with the marker as user name, in ANSI and UTF-16. */
function markCurrentUser(doc: CFB.CFB$Container, m: string): void {
  const cu = stream(doc, "Current User");
  const b = Buffer.from(cu.content);
  const oldLen = b.readUInt16LE(20);
  const head = Buffer.from(b.subarray(0, 28));
  const relVersion = b.subarray(28 + oldLen, 28 + oldLen + 4);
  head.writeUInt16LE(m.length, 20);
  const out = Buffer.concat([head, Buffer.from(m, "latin1"), relVersion, Buffer.from(m, "utf16le")]);
  out.writeUInt32LE(out.length - 8, 4);
  cu.content = out;
  cu.size = out.length;
}

/** What a person reads: the text as catdoc, xls2csv, or (for PowerPoint) LibreOffice's PDF gives it. */
export async function legacyOfficeText(dir: string, kind: LegacyKind, file: string): Promise<string> {
  if (kind === "doc") return (await run("catdoc", ["-w", file])).stdout.toString("utf8");
  if (kind === "xls") return (await run("xls2csv", [file])).stdout.toString("utf8");
  const work = path.join(dir, `pdf-${crypto.randomUUID()}`);
  await fs.mkdir(work);
  const copy = path.join(work, "slides.ppt");
  await fs.copyFile(file, copy);
  await soffice(work, ["--convert-to", "pdf", "--outdir", work, copy]);
  return (await run("pdftotext", [path.join(work, "slides.pdf"), "-"])).stdout.toString("utf8");
}

/** What LibreOffice shows of a document: its text, pages and their rendering, converted to PDF from a fixed name (fields showing it stay alike). */
export async function legacyOfficeRendering(dir: string, kind: LegacyKind, file: string | Buffer): Promise<{ text: string; pages: number; rendering: string }> {
  const work = path.join(dir, `pdf-${crypto.randomUUID()}`);
  await fs.mkdir(work);
  const copy = path.join(work, `document.${kind}`);
  await (typeof file === "string" ? fs.copyFile(file, copy) : fs.writeFile(copy, file));
  await soffice(work, ["--convert-to", "pdf", "--outdir", work, copy]);
  return pdfContent(path.join(work, "document.pdf"));
}

const ODF: Record<LegacyKind, string> = { doc: "odt", xls: "ods", ppt: "odp" };

/**
 * The pictures of a document as LibreOffice reads them (converted to OpenDocument, whose
 * Pictures folder holds them): the pixel signature of each, sorted.
 */
export async function legacyOfficePictures(dir: string, kind: LegacyKind, file: string): Promise<string[]> {
  const work = path.join(dir, `pictures-${crypto.randomUUID()}`);
  await fs.mkdir(work);
  const copy = path.join(work, `document.${kind}`);
  await fs.copyFile(file, copy);
  await soffice(work, ["--convert-to", ODF[kind], "--outdir", work, copy]);
  const { members } = await readZip(await fs.readFile(path.join(work, `document.${ODF[kind]}`)));
  const signatures: string[] = [];
  for (const m of members.filter((e) => e.name.startsWith("Pictures/") && e.data.length > 0)) {
    const picture = path.join(work, path.basename(m.name));
    await fs.writeFile(picture, m.data);
    signatures.push(await pixelSignature(picture));
  }
  return signatures.sort();
}
