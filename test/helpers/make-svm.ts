import fs from "node:fs/promises";
import path from "node:path";
import crypto from "node:crypto";
import { soffice } from "./make-legacy-office.js";
import { readZip } from "./read-archives.js";

/** The part where LibreOffice keeps the picture of a document's first embedded object. */
export const REPLACEMENT = "ObjectReplacements/Object 1";

/**
 * A spreadsheet with a bar chart, saved by LibreOffice from flat XML, with `marker` as its author,
 * title and description: LibreOffice stores the chart's picture as a StarView metafile (SVM).
 */
export async function chartSpreadsheet(dir: string, marker: string): Promise<string> {
  const work = path.join(dir, `svm-${crypto.randomUUID()}`);
  await fs.mkdir(work);
  const rows = [["a", 1], ["b", 3], ["c", 2]]
    .map(([label, value]) => `<table:table-row><table:table-cell office:value-type="string"><text:p>${label}</text:p></table:table-cell><table:table-cell office:value-type="float" office:value="${value}"><text:p>${value}</text:p></table:table-cell></table:table-row>`)
    .join("");
  const chart =
    `<draw:frame svg:x="3cm" svg:y="1cm" svg:width="8cm" svg:height="6cm"><draw:object draw:notify-on-update-of-ranges="Sheet1.A1:Sheet1.B3">` +
    `<office:document office:version="1.3" office:mimetype="application/vnd.oasis.opendocument.chart"><office:body><office:chart>` +
    `<chart:chart chart:class="chart:bar" svg:width="8cm" svg:height="6cm"><chart:plot-area table:cell-range-address="Sheet1.A1:Sheet1.B3" chart:data-source-has-labels="none">` +
    `<chart:series chart:values-cell-range-address="Sheet1.B1:Sheet1.B3" chart:class="chart:bar"/></chart:plot-area></chart:chart>` +
    `</office:chart></office:body></office:document></draw:object></draw:frame>`;
  const flat =
    `<?xml version="1.0" encoding="UTF-8"?>\n<office:document xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:meta="urn:oasis:names:tc:opendocument:xmlns:meta:1.0" xmlns:dc="http://purl.org/dc/elements/1.1/" ` +
    `xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0" ` +
    `xmlns:svg="urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0" xmlns:chart="urn:oasis:names:tc:opendocument:xmlns:chart:1.0" xmlns:xlink="http://www.w3.org/1999/xlink" ` +
    `office:version="1.3" office:mimetype="application/vnd.oasis.opendocument.spreadsheet">` +
    `<office:meta><dc:creator>${marker}</dc:creator><dc:title>${marker} sales</dc:title><dc:description>by ${marker}</dc:description><meta:initial-creator>${marker}</meta:initial-creator></office:meta>` +
    `<office:body><office:spreadsheet><table:table table:name="Sheet1"><table:shapes>${chart}</table:shapes>${rows}</table:table></office:spreadsheet></office:body></office:document>`;
  const source = path.join(work, "chart.fods");
  await fs.writeFile(source, flat);
  await soffice(work, ["--convert-to", "ods", "--outdir", work, source]);
  return path.join(work, "chart.ods");
}

/** The chart's picture inside the spreadsheet LibreOffice saved. */
export async function replacementOf(ods: Buffer): Promise<Buffer> {
  const entry = (await readZip(ods)).members.find((e) => e.name === REPLACEMENT);
  if (entry == null) throw new Error(`no ${REPLACEMENT} in the document`);
  return entry.data;
}

/** Where an SVM's actions start and where its header keeps their count (a version 1 header, as LibreOffice writes it). */
export function svmLayout(svm: Buffer): { actionsAt: number; countAt: number } {
  const actionsAt = 12 + svm.readUInt32LE(8);
  return { actionsAt, countAt: actionsAt - 4 };
}

/** One action: its type, a versioned block (version 1) of `payload`. */
export function svmAction(type: number, payload: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt16LE(type, 0);
  head.writeUInt16LE(1, 2);
  head.writeUInt32LE(payload.length, 4);
  return Buffer.concat([head, payload]);
}

/** A comment action ([vcl] MetaCommentAction): its 8-bit name, a value, then its data. */
export function svmComment(name: string, data: Buffer): Buffer {
  const fields = Buffer.alloc(2 + name.length + 8);
  fields.writeUInt16LE(name.length, 0);
  fields.write(name, 2, "latin1");
  fields.writeInt32LE(7, 2 + name.length);
  fields.writeUInt32LE(data.length, 6 + name.length);
  return svmAction(512, Buffer.concat([fields, data]));
}

/** `svm` with `actions` before its own, their number added to its count, and `trailer` after its end. */
export function withActions(svm: Buffer, actions: readonly Buffer[], trailer = Buffer.alloc(0)): Buffer {
  const { actionsAt, countAt } = svmLayout(svm);
  const out = Buffer.concat([svm.subarray(0, actionsAt), ...actions, svm.subarray(actionsAt), trailer]);
  out.writeUInt32LE(svm.readUInt32LE(countAt) + actions.length, countAt);
  return out;
}
