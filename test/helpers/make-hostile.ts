import crypto from "node:crypto";
import zlib from "node:zlib";
import { zip } from "./make-office.js";

/** Files built to cost the service much more than their size (issue 12's attacker's list). */

const CONTENT_TYPES =
  '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">' +
  '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>' +
  '<Default Extension="xml" ContentType="application/xml"/>' +
  '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>';
const RELS =
  '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">' +
  '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>';
const W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"';

function docx(body: Buffer): Promise<Buffer> {
  return zip([
    ["[Content_Types].xml", CONTENT_TYPES],
    ["_rels/.rels", RELS],
    ["word/document.xml", body],
  ]);
}

/** A DOCX whose body is `count` empty paragraphs: 5 million of them zip to about 45 kB. */
export function docxWithEmptyParagraphs(count: number): Promise<Buffer> {
  return docx(Buffer.concat([Buffer.from(`<?xml version="1.0" encoding="UTF-8"?><w:document ${W}><w:body>`), Buffer.alloc(count * 6, "<w:p/>"), Buffer.from("</w:body></w:document>")]));
}

/**
 * A DOCX whose content types part lists `count` overrides. The body is read as a stream, but the
 * package parts are read whole: just under their node limit, such a part still outgrows a small
 * worker heap.
 */
export function docxWithManyContentTypes(count: number): Promise<Buffer> {
  const overrides = Array.from({ length: count }, (_, i) => `<Override PartName="/word/p${i}.xml" ContentType="application/xml"/>`).join("");
  return zip([
    ["[Content_Types].xml", CONTENT_TYPES.replace("</Types>", `${overrides}</Types>`)],
    ["_rels/.rels", RELS],
    ["word/document.xml", Buffer.from(`<?xml version="1.0" encoding="UTF-8"?><w:document ${W}><w:body><w:p/></w:body></w:document>`)],
  ]);
}

/**
 * A DOCX holding `parts` relationships parts of `each` relationships (about 130 bytes apiece): the
 * report of a document's unused parts parses them all and holds them at once.
 */
export function docxWithManyRelsParts(parts: number, each: number): Promise<Buffer> {
  const rel = (i: number): string => `<Relationship Id="rId${i}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/image" Target="media/x.png"/>`;
  const rels = RELS.replace(/<Relationship .*<\/Relationships>$/, `${Array.from({ length: each }, (_, i) => rel(i)).join("")}</Relationships>`);
  return zip([
    ["[Content_Types].xml", CONTENT_TYPES],
    ["_rels/.rels", RELS],
    ["word/document.xml", Buffer.from(`<?xml version="1.0" encoding="UTF-8"?><w:document ${W}><w:body><w:p/></w:body></w:document>`)],
    ...Array.from({ length: parts }, (_, i): [string, string] => [`word/_rels/p${i}.xml.rels`, rels]),
  ]);
}

/** A DOCX whose body nests `depth` elements inside each other. */
export function docxNestedDeep(depth: number): Promise<Buffer> {
  const open = Buffer.alloc(depth * 7, "<w:sdt>");
  const close = Buffer.alloc(depth * 8, "</w:sdt>");
  return docx(Buffer.concat([Buffer.from(`<?xml version="1.0" encoding="UTF-8"?><w:document ${W}><w:body>`), open, close, Buffer.from("</w:body></w:document>")]));
}

/** An SVG nesting `depth` groups. */
export function svgNestedDeep(depth: number): Buffer {
  return Buffer.concat([
    Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'),
    Buffer.alloc(depth * 3, "<g>"),
    Buffer.alloc(depth * 4, "</g>"),
    Buffer.from("</svg>"),
  ]);
}

/** An SVG drawing the same small picture `count` times, each as its own data: URI. */
export function svgWithDataImages(count: number, png: Buffer): Buffer {
  const href = `data:image/png;base64,${png.toString("base64")}`;
  const image = `<image width="1" height="1" href="${href}"/>`;
  return Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">${image.repeat(count)}</svg>`);
}

/**
 * A one-page PDF 1.5 holding, in a compressed object stream, one string of `size` bytes: the file
 * is about a thousandth of that, and every tool that lists objects inflates it whole.
 */
export function pdfWithInflatingString(size: number): Buffer {
  const objStmBody = Buffer.concat([Buffer.from("6 0 << /Filler ("), Buffer.alloc(size, "a"), Buffer.from(") >>")]);
  const objStm = zlib.deflateSync(objStmBody, { level: 9 });
  const objects: Buffer[] = [
    Buffer.from("<< /Type /Catalog /Pages 2 0 R /Filler 6 0 R >>"),
    Buffer.from("<< /Type /Pages /Kids [3 0 R] /Count 1 >>"),
    Buffer.from("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Contents 4 0 R >>"),
    Buffer.concat([Buffer.from("<< /Length 0 >>\nstream\n"), Buffer.from("\nendstream")]),
    Buffer.concat([Buffer.from(`<< /Type /ObjStm /N 1 /First 4 /Filter /FlateDecode /Length ${objStm.length} >>\nstream\n`), objStm, Buffer.from("\nendstream")]),
  ];
  const parts: Buffer[] = [Buffer.from("%PDF-1.5\n")];
  let length = parts[0]!.length;
  const offsets: number[] = [];
  objects.forEach((o, i) => {
    offsets.push(length);
    const obj = Buffer.concat([Buffer.from(`${i + 1} 0 obj\n`), o, Buffer.from("\nendobj\n")]);
    parts.push(obj);
    length += obj.length;
  });
  // A cross-reference stream (type 2 entries are what points into an object stream).
  const entry = (type: number, a: number, b: number): Buffer => {
    const e = Buffer.alloc(7);
    e.writeUInt8(type, 0);
    e.writeUInt32BE(a, 1);
    e.writeUInt16BE(b, 5);
    return e;
  };
  const xrefOffset = length;
  const rows = [entry(0, 0, 65535), ...offsets.map((o) => entry(1, o, 0)), entry(2, 5, 0), entry(1, xrefOffset, 0)];
  const xref = Buffer.concat(rows);
  parts.push(
    Buffer.concat([
      Buffer.from(`7 0 obj\n<< /Type /XRef /Size 8 /W [1 4 2] /Root 1 0 R /Length ${xref.length} >>\nstream\n`),
      xref,
      Buffer.from(`\nendstream\nendobj\nstartxref\n${xrefOffset}\n%%EOF\n`),
    ]),
  );
  return Buffer.concat(parts);
}

/**
 * An SVG of `elements` groups with `perElement` attributes each: `a0="VALUE"`, `a1="VALUE"`... on
 * every group or, with `distinct`, names never repeated in the file (the kind ExifTool is slowest
 * to read).
 */
export function svgWithAttributes(elements: number, perElement: number, opts: { distinct?: boolean; value?: string } = {}): Buffer {
  const value = opts.value ?? "";
  const head = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">');
  const tail = Buffer.from("</svg>");
  if (opts.distinct !== true) {
    let group = "<g";
    for (let i = 0; i < perElement; i++) group += ` a${i}="${value}"`;
    group += "/>";
    return Buffer.concat([head, Buffer.alloc(elements * group.length, group), tail]);
  }
  const groups: string[] = [];
  let n = 0;
  for (let e = 0; e < elements; e++) {
    let group = "<g";
    for (let i = 0; i < perElement; i++) group += ` a${n++}="${value}"`;
    groups.push(`${group}/>`);
  }
  return Buffer.concat([head, Buffer.from(groups.join("")), tail]);
}

/**
 * A DOCX whose content types part lists `count` overrides of `attributes` attributes each. Random
 * bytes in a part the cleaner drops unread make the file large enough (200 kB) for that much
 * markup to be within the budget of its size: the part is then refused by its shape.
 */
export function docxWithManyAttributes(count: number, attributes: number): Promise<Buffer> {
  let extra = "";
  for (let i = 0; i < attributes - 2; i++) extra += ` x${i}=""`;
  const override = `<Override PartName="/word/p.xml" ContentType="application/xml"${extra}/>`;
  return zip([
    ["[Content_Types].xml", CONTENT_TYPES.replace("</Types>", `${override.repeat(count)}</Types>`)],
    ["_rels/.rels", RELS],
    ["word/document.xml", Buffer.from(`<?xml version="1.0" encoding="UTF-8"?><w:document ${W}><w:body><w:p/></w:body></w:document>`)],
    ["customXml/filler.bin", crypto.randomBytes(200 * 1024)],
  ]);
}
