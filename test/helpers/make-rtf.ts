import crypto from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import { soffice } from "./make-legacy-office.js";
import { makeReviewed, type ReviewFixture, type ReviewMarkers } from "./make-office-review.js";

/**
 * RTF documents as LibreOffice writes them (headless, from a flat OpenDocument text), carrying a
 * marker everywhere RTF keeps metadata: the document properties and a custom property
 * (`\info`, `\userprops`), a review comment (its author, initials and text), a tracked insertion
 * and deletion (their author in `\revtbl`), the pictures given. Then what LibreOffice does not
 * write is added by hand as Word writes it: more `\info` fields (operator, company, manager,
 * category, link base), the writing program, a save-session table and ids on a run, the
 * template's path, a document variable, protected-range users, a custom XML data store (hex),
 * a character formatting change with its former properties, an embedded OLE object whose
 * data holds the marker, shown by a text result, and an EMF and a WMF drawing whose
 * description and comments hold it.
 */
export interface RtfMarkers {
  /** In every property, author and piece of hidden content. */
  marker: string;
  /** In the comment's text only (with the marker before it). */
  note: string;
  /** In the deleted text only. */
  gone: string;
  /** In the inserted text: it must stay. */
  inserted: string;
}

/** What the document reads once every change is accepted and the comments hidden, written by hand. */
export const RTF_FINAL_TEXT = (m: RtfMarkers): string => `Hello body text of the document Second paragraph here, ${m.inserted} words and the end. Bold words Object shown`;

const NS = [
  'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"',
  'xmlns:meta="urn:oasis:names:tc:opendocument:xmlns:meta:1.0"',
  'xmlns:dc="http://purl.org/dc/elements/1.1/"',
  'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"',
  'xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0"',
  'xmlns:svg="urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0"',
  'office:version="1.3"',
].join(" ");

function fodt(m: RtfMarkers, pictures: readonly Buffer[]): string {
  const who = `${m.marker} author`;
  const meta = `<office:meta><dc:title>${m.marker} title</dc:title><dc:subject>${m.marker} subject</dc:subject><dc:description>${m.marker} description</dc:description><meta:keyword>${m.marker} keyword</meta:keyword><meta:initial-creator>${m.marker} initial</meta:initial-creator><dc:creator>${m.marker} creator</dc:creator><meta:creation-date>2023-05-06T07:08:09</meta:creation-date><dc:date>2023-05-06T08:09:10</dc:date><meta:printed-by>${m.marker} printer</meta:printed-by><meta:print-date>2023-05-06T09:10:11</meta:print-date><meta:user-defined meta:name="${m.marker} name">${m.marker} value</meta:user-defined></office:meta>`;
  const change = (id: string, kind: string, inner = ""): string =>
    `<text:changed-region text:id="${id}"><text:${kind}><office:change-info><dc:creator>${who}</dc:creator><dc:date>2023-05-06T07:08:09</dc:date></office:change-info>${inner}</text:${kind}></text:changed-region>`;
  const note = `<office:annotation><dc:creator>${who}</dc:creator><meta:creator-initials>${m.marker.slice(-9)}</meta:creator-initials><dc:date>2023-05-06T07:08:09</dc:date><text:p>${m.note} remark</text:p></office:annotation>`;
  const frames = pictures.map((p) => `<text:p><draw:frame svg:width="2cm" svg:height="1.5cm" text:anchor-type="as-char"><draw:image><office:binary-data>${p.toString("base64")}</office:binary-data></draw:image></draw:frame></text:p>`);
  const body = `<office:text><text:tracked-changes text:track-changes="true">${change("ct1", "insertion")}${change("ct2", "deletion", `<text:p>${m.gone} words</text:p>`)}</text:tracked-changes><text:p>Hello body text of the document</text:p><text:p>Second paragraph${note} here, <text:change-start text:change-id="ct1"/>${m.inserted} words<text:change-end text:change-id="ct1"/> and <text:change text:change-id="ct2"/>the end.</text:p><text:p>PLACEHOLDER</text:p>${frames.join("")}</office:text>`;
  return `<?xml version="1.0" encoding="UTF-8"?><office:document ${NS} office:mimetype="application/vnd.oasis.opendocument.text">${meta}<office:body>${body}</office:body></office:document>`;
}

/** Replaces `find` once, failing loudly when LibreOffice wrote something else than expected. */
function plant(rtf: string, find: string, replace: string): string {
  if (!rtf.includes(find)) throw new Error(`make-rtf: ${JSON.stringify(find)} not in LibreOffice's RTF`);
  return rtf.replace(find, replace);
}

export async function makeMarkedRtf(dir: string, m: RtfMarkers, pictures: readonly Buffer[] = []): Promise<string> {
  const work = path.join(dir, `rtf-${crypto.randomUUID()}`);
  await fs.mkdir(work);
  const source = path.join(work, "source.fodt");
  await fs.writeFile(source, fodt(m, pictures));
  await soffice(work, ["--convert-to", "rtf", "--outdir", work, source]);
  const file = path.join(work, "source.rtf");
  let rtf = await fs.readFile(file, "latin1");
  const k = m.marker;
  const hex = Buffer.from(`<ds:datastoreItem owner="${k}"/>`).toString("hex");
  rtf = plant(rtf, "{\\info", `{\\info{\\operator ${k} operator}{\\*\\company ${k} company}{\\manager ${k} manager}{\\category ${k} category}{\\hlinkbase C:\\\\Users\\\\${k}}{\\version7}{\\edmins130}{\\nofpages1}{\\vern49275}`);
  rtf = rtf.replace(/\{\\\*\\generator [^}]*\}/, `{\\*\\generator ${k} Writer 16.0;}`);
  rtf = plant(
    rtf,
    "{\\*\\revtbl",
    `{\\*\\rsidtbl \\rsid1122334\\rsid5566778}{\\*\\template C:\\\\Users\\\\${k}\\\\Normal.dotm}{\\*\\docvar {${k}var}{${k} value}}{\\*\\protusertbl {${k} user;}}{\\*\\datastore ${hex}}{\\*\\revtbl`,
  );
  rtf = plant(rtf, "\\loch\nHello body", "\\loch\\insrsid1122334\\charrsid5566778\nHello body");
  // A formatting change: bold now, not bold before, by the marker's author (revtbl entry 1).
  const object = `{\\object\\objemb\\objw100\\objh100{\\*\\objclass Package}{\\*\\objdata 01050000020000000800000050616b616765000000000000000000${Buffer.from(`${k} object data`).toString("hex")}}{\\result {\\loch Object shown}}}`;
  const drawings = `{\\pict\\emfblip\\picw10\\pich10 ${emf(k).toString("hex")}}{\\pict\\wmetafile8\\picw10\\pich10 ${wmf(k).toString("hex")}}`;
  rtf = plant(rtf, "PLACEHOLDER", `{\\b\\crauth1\\crdate-944426552{\\*\\oldcprops \\b0\\crauth1}Bold words} ${object}${drawings}`);
  await fs.writeFile(file, rtf, "latin1");
  return file;
}

/**
 * An EMF ([MS-EMF]) that draws nothing, as a program writes one: its description names the
 * program and the picture (the marker in UTF-16), and a comment record holds the program's
 * private data (the marker again).
 */
function emf(marker: string): Buffer {
  const description = Buffer.from(`${marker} Draw\0${marker}.emf\0\0`, "utf16le");
  const padded = Buffer.concat([description, Buffer.alloc((4 - (description.length % 4)) % 4)]);
  const header = Buffer.alloc(88);
  const data = `${marker} private`;
  const comment = Buffer.concat([Buffer.alloc(12), Buffer.from(data.padEnd(Math.ceil(data.length / 4) * 4, " "), "latin1")]);
  comment.writeUInt32LE(70, 0);
  comment.writeUInt32LE(comment.length, 4);
  comment.writeUInt32LE(comment.length - 12, 8);
  const eof = Buffer.alloc(20);
  eof.writeUInt32LE(14, 0);
  eof.writeUInt32LE(20, 4);
  eof.writeUInt32LE(16, 12);
  eof.writeUInt32LE(20, 16);
  const total = header.length + padded.length + comment.length + eof.length;
  header.writeUInt32LE(1, 0);
  header.writeUInt32LE(header.length + padded.length, 4);
  for (const [at, v] of [[16, 10], [20, 10], [32, 264], [36, 264]] as const) header.writeInt32LE(v, at);
  header.writeUInt32LE(0x464d4520, 40);
  header.writeUInt32LE(0x10000, 44);
  header.writeUInt32LE(total, 48);
  header.writeUInt32LE(3, 52);
  header.writeUInt16LE(1, 56);
  header.writeUInt32LE(description.length / 2, 60);
  header.writeUInt32LE(88, 64);
  for (const [at, v] of [[72, 1024], [76, 768], [80, 320], [84, 240]] as const) header.writeInt32LE(v, at);
  return Buffer.concat([header, padded, comment, eof]);
}

/** A WMF ([MS-WMF]) that draws nothing but holds a comment escape (META_ESCAPE MFCOMMENT) with the marker. */
function wmf(marker: string): Buffer {
  const comment = `${marker} comment`;
  const text = Buffer.from(comment.padEnd(Math.ceil(comment.length / 2) * 2, " "), "latin1");
  const escape = Buffer.alloc(10);
  escape.writeUInt32LE((escape.length + text.length) / 2, 0);
  escape.writeUInt16LE(0x0626, 4);
  escape.writeUInt16LE(0x000f, 6);
  escape.writeUInt16LE(text.length, 8);
  const eof = Buffer.from([3, 0, 0, 0, 0, 0]);
  const header = Buffer.alloc(18);
  header.writeUInt16LE(1, 0);
  header.writeUInt16LE(9, 2);
  header.writeUInt16LE(0x0300, 4);
  header.writeUInt32LE((header.length + escape.length + text.length + eof.length) / 2, 6);
  header.writeUInt32LE((escape.length + text.length) / 2, 12);
  return Buffer.concat([header, escape, text, eof]);
}

/** The data of every picture of an RTF in the given formats (JPEG and PNG unless told), hex decoded. */
export function rtfPictures(rtf: Buffer, formats = /jpegblip|pngblip/): Buffer[] {
  const text = rtf.toString("latin1");
  return [...text.matchAll(new RegExp(`\\\\(?:${formats.source})[^{}]*?[ \\r\\n]((?:[0-9a-fA-F]|\\s)+)\\}`, "g"))].map((x) => Buffer.from(x[1]!.replace(/\s+/g, ""), "hex"));
}

/** LibreOffice's plain text of an RTF (tracked deletions still shown, comments not), white space collapsed. */
export async function rtfText(dir: string, file: string | Buffer): Promise<string> {
  const work = path.join(dir, `txt-${crypto.randomUUID()}`);
  await fs.mkdir(work);
  const copy = path.join(work, "document.rtf");
  if (typeof file === "string") await fs.copyFile(file, copy);
  else await fs.writeFile(copy, file);
  await soffice(work, ["--convert-to", "txt:Text (encoded):UTF8", "--outdir", work, copy]);
  const text = await fs.readFile(path.join(work, "document.txt"), "utf8");
  return text.replace(/^\ufeff/, "").replace(/\s+/gu, " ").trim();
}

/**
 * The hand-built DOCX or ODT under review of make-office-review.ts (comments, tracked
 * insertions, deletions, moves, a deleted paragraph mark and table row, format changes, each
 * with its marker) as LibreOffice (7.4) writes it in RTF. Its RTF export writes a format change's
 * date as text with no control word before it (`{-944426552 \loch\b Delta}`); that number is
 * taken out here so that the document reads as LibreOffice meant it.
 */
export async function makeReviewedRtf(dir: string, from: "docx" | "odt", m: ReviewMarkers): Promise<{ file: string; fixture: ReviewFixture }> {
  const fixture = await makeReviewed(from, m);
  const work = path.join(dir, `rtf-${crypto.randomUUID()}`);
  await fs.mkdir(work);
  const source = path.join(work, `review.${from}`);
  await fs.writeFile(source, fixture.bytes);
  await soffice(work, ["--convert-to", "rtf", "--outdir", work, source]);
  const file = path.join(work, "review.rtf");
  await fs.writeFile(file, (await fs.readFile(file, "latin1")).replace(/\{-\d+ (?=\\loch)/g, "{"), "latin1");
  return { file, fixture };
}
