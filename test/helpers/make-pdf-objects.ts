import zlib from "node:zlib";
import { assemblePdf } from "./make-pdf.js";

/** The one-page document every file below is built around: its text, and where the marker goes. */
export const TINY_OBJECTS_TEXT = "Tiny objects page";

function page(marker: string): string[] {
  const content = `BT /F1 12 Tf 10 10 Td (${TINY_OBJECTS_TEXT}) Tj ET`;
  return [
    "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
    "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
    `<< /Length ${content.length} >>\nstream\n${content}\nendstream`,
    "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    `<< /Author (${marker}) /Title (${marker}) >>`,
  ];
}

/**
 * A one-page PDF whose catalog lists `count` empty dictionaries, each an object of its own
 * ("7 0 obj <<>> endobj", 40 bytes with its cross-reference row), and whose Info names `marker`.
 */
export function pdfOfTinyObjects(count: number, marker: string): Buffer {
  const first = 7;
  const refs: string[] = [];
  for (let i = 0; i < count; i++) refs.push(`${first + i} 0 R`);
  const objects = [`<< /Type /Catalog /Pages 2 0 R /Tiny [${refs.join(" ")}] >>`, ...page(marker)];
  const parts: string[] = ["%PDF-1.7\n"];
  let length = parts[0]!.length;
  const offsets: number[] = [];
  const add = (n: number, body: string): void => {
    const text = `${n} 0 obj\n${body}\nendobj\n`;
    offsets.push(length);
    parts.push(text);
    length += text.length;
  };
  objects.forEach((o, i) => add(i + 1, o));
  for (let i = 0; i < count; i++) add(first + i, "<<>>");
  const rows = offsets.map((o) => `${String(o).padStart(10, "0")} 00000 n \n`);
  parts.push(`xref\n0 ${offsets.length + 1}\n0000000000 65535 f \n`, rows.join(""));
  parts.push(`trailer\n<< /Size ${offsets.length + 1} /Root 1 0 R /Info 6 0 R >>\nstartxref\n${length}\n%%EOF\n`);
  return Buffer.from(parts.join(""), "latin1");
}

/**
 * The same document with `count` empty dictionaries held in object streams of `perStream`
 * objects each, compressed, listed by a cross-reference stream: a few MB for a million objects.
 */
export function pdfOfTinyObjectsInStreams(count: number, perStream: number, marker: string): Buffer {
  const streams = Math.ceil(count / perStream);
  const firstTiny = 7 + streams;
  const pdf = new PdfWithXrefStream();
  pdf.add(`<< /Type /Catalog /Pages 2 0 R /Tiny ${firstTiny} 0 R >>`);
  page(marker).forEach((o) => pdf.add(o));
  for (let s = 0; s < streams; s++) {
    const n = Math.min(perStream, count - s * perStream);
    const numbers: string[] = [];
    for (let i = 0; i < n; i++) numbers.push(`${firstTiny + s * perStream + i} ${i * 5}`);
    const head = `${numbers.join(" ")}\n`;
    pdf.add(objectStream(n, head, "<<>> ".repeat(n)));
  }
  for (let s = 0; s < streams; s++) {
    for (let i = 0; i < Math.min(perStream, count - s * perStream); i++) pdf.addPacked(7 + s, i);
  }
  return pdf.finish("/Info 6 0 R");
}

/**
 * A PDF written object by object, numbered in order from 1, listed by a cross-reference stream
 * (rows of 1, 4 and 4 bytes) that `finish` writes as the next object.
 */
class PdfWithXrefStream {
  private readonly parts: Buffer[] = [Buffer.from("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "latin1")];
  private length = this.parts[0]!.length;
  private readonly rows: Buffer[] = [entry(0, 0, 65535)];

  /** The number the next object gets. */
  get next(): number {
    return this.rows.length;
  }

  add(body: string | Buffer): void {
    const text = Buffer.concat([Buffer.from(`${this.next} 0 obj\n`), typeof body === "string" ? Buffer.from(body, "latin1") : body, Buffer.from("\nendobj\n")]);
    this.rows.push(entry(1, this.length, 0));
    this.parts.push(text);
    this.length += text.length;
  }

  /** The next object is the `index`th of object stream `stream` (written with `add`, before or after). */
  addPacked(stream: number, index: number): void {
    this.rows.push(entry(2, stream, index));
  }

  /** `trailer` adds entries to the cross-reference stream's dictionary (/Root is object 1). */
  finish(trailer: string): Buffer {
    const size = this.next + 1;
    const xref = zlib.deflateSync(Buffer.concat([...this.rows, entry(1, this.length, 0)]));
    const dict = `<< /Type /XRef /Size ${size} /W [1 4 4] /Root 1 0 R ${trailer} /Filter /FlateDecode /Length ${xref.length} >>`;
    return Buffer.concat([...this.parts, Buffer.from(`${size - 1} 0 obj\n${dict}\nstream\n`), xref, Buffer.from(`\nendstream\nendobj\nstartxref\n${this.length}\n%%EOF\n`)]);
  }
}

/** A cross-reference stream row, fields of 1, 4 and 4 bytes. */
function entry(type: number, a: number, b: number): Buffer {
  const e = Buffer.alloc(9);
  e.writeUInt8(type, 0);
  e.writeUInt32BE(a, 1);
  e.writeUInt32BE(b, 5);
  return e;
}

/**
 * The one-page document listed by a cross-reference stream of `count` entries more than it has
 * objects, all free: a few kB of compressed zeros for millions of entries.
 */
export function pdfOfFreeXrefEntries(count: number, marker: string): Buffer {
  const parts: Buffer[] = [Buffer.from("%PDF-1.7\n")];
  let length = parts[0]!.length;
  const entries: Buffer[] = [entry(0, 0, 65535)];
  const objects = ["<< /Type /Catalog /Pages 2 0 R >>", ...page(marker)];
  objects.forEach((o, i) => {
    const text = Buffer.from(`${i + 1} 0 obj\n${o}\nendobj\n`, "latin1");
    entries.push(entry(1, length, 0));
    parts.push(text);
    length += text.length;
  });
  const xrefNumber = objects.length + 1;
  entries.push(entry(1, length, 0));
  const size = xrefNumber + 1 + count;
  const xref = zlib.deflateSync(Buffer.concat([...entries, Buffer.alloc(count * 9)]));
  parts.push(Buffer.from(`${xrefNumber} 0 obj\n<< /Type /XRef /Size ${size} /W [1 4 4] /Root 1 0 R /Info 6 0 R /Filter /FlateDecode /Length ${xref.length} >>\nstream\n`), xref);
  parts.push(Buffer.from(`\nendstream\nendobj\nstartxref\n${length}\n%%EOF\n`));
  return Buffer.concat(parts);
}

/** The one-page document whose catalog holds an array of `count` references to one object (6 bytes each). */
export function pdfWithLongArray(count: number, marker: string): Buffer {
  const objects = [`<< /Type /Catalog /Pages 2 0 R /Long 7 0 R >>`, ...page(marker), `[${Array<string>(count).fill("5 0 R").join(" ")}]`];
  return assemblePdf(objects, "/Info 6 0 R");
}

/** A one-page document whose page sits at the end of a chain of `depth` page tree nodes, one kid each. */
export function pdfWithDeepPageTree(depth: number, marker: string): Buffer {
  const content = `BT /F1 12 Tf 10 10 Td (${TINY_OBJECTS_TEXT}) Tj ET`;
  const objects = ["<< /Type /Catalog /Pages 2 0 R >>"];
  for (let i = 0; i < depth; i++) objects.push(`<< /Type /Pages /Kids [${i + 3} 0 R] /Count 1${i > 0 ? ` /Parent ${i + 1} 0 R` : ""} >>`);
  const pageNumber = depth + 2;
  objects.push(`<< /Type /Page /Parent ${depth + 1} 0 R /MediaBox [0 0 200 200] /Contents ${pageNumber + 1} 0 R /Resources << /Font << /F1 ${pageNumber + 2} 0 R >> >> >>`);
  objects.push(`<< /Length ${content.length} >>\nstream\n${content}\nendstream`, "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>", `<< /Author (${marker}) >>`);
  return assemblePdf(objects, `/Info ${objects.length} 0 R`);
}

/**
 * A PDF whose first objects (`plain`, object 1 the catalog) are written as they are and the
 * others (`packed`, numbered after them) in one compressed object stream, as PDF 1.5 writers
 * store them, listed by a cross-reference stream; `trailer` adds entries to its dictionary.
 */
export function pdfWithObjectStream(plain: readonly string[], packed: readonly string[], trailer = ""): Buffer {
  const pdf = new PdfWithXrefStream();
  plain.forEach((o) => pdf.add(o));
  const streamNumber = plain.length + packed.length + 1;
  const offsets: string[] = [];
  let body = "";
  packed.forEach((o, i) => {
    offsets.push(`${pdf.next} ${Buffer.byteLength(body, "latin1")}`);
    body += `${o}\n`;
    pdf.addPacked(streamNumber, i);
  });
  const head = `${offsets.join(" ")}\n`;
  pdf.add(objectStream(packed.length, head, body));
  return pdf.finish(trailer);
}

/** An object stream of `n` objects: `head` lists their numbers and offsets into `body`. Compressed. */
function objectStream(n: number, head: string, body: string): Buffer {
  const data = zlib.deflateSync(Buffer.from(head + body, "latin1"));
  return Buffer.concat([Buffer.from(`<< /Type /ObjStm /N ${n} /First ${head.length} /Filter /FlateDecode /Length ${data.length} >>\nstream\n`), data, Buffer.from("\nendstream")]);
}
