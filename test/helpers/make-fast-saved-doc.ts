import crypto from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import { openWord } from "./make-doc-review.js";
import { NS, soffice } from "./make-legacy-office.js";
import { CONVERT, run } from "./tools.js";

const STYLES = `<office:automatic-styles>
<style:page-layout style:name="pm1"><style:page-layout-properties fo:page-width="21cm" fo:page-height="29.7cm" fo:margin="2cm"/><style:footer-style/></style:page-layout>
<style:page-layout style:name="pm2"><style:page-layout-properties fo:page-width="29.7cm" fo:page-height="21cm" style:print-orientation="landscape" fo:margin="2cm"/></style:page-layout>
<style:style style:name="Wide" style:family="paragraph" style:master-page-name="Landscape"/>
<style:style style:name="Columns" style:family="section"><style:section-properties><style:columns fo:column-count="2" fo:column-gap="1cm"/></style:section-properties></style:style>
<style:style style:name="Bold" style:family="text"><style:text-properties fo:font-weight="bold" fo:color="#aa2200"/></style:style>
<text:list-style style:name="Numbered"><text:list-level-style-number text:level="1" style:num-format="1" style:num-suffix="."/><text:list-level-style-number text:level="2" style:num-format="a" style:num-suffix=")"/></text:list-style>
<text:list-style style:name="Bullets"><text:list-level-style-bullet text:level="1" text:bullet-char="•"/></text:list-style>
</office:automatic-styles>
<office:master-styles>
<style:master-page style:name="Standard" style:page-layout-name="pm1"><style:footer><text:p>Footer of the first pages</text:p></style:footer></style:master-page>
<style:master-page style:name="Landscape" style:page-layout-name="pm2"/>
</office:master-styles>`;

/** A picture the documents hold: a gradient, so that a picture lost or damaged shows in the rendering. */
async function gradientPng(dir: string): Promise<Buffer> {
  const file = path.join(dir, `gradient-${crypto.randomUUID()}.png`);
  await run(CONVERT, ["-size", "96x64", "gradient:#2050c0-#f0c020", file]);
  return fs.readFile(file);
}

/**
 * A Word 97-2003 document made by LibreOffice from a flat OpenDocument text holding what Word keeps
 * in its streams' many structures: a numbered list of two levels and a bulleted one (list tables),
 * character formatting, a table, a footnote, a footer, an inline and a floating picture (the
 * drawing group), a section of two columns and a landscape section after it (section properties).
 */
export async function makeLaidOutDoc(dir: string): Promise<string> {
  const work = path.join(dir, `laid-out-${crypto.randomUUID()}`);
  await fs.mkdir(work);
  const png = (await gradientPng(work)).toString("base64");
  const picture = (place: string): string =>
    `<draw:frame svg:width="3cm" svg:height="2cm" ${place}><draw:image><office:binary-data>${png}</office:binary-data></draw:image></draw:frame>`;
  const item = (s: string): string => `<text:list-item><text:p>${s}</text:p></text:list-item>`;
  const body = [
    `<text:p>Opening words with <text:span text:style-name="Bold">bold red text</text:span> and a note<text:note text:note-class="footnote" text:id="n1"><text:note-citation>1</text:note-citation><text:note-body><text:p>Words of the footnote</text:p></text:note-body></text:note>.</text:p>`,
    `<text:list text:style-name="Numbered">${item("First numbered item")}<text:list-item><text:p>Second numbered item</text:p><text:list>${item("Nested item a")}${item("Nested item b")}</text:list></text:list-item>${item("Third numbered item")}</text:list>`,
    `<text:list text:style-name="Bullets">${item("A bullet")}${item("Another bullet")}</text:list>`,
    `<table:table table:name="Grid"><table:table-column table:number-columns-repeated="2"/><table:table-row><table:table-cell office:value-type="string"><text:p>cell one</text:p></table:table-cell><table:table-cell office:value-type="string"><text:p>cell two</text:p></table:table-cell></table:table-row></table:table>`,
    `<text:p>An inline picture ${picture('text:anchor-type="as-char"')} and a floating one.${picture('text:anchor-type="paragraph" svg:x="9cm" svg:y="0.5cm"')}</text:p>`,
    `<text:section text:style-name="Columns" text:name="Two"><text:p>${"Words in two columns. ".repeat(40)}</text:p></text:section>`,
    `<text:p text:style-name="Wide">A landscape page at the end.</text:p>`,
  ].join("");
  const source = path.join(work, "laid-out.fodt");
  await fs.writeFile(source, `<?xml version="1.0" encoding="UTF-8"?><office:document ${NS} office:mimetype="application/vnd.oasis.opendocument.text">${STYLES}<office:body><office:text>${body}</office:text></office:body></office:document>`);
  await soffice(work, ["--convert-to", "doc", "--outdir", work, source]);
  return path.join(work, "laid-out.doc");
}

/** FibBase's fComplex: the document was last written by a fast save. */
const F_COMPLEX = 0x0004;
const STTB_SAVED_BY = 71;

/**
 * The same document as a fast save leaves it: fComplex set, and what the saves before it wrote
 * still in its streams, referred to by nothing: earlier text (`marker` in UTF-16, as Word writes
 * text) after the current text's place in the WordDocument stream and at its end, and an
 * earlier last-saved-by list (a user and a folder named by `marker`) at the end of the table
 * stream in use, where the current list is also replaced by one naming `marker`'s user again
 * so the list the cleaner knows about is not the only one.
 */
export async function withFastSaveLeftovers(file: string, marker: string): Promise<Buffer> {
  const w = await openWord(file);
  const word = w.word;
  word.writeUInt16LE(word.readUInt16LE(10) | F_COMPLEX, 10);
  const oldText = Buffer.from(`Earlier wording by ${marker} that a later save replaced. `, "utf16le");
  // The bytes between the FIB and the text are zeros: earlier text put there lies among what
  // the document still uses, not only after it.
  const pairsEnd = w.pair(0) + word.readUInt16LE(w.pair(0) - 2) * 8;
  const fibEnd = pairsEnd + 2 + 2 * word.readUInt16LE(pairsEnd);
  let textStart = fibEnd;
  while (textStart < word.length && word[textStart] === 0) textStart++;
  const gap = word.subarray(fibEnd, textStart);
  if (gap.length < oldText.length) throw new Error("no free room after the FIB");
  oldText.copy(gap, gap.length - oldText.length);
  w.word = Buffer.concat([word, oldText]);
  const xst = (s: string): Buffer => Buffer.concat([Buffer.from([s.length & 0xff, s.length >> 8]), Buffer.from(s, "utf16le")]);
  const savedBy = Buffer.concat([Buffer.from([0xff, 0xff, 2, 0, 0, 0]), xst(`${marker} user`), xst(`C:\\Users\\${marker}\\Documents\\report.doc`)]);
  w.table = Buffer.concat([w.table, savedBy]);
  // The FIB still names no saved-by list: a fast save's earlier one is not the current one.
  w.word.writeUInt32LE(0, w.pair(STTB_SAVED_BY));
  w.word.writeUInt32LE(0, w.pair(STTB_SAVED_BY) + 4);
  return w.bytes();
}
