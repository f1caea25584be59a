import crypto from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import CFB from "cfb";
import { soffice } from "./make-legacy-office.js";
import { makeReviewed, type ReviewFixture, type ReviewMarkers } from "./make-office-review.js";
import { readZip } from "./read-archives.js";

/**
 * Word 97-2003 documents under review: the hand-built DOCX or ODT of make-office-review.ts
 * (comments, tracked insertions and deletions, each with its marker) converted to DOC by
 * LibreOffice, which writes the comments into the annotation subdocument and the deleted text
 * as text formatted as deleted (sprmCFRMarkDel). `finalText` is the fixture's, written by hand.
 */
export async function makeReviewedDoc(dir: string, from: "docx" | "odt", m: ReviewMarkers): Promise<{ file: string; fixture: ReviewFixture }> {
  const fixture = await makeReviewed(from, m);
  const work = path.join(dir, `doc-${crypto.randomUUID()}`);
  await fs.mkdir(work);
  const source = path.join(work, `review.${from}`);
  await fs.writeFile(source, fixture.bytes);
  await soffice(work, ["--convert-to", "doc", "--outdir", work, source]);
  return { file: path.join(work, "review.doc"), fixture };
}

/** LibreOffice's plain text of a document (tracked deletions still shown, comments not), whitespace collapsed. */
export async function libreOfficeText(dir: string, file: string): Promise<string> {
  const work = path.join(dir, `txt-${crypto.randomUUID()}`);
  await fs.mkdir(work);
  const copy = path.join(work, "document.doc");
  await fs.copyFile(file, copy);
  await soffice(work, ["--convert-to", "txt:Text (encoded):UTF8", "--outdir", work, copy]);
  const text = await fs.readFile(path.join(work, "document.txt"), "utf8");
  return text.replace(/^\ufeff/, "").replace(/\s+/gu, " ").trim();
}

/** The tracked changes LibreOffice reads from a Word 97-2003 document, and whether it is set to track changes. */
export interface LibreOfficeRevisions {
  insertions: number;
  deletions: number;
  /** Formatting changes of any kind (`w:rPrChange`, `w:pPrChange`, `w:sectPrChange`, ...). */
  formatChanges: number;
  /** The dates of the changes, as written. */
  dates: string[];
  tracking: boolean;
}

/**
 * What LibreOffice makes of a document's review marks: the document converted to DOCX by
 * LibreOffice (a reader apart from the service's), its changes counted in `word/document.xml`
 * and its Track Changes setting read from `word/settings.xml`.
 */
export async function libreOfficeRevisions(dir: string, file: string): Promise<LibreOfficeRevisions> {
  const work = path.join(dir, `docx-${crypto.randomUUID()}`);
  await fs.mkdir(work);
  const copy = path.join(work, "document.doc");
  await fs.copyFile(file, copy);
  await soffice(work, ["--convert-to", "docx", "--outdir", work, copy]);
  const { members } = await readZip(await fs.readFile(path.join(work, "document.docx")));
  const part = (name: string): string => members.find((m) => m.name === name)?.data.toString("utf8") ?? "";
  const body = part("word/document.xml");
  const count = (re: RegExp): number => (body.match(re) ?? []).length;
  return {
    insertions: count(/<w:ins\b/g),
    deletions: count(/<w:del\b/g),
    formatChanges: count(/<w:\w+Change\b/g),
    dates: [...body.matchAll(/w:date="([^"]*)"/g)].map((d) => d[1]!),
    tracking: /<w:trackRevisions\b/.test(part("word/settings.xml")),
  };
}

/** The streams a test edits: the WordDocument stream, its table stream and where the FIB's fc/lcb pairs start. */
export interface WordStreams {
  doc: CFB.CFB$Container;
  word: Buffer;
  table: Buffer;
  /** Offset in `word` of fc/lcb pair `i`. */
  pair(i: number): number;
  /** Offset in `word` of FibRgLw97 entry `i`. */
  lw(i: number): number;
  /** The file with the edited streams. */
  bytes(): Buffer;
}

export async function openWord(file: string | Buffer): Promise<WordStreams> {
  const doc = CFB.read(typeof file === "string" ? await fs.readFile(file) : file, { type: "buffer" });
  const wordEntry = CFB.find(doc, "WordDocument")!;
  let word: Buffer = Buffer.from(wordEntry.content);
  const tableEntry = CFB.find(doc, (word.readUInt16LE(10) & 0x0200) !== 0 ? "1Table" : "0Table")!;
  let table: Buffer = Buffer.from(tableEntry.content);
  let pos = 32;
  pos += 2 + word.readUInt16LE(pos) * 2;
  const rgLw = pos + 2;
  pos += 2 + word.readUInt16LE(pos) * 4;
  const blob = pos + 2;
  const streams: WordStreams = {
    doc,
    get word() {
      return word;
    },
    set word(b: Buffer) {
      word = b;
    },
    get table() {
      return table;
    },
    set table(t: Buffer) {
      table = t;
    },
    pair: (i) => blob + i * 8,
    lw: (i) => rgLw + i * 4,
    bytes: () => {
      wordEntry.content = word;
      wordEntry.size = word.length;
      tableEntry.content = table;
      tableEntry.size = table.length;
      return CFB.write(doc, { type: "buffer", fileType: "cfb" }) as Buffer;
    },
  };
  return streams;
}

const CLX = 33;
const BTE_CHPX = 12;
const BTE_PAPX = 13;

/**
 * The same document with its text in two pieces ([MS-DOC] 2.4.1): characters before `splitCp`
 * stay UTF-16 where they are, the rest become 8-bit ("compressed") characters written where
 * their UTF-16 form began; the formatting pages' file positions (CHPX and PAPX) and the FIB's
 * end of text are moved to match, and a new piece table is appended to the table stream.
 * LibreOffice writes a single UTF-16 piece; Word writes 8-bit pieces for Latin-1 text.
 */
export async function withCompressedTail(file: string, splitCp: number): Promise<Buffer> {
  const w = await openWord(file);
  const { word } = w;
  const clxAt = word.readUInt32LE(w.pair(CLX));
  if (w.table[clxAt] !== 2 || w.table.readUInt32LE(clxAt + 1) !== 16) throw new Error("expected one piece without Prcs");
  const plc = clxAt + 5;
  const n = w.table.readUInt32LE(plc + 4);
  const pcd = Buffer.from(w.table.subarray(plc + 8, plc + 16));
  const start = pcd.readUInt32LE(2);
  if ((start & 0x40000000) !== 0) throw new Error("expected a UTF-16 piece");
  const split = start + 2 * splitCp;
  const tail = word.subarray(split, start + 2 * n).toString("utf16le");
  if (/[^\u0000-\u007f]/u.test(tail)) throw new Error("the tail is not ASCII");
  const moved = (fc: number): number => (fc >= split ? split + (fc - split) / 2 : fc);
  Buffer.from(tail, "latin1").copy(word, split);
  word.fill(0, split + tail.length, start + 2 * n);
  word.writeUInt32LE(moved(word.readUInt32LE(0x1c)), 0x1c);
  for (const i of [BTE_CHPX, BTE_PAPX]) {
    const fc = word.readUInt32LE(w.pair(i));
    const lcb = word.readUInt32LE(w.pair(i) + 4);
    const count = (lcb - 4) / 8;
    for (let k = 0; k <= count; k++) w.table.writeUInt32LE(moved(w.table.readUInt32LE(fc + k * 4)), fc + k * 4);
    for (let k = 0; k < count; k++) {
      const page = (w.table.readUInt32LE(fc + (count + 1) * 4 + k * 4) & 0x3fffff) * 512;
      const crun = word[page + 511]!;
      for (let r = 0; r <= crun; r++) word.writeUInt32LE(moved(word.readUInt32LE(page + r * 4)), page + r * 4);
    }
  }
  const second = Buffer.from(pcd);
  second.writeUInt32LE(((split * 2) | 0x40000000) >>> 0, 2);
  const clx = Buffer.alloc(5 + 28);
  clx[0] = 2;
  clx.writeUInt32LE(28, 1);
  clx.writeUInt32LE(0, 5);
  clx.writeUInt32LE(splitCp, 9);
  clx.writeUInt32LE(n, 13);
  pcd.copy(clx, 17);
  second.copy(clx, 25);
  word.writeUInt32LE(w.table.length, w.pair(CLX));
  word.writeUInt32LE(clx.length, w.pair(CLX) + 4);
  w.table = Buffer.concat([w.table, clx]);
  return w.bytes();
}

/** A piece of a new piece table: `cps` characters, read from the bytes of the original's characters from `source` on. */
export interface SharedPiece {
  cps: number;
  source: number;
  /** Read as 8-bit characters from the byte at `source` * 2 on, rather than UTF-16. */
  compressed?: boolean;
}

/**
 * The same document with its one UTF-16 piece laid out again as `pieces` ([MS-DOC] 2.4.1), in
 * order from character 0 on: pieces may read the same bytes, as Word's fast saves write them (a
 * table row pasted again, the final paragraph mark). The FIB's text counts stay; a new piece
 * table is appended to the table stream.
 */
export async function withPieces(file: string, pieces: readonly SharedPiece[]): Promise<Buffer> {
  const w = await openWord(file);
  const clxAt = w.word.readUInt32LE(w.pair(CLX));
  if (w.table[clxAt] !== 2 || w.table.readUInt32LE(clxAt + 1) !== 16) throw new Error("expected one piece without Prcs");
  const start = w.table.readUInt32LE(clxAt + 5 + 8 + 2);
  if ((start & 0x40000000) !== 0) throw new Error("expected a UTF-16 piece");
  const n = pieces.length;
  const clx = Buffer.alloc(5 + (n + 1) * 4 + n * 8);
  clx[0] = 2;
  clx.writeUInt32LE(clx.length - 5, 1);
  let cp = 0;
  for (const [i, p] of pieces.entries()) {
    clx.writeUInt32LE(cp, 5 + i * 4);
    cp += p.cps;
    const fc = start + 2 * p.source;
    clx.writeUInt32LE(p.compressed === true ? ((fc * 2) | 0x40000000) >>> 0 : fc, 5 + (n + 1) * 4 + i * 8 + 2);
  }
  clx.writeUInt32LE(cp, 5 + n * 4);
  w.word.writeUInt32LE(w.table.length, w.pair(CLX));
  w.word.writeUInt32LE(clx.length, w.pair(CLX) + 4);
  w.table = Buffer.concat([w.table, clx]);
  return w.bytes();
}

/** Where the one UTF-16 piece of a LibreOffice DOC holds its characters: its text, character by character. */
export function pieceText(w: WordStreams): string {
  const clxAt = w.word.readUInt32LE(w.pair(CLX));
  const end = w.table.readUInt32LE(clxAt + 5 + 4);
  const start = w.table.readUInt32LE(clxAt + 5 + 8 + 2);
  return w.word.subarray(start, start + 2 * end).toString("utf16le");
}

/**
 * A DOC (LibreOffice from a flat ODT) whose tracked deletion holds an inline picture, between
 * words carrying `marker`: the picture's anchor (0x01) is formatted as deleted.
 */
export async function makeDocWithDeletedPicture(dir: string, picture: Buffer, marker: string): Promise<string> {
  const work = path.join(dir, `doc-${crypto.randomUUID()}`);
  await fs.mkdir(work);
  const ns = [
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"',
    'xmlns:dc="http://purl.org/dc/elements/1.1/"',
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"',
    'xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0"',
    'xmlns:svg="urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0"',
  ].join(" ");
  const frame = `<draw:frame svg:width="1cm" svg:height="1cm" text:anchor-type="as-char"><draw:image><office:binary-data>${picture.toString("base64")}</office:binary-data></draw:image></draw:frame>`;
  const deletion = `<text:changed-region text:id="ct1"><text:deletion><office:change-info><dc:creator>Someone</dc:creator><dc:date>2023-05-06T07:08:09</dc:date></office:change-info><text:p>${marker} ${frame} ${marker}</text:p></text:deletion></text:changed-region>`;
  const source = path.join(work, "picture.fodt");
  await fs.writeFile(
    source,
    `<?xml version="1.0" encoding="UTF-8"?><office:document ${ns} office:version="1.3" office:mimetype="application/vnd.oasis.opendocument.text"><office:body><office:text><text:tracked-changes text:track-changes="true">${deletion}</text:tracked-changes><text:p>Alpha <text:change text:change-id="ct1"/>Omega</text:p></office:text></office:body></office:document>`,
  );
  await soffice(work, ["--convert-to", "doc", "--outdir", work, source]);
  return path.join(work, "picture.doc");
}

/** A marker of `n` random CJK unified ideographs: no ASCII byte in its UTF-16 form but the high ones. */
export function cjkMarker(n = 6): string {
  return String.fromCharCode(...Array.from({ length: n }, () => 0x4e00 + crypto.randomInt(0x5000)));
}

/**
 * A Chinese and Japanese DOC under review (LibreOffice from a flat ODT): long paragraphs with no
 * ASCII character at all (full-width punctuation), a tracked insertion, a tracked deletion and a
 * comment, each holding its marker many times over. LibreOffice writes the text as UTF-16, in
 * runs far longer than 256 bytes without an ASCII space or punctuation mark: the text catdoc
 * misreads as 8-bit. `finalText`: the paragraphs once every change is accepted, comments hidden.
 */
export async function makeCjkReviewedDoc(dir: string, m: { comment: string; deleted: string; inserted: string; author: string }): Promise<{ file: string; finalText: string[] }> {
  const work = path.join(dir, `doc-${crypto.randomUUID()}`);
  await fs.mkdir(work);
  const japanese = "本文の最初の段落です。日本語の文章を書きます、空白はありません。".repeat(8);
  const tail = "最後の部分です。";
  const chinese = "第二段落：中文文本，没有空格，也没有英文标点。".repeat(8);
  const end = "结束。";
  const deleted = `删除的文字${m.deleted}这一部分会被删除。`.repeat(8);
  const comment = `这是批注的内容${m.comment}必须删除。`.repeat(8);
  const ns = [
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"',
    'xmlns:dc="http://purl.org/dc/elements/1.1/"',
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"',
  ].join(" ");
  const info = `<office:change-info><dc:creator>${m.author}</dc:creator><dc:date>2023-05-06T07:08:09</dc:date></office:change-info>`;
  const changes = `<text:tracked-changes text:track-changes="true"><text:changed-region text:id="ct1"><text:insertion>${info}</text:insertion></text:changed-region><text:changed-region text:id="ct2"><text:deletion>${info}<text:p>${deleted}</text:p></text:deletion></text:changed-region></text:tracked-changes>`;
  const note = `<office:annotation><dc:creator>${m.author}</dc:creator><dc:date>2023-05-06T07:08:09</dc:date><text:p>${comment}</text:p></office:annotation>`;
  const source = path.join(work, "cjk.fodt");
  await fs.writeFile(
    source,
    `<?xml version="1.0" encoding="UTF-8"?><office:document ${ns} office:version="1.3" office:mimetype="application/vnd.oasis.opendocument.text"><office:body><office:text>${changes}<text:p>${japanese}<text:change-start text:change-id="ct1"/>${m.inserted}<text:change-end text:change-id="ct1"/><text:change text:change-id="ct2"/>${tail}</text:p><text:p>${chinese}${note}${end}</text:p></office:text></office:body></office:document>`,
  );
  await soffice(work, ["--convert-to", "doc", "--outdir", work, source]);
  return { file: path.join(work, "cjk.doc"), finalText: [`${japanese}${m.inserted}${tail}`, `${chinese}${end}`] };
}

/**
 * The same compound file with the sector chain of its WordDocument stream looping: its last
 * sector's entry points back to its first, in the FAT or, for a stream under 4096 bytes, the
 * MiniFAT ([MS-CFB] 2.3, 2.5). Only the FAT sectors the header lists are used (enough for a
 * small file).
 */
export async function withLoopingWordChain(file: string): Promise<Buffer> {
  const bytes = await fs.readFile(file);
  const entry = CFB.find(CFB.read(bytes, { type: "buffer" }), "WordDocument")!;
  const size = 1 << bytes.readUInt16LE(0x1e);
  const perSector = size / 4;
  const fatAt = (n: number): number => (bytes.readUInt32LE(0x4c + Math.floor(n / perSector) * 4) + 1) * size + (n % perSector) * 4;
  const miniFatAt = (n: number): number => {
    let sector = bytes.readUInt32LE(0x3c);
    for (let k = 0; k < Math.floor(n / perSector); k++) sector = bytes.readUInt32LE(fatAt(sector));
    return (sector + 1) * size + (n % perSector) * 4;
  };
  const at = entry.size < bytes.readUInt32LE(0x38) ? miniFatAt : fatAt;
  let last = entry.start;
  while (bytes.readUInt32LE(at(last)) < 0xfffffffa) last = bytes.readUInt32LE(at(last));
  if (last === entry.start) throw new Error("the stream has a single sector");
  bytes.writeUInt32LE(entry.start, at(last));
  return bytes;
}

/** The dates a test plants, each in its own kind of revision mark ([MS-DOC] 2.6), as DTTMs. */
export interface PlantedDates {
  /** sprmPPropRMark (0xC66F) and its Word 97 number (0xC63F), on the first paragraph. */
  paragraph: Buffer;
  paragraph97: Buffer;
  /** sprmTPropRMark (0xD667), on the table's rows. */
  table: Buffer;
  /** sprmSPropRMark (0xD243) and its Word 97 number (0xD227), on the section. */
  section: Buffer;
  section97: Buffer;
  /** sprmCPropRMark (0xCA89) and sprmCDispFldRMark (0xCA62), on the first run of text. */
  character: Buffer;
  field: Buffer;
}

/** A PropRMarkOperand (cb 7, on, author 0, date), or the longer DispFldRmOperand with `extra` bytes of former text. */
function propRMark(sprm: number, date: Buffer, extra = 0): Buffer {
  const b = Buffer.alloc(2 + 1 + 7 + extra);
  b.writeUInt16LE(sprm, 0);
  b[2] = 7 + extra;
  b[3] = 1;
  date.copy(b, 6);
  if (extra > 0) Buffer.from("\u0002\u0000" + "9.", "utf16le").copy(b, 10);
  return b;
}

/**
 * The same document with revision marks LibreOffice does not write, each carrying its own date:
 * property revisions of a paragraph, the table's rows, the section and a run, and a changed list
 * number shown in the text. The paragraph's and the run's grpprls are written anew in the free
 * space of their formatting pages (PAPX, CHPX), the section's SEPX at the end of the main stream,
 * the pages' and the section table's offsets pointed at them; the rows' mark takes the place of
 * a repeated shading record of theirs (LibreOffice writes sprmTDefTableShdRaw twice): no text moves.
 * The run, the paragraph and the section also get revision-save ids (sprmCRsidProp,
 * sprmCRsidText, sprmPRsid, sprmSRsid), all `rsid`.
 */
export async function withPlantedRevisions(file: string, d: PlantedDates, rsid: Buffer): Promise<Buffer> {
  const rsidPrl = (sprm: number): Buffer => {
    const b = Buffer.alloc(6);
    b.writeUInt16LE(sprm, 0);
    rsid.copy(b, 2);
    return b;
  };
  const w = await openWord(file);
  const { word, table } = w;
  const pages = (pair: number): Buffer[] => {
    const fc = word.readUInt32LE(w.pair(pair));
    const n = (word.readUInt32LE(w.pair(pair) + 4) - 4) / 8;
    return Array.from({ length: n }, (_, i) => word.subarray((table.readUInt32LE(fc + (n + 1) * 4 + i * 4) & 0x3fffff) * 512).subarray(0, 512));
  };
  // PAPX page: the first paragraph's grpprl anew, the marks after its style index.
  const papx = pages(BTE_PAPX)[0]!;
  const crun = papx[511]!;
  const bx = (r: number): number => (crun + 1) * 4 + r * 13;
  const at0 = papx[bx(0)]! * 2;
  const old = papx[at0] === 0 ? papx.subarray(at0 + 2, at0 + 2 + papx[at0 + 1]! * 2) : papx.subarray(at0 + 1, at0 + 2 * papx[at0]!);
  const istdAndGrpprl = Buffer.concat([old.subarray(0, 2), propRMark(0xc66f, d.paragraph), propRMark(0xc63f, d.paragraph97), rsidPrl(0x6467), old.subarray(2)]);
  // The long form: a zero byte, a count of 2-byte units, the style index and the grpprl, padded.
  const size = 2 + istdAndGrpprl.length + (istdAndGrpprl.length % 2);
  const free = Math.min(...Array.from({ length: crun }, (_, r) => papx[bx(r)]! * 2).filter((o) => o > 0)) - size;
  if (free < bx(crun)) throw new Error("no room in the PAPX page");
  papx.fill(0, free, free + size);
  papx[free + 1] = (size - 2) / 2;
  istdAndGrpprl.copy(papx, free + 2);
  papx[bx(0)] = free / 2;
  // The rows: the second of two identical sprmTDefTableShdRaw becomes the mark and a repeated sprmTFCantSplit90.
  const shd = Buffer.from("70d60a000000ff000000ff0000", "hex");
  const twice = papx.indexOf(Buffer.concat([shd, shd]));
  if (twice < 0) throw new Error("expected LibreOffice's repeated table shading");
  Buffer.concat([propRMark(0xd667, d.table), Buffer.from("033400", "hex")]).copy(papx, twice + shd.length);
  // CHPX page: the first run with formatting of its own.
  const chpx = pages(BTE_CHPX)[0]!;
  const runs = chpx[511]!;
  const used = Array.from({ length: runs }, (_, r) => chpx[(runs + 1) * 4 + r]! * 2).filter((o) => o > 0);
  const first = Array.from({ length: runs }, (_, r) => r).find((r) => chpx[(runs + 1) * 4 + r]! > 0)!;
  const run = chpx.subarray(chpx[(runs + 1) * 4 + first]! * 2 + 1).subarray(0, chpx[chpx[(runs + 1) * 4 + first]! * 2]!);
  const grpprl = Buffer.concat([run, propRMark(0xca89, d.character), propRMark(0xca62, d.field, 32), rsidPrl(0x6815), rsidPrl(0x6816)]);
  let at = Math.min(...used) - (grpprl.length + 1);
  at -= at % 2;
  if (at < (runs + 1) * 4 + runs) throw new Error("no room in the CHPX page");
  chpx[at] = grpprl.length;
  grpprl.copy(chpx, at + 1);
  chpx[(runs + 1) * 4 + first] = at / 2;
  // The section's SEPX, written again at the end of the main stream with the two section marks.
  if (word.readUInt32LE(w.pair(6) + 4) !== 8 + 12) throw new Error("expected one section");
  const sedAt = word.readUInt32LE(w.pair(6)) + 8 + 2;
  const fcSepx = table.readUInt32LE(sedAt);
  const sepx = Buffer.concat([word.subarray(fcSepx + 2, fcSepx + 2 + word.readInt16LE(fcSepx)), propRMark(0xd243, d.section), propRMark(0xd227, d.section97), rsidPrl(0x703a)]);
  const tail = Buffer.alloc(2 + sepx.length + (word.length % 2));
  tail.writeInt16LE(sepx.length, word.length % 2);
  sepx.copy(tail, 2 + (word.length % 2));
  table.writeUInt32LE(word.length + (word.length % 2), sedAt);
  w.word = Buffer.concat([word, tail]);
  return w.bytes();
}

/**
 * The same document whose text is marked inserted as a whole by the piece table ([MS-DOC]
 * 2.9.38 Clx): a Prc holding sprmCFRMarkIns, the author (sprmCIbstRMark) and `date`
 * (sprmCDttmRMark) put before LibreOffice's one piece, whose Prm names it (a Prm1), as Word's
 * fast saves write; the new Clx is appended to the table stream.
 */
export async function withPrcInsertion(file: string, date: Buffer): Promise<Buffer> {
  const w = await openWord(file);
  const clxAt = w.word.readUInt32LE(w.pair(CLX));
  const old = Buffer.from(w.table.subarray(clxAt, clxAt + w.word.readUInt32LE(w.pair(CLX) + 4)));
  if (old[0] !== 2 || old.readUInt32LE(1) !== 16) throw new Error("expected one piece without Prcs");
  const grpprl = Buffer.concat([Buffer.from("010801044800000568", "hex"), date]);
  const prc = Buffer.alloc(3);
  prc[0] = 1;
  prc.writeInt16LE(grpprl.length, 1);
  // The Pcd's Prm (after 0x02, lcb, two CPs, 2 bytes and the fc): a Prm1 naming Prc 0.
  old.writeUInt16LE(1, 5 + 8 + 6);
  const clx = Buffer.concat([prc, grpprl, old]);
  w.word.writeUInt32LE(w.table.length, w.pair(CLX));
  w.word.writeUInt32LE(clx.length, w.pair(CLX) + 4);
  w.table = Buffer.concat([w.table, clx]);
  return w.bytes();
}

/**
 * Word's own fixture with editing traces planted in its style sheet ([MS-DOC] 2.9.271 STSH):
 * every style's revision-save id (StdfPost2000.rsid, which Word writes with the session that
 * last changed the style) set to `rsid`, and in the first character formatting of a style that
 * opens with sprmCHps, sprmCHpsKern and sprmCHpsBi (12 bytes) those three taken out for the two
 * dates of a revision mark (sprmCDttmRMark and sprmCDttmRMarkDel, `date`), the same size.
 */
export async function withStyleTraces(file: string, rsid: Buffer, date: Buffer): Promise<Buffer> {
  const w = await openWord(file);
  const { word, table } = w;
  const stsh = table.subarray(word.readUInt32LE(w.pair(1)), word.readUInt32LE(w.pair(1)) + word.readUInt32LE(w.pair(1) + 4));
  const cbStshi = stsh.readUInt16LE(0);
  if (stsh.readUInt16LE(4) !== 18) throw new Error("expected styles with StdfPost2000");
  let pos = 2 + cbStshi;
  for (let i = 0; i < stsh.readUInt16LE(2); i++) {
    const cb = stsh.readUInt16LE(pos);
    if (cb > 0) rsid.copy(stsh, pos + 2 + 12);
    pos += 2 + cb;
  }
  const sizes = stsh.indexOf(Buffer.from("434a", "hex"));
  if (sizes < 0 || stsh.readUInt16LE(sizes + 4) !== 0x485f || stsh.readUInt16LE(sizes + 8) !== 0x4a61) throw new Error("expected sprmCHps, sprmCHpsKern, sprmCHpsBi in a style");
  const prl = (sprm: number): Buffer => Buffer.concat([Buffer.from([sprm & 0xff, sprm >> 8]), date]);
  Buffer.concat([prl(0x6805), prl(0x6864)]).copy(stsh, sizes);
  return w.bytes();
}
