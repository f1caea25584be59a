import crypto from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import zlib from "node:zlib";
import { CONVERT, exiftool, run } from "./tools.js";

/**
 * PDFs with a marker in every metadata place the format has, made by hand (a text PDF that
 * pdftotext can read; ImageMagick would rasterise it), then edited by ExifTool, whose PDF
 * writes are incremental updates: the marker also sits in an older revision of the file.
 */

export type PdfVariant = "plain" | "object-streams" | "encrypted";

/** The text on the page: it must survive cleaning as it is. */
export const PDF_TEXT = "Quarterly figures are up";

/** The /ID the hand-made PDFs start with: a fingerprint that must not survive cleaning. */
export const ORIGINAL_ID = "0123456789abcdef0123456789abcdef";

export async function makeMarkedPdf(dir: string, variant: PdfVariant, marker: string): Promise<string> {
  const base = path.join(dir, `base-${variant}.pdf`);
  await fs.writeFile(base, pdfWithInnerMetadata(marker, await markedJpeg(dir, marker)));
  let file = base;
  if (variant === "object-streams") {
    // Object streams and compressed streams: the marker is only visible once inflated.
    file = path.join(dir, `objstm-${variant}.pdf`);
    await run("qpdf", ["--object-streams=generate", "--compress-streams=y", base, file]);
  }
  await exiftool([
    "-q", "-overwrite_original",
    `-PDF:Title=${marker}`, `-PDF:Author=${marker}`, `-PDF:Subject=${marker}`, `-PDF:Keywords=${marker}`,
    `-PDF:Creator=${marker}`, `-PDF:Producer=${marker}`,
    `-XMP-dc:Creator=${marker}`, `-XMP-dc:Rights=${marker}`, `-XMP-xmp:CreatorTool=${marker}`,
    file,
  ]);
  // A second incremental update: the marker now lives only in an earlier revision of Title.
  await exiftool(["-q", "-overwrite_original", "-PDF:Title=Second revision", "-XMP-dc:Title=Second revision", file]);
  if (variant !== "encrypted") return file;
  const out = path.join(dir, "encrypted.pdf");
  // Empty user password (opens without asking), an owner password, AES-256.
  await run("qpdf", ["--encrypt", "", "owner-secret", "256", "--", file, out]);
  return out;
}

/** A small photo as a camera would leave it: EXIF (with GPS), XMP and a comment. */
export async function markedJpeg(dir: string, marker: string): Promise<Buffer> {
  const file = path.join(dir, `photo-${crypto.randomUUID()}.jpg`);
  await run(CONVERT, ["-size", "8x8", "gradient:red-blue", "-quality", "90", file]);
  await exiftool(["-q", "-overwrite_original", `-EXIF:Artist=${marker}`, "-GPSLatitude=48.8584", "-GPSLatitudeRef=N", `-XMP-dc:Creator=${marker}`, `-Comment=${marker}`, file]);
  const bytes = await fs.readFile(file);
  await fs.rm(file);
  return bytes;
}

/**
 * One page with text, two image XObjects (a raw one and a JPEG), a text annotation and a signed
 * signature field; XMP on the catalog, the page and an image, application data (/PieceInfo) on
 * the page, the annotation's author and dates, and the signer's name, place and reason.
 */
function pdfWithInnerMetadata(marker: string, jpeg: Buffer): Buffer {
  const content = `BT /F1 18 Tf 36 100 Td (${PDF_TEXT}) Tj ET q 10 0 0 10 36 20 cm /Im1 Do Q q 40 0 0 40 100 20 cm /Im2 Do Q`;
  const xmp = (what: string): string =>
    `<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">` +
    `<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:description>${what} ${marker}</dc:description></rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end="w"?>`;
  const stream = (dict: string, data: string): string => `<< ${dict} /Length ${Buffer.byteLength(data, "latin1")} >>\nstream\n${data}\nendstream`;
  const date = "(D:20240315103000Z)";
  const objects = [
    "<< /Type /Catalog /Pages 2 0 R /Metadata 9 0 R /AcroForm << /Fields [12 0 R] /SigFlags 3 >> /Perms << /DocMDP 13 0 R >> >>",
    "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
    "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 400 150] /Contents 4 0 R " +
      "/Resources << /Font << /F1 5 0 R >> /XObject << /Im1 7 0 R /Im2 11 0 R >> >> /Metadata 6 0 R /Annots [10 0 R 12 0 R] " +
      `/LastModified ${date} /PieceInfo << /ExampleApp << /LastModified ${date} /Private (${marker}) >> >> >>`,
    stream("", content),
    "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    stream("/Type /Metadata /Subtype /XML", xmp("page")),
    stream("/Type /XObject /Subtype /Image /Width 1 /Height 1 /ColorSpace /DeviceGray /BitsPerComponent 8 /Metadata 8 0 R", "\x80"),
    stream("/Type /Metadata /Subtype /XML", xmp("image")),
    stream("/Type /Metadata /Subtype /XML", xmp("catalog")),
    `<< /Type /Annot /Subtype /Text /Rect [300 100 320 120] /Contents (A note) /T (${marker}) /M ${date} /CreationDate ${date} >>`,
    stream("/Type /XObject /Subtype /Image /Width 8 /Height 8 /ColorSpace /DeviceRGB /BitsPerComponent 8 /Filter /DCTDecode", jpeg.toString("latin1")),
    "<< /FT /Sig /T (Signature1) /V 13 0 R /Type /Annot /Subtype /Widget /Rect [0 0 0 0] /P 3 0 R /F 132 >>",
    `<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /adbe.pkcs7.detached /Name (${marker}) /M ${date} /Location (${marker}) /Reason (${marker}) /ContactInfo (${marker}) /ByteRange [0 0 0 0] /Contents <00> >>`,
  ];
  const id = `<${ORIGINAL_ID}>`;
  return assemblePdf(objects, `/ID [${id} ${id}]`);
}

/**
 * A PDF file from its objects (object 1 is the catalog), written in latin1 so that binary
 * stream data passes through as bytes; `trailer` adds entries to the trailer.
 */
export function assemblePdf(objects: readonly string[], trailer = ""): Buffer {
  let body = "%PDF-1.7\n";
  const offsets: number[] = [];
  objects.forEach((o, i) => {
    offsets.push(Buffer.byteLength(body, "latin1"));
    body += `${i + 1} 0 obj\n${o}\nendobj\n`;
  });
  const xref = Buffer.byteLength(body, "latin1");
  body += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const off of offsets) body += `${String(off).padStart(10, "0")} 00000 n \n`;
  body += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R ${trailer} >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(body, "latin1");
}

/**
 * A one-page PDF showing PDF_TEXT (objects 1 to 5: catalog, page tree, page, content, font), with
 * `catalog` added to its catalog, `more` objects after those (numbered from 6) and `trailer`
 * added to its trailer (an `/Info` dictionary of its own, say).
 */
export function textPagePdf(opts: { catalog?: string; more?: readonly string[]; trailer?: string } = {}): Buffer {
  const content = `BT /F1 18 Tf 36 100 Td (${PDF_TEXT}) Tj ET`;
  return assemblePdf(
    [
      `<< /Type /Catalog /Pages 2 0 R ${opts.catalog ?? ""}>>`,
      "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
      "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 400 150] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
      streamObject("", content),
      "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
      ...(opts.more ?? []),
    ],
    opts.trailer,
  );
}

/**
 * A one-page PDF showing an 8x8 grey image compressed with Flate (as PNG-like pictures are stored),
 * with `marker` as its Info Author.
 */
export function pdfWithFlateImage(marker: string): Buffer {
  const grey = Buffer.from(Array.from({ length: 64 }, (_, i) => i * 4));
  return pdfWithImage(marker, streamObject("/Type /XObject /Subtype /Image /Width 8 /Height 8 /ColorSpace /DeviceGray /BitsPerComponent 8", grey, true));
}

/**
 * The same with a JPEG 2000 picture (`jp2`, a JP2 file or a bare codestream) of `size` pixels
 * square, as scanners and PDF printers embed them; `stored` puts other filters before the JPX
 * (`filter`, e.g. `[/FlateDecode /JPXDecode]`, with the bytes as `encode` writes them).
 */
export function pdfWithJpxImage(marker: string, jp2: Buffer, size = 8, stored?: { filter: string; encode(data: Buffer): Buffer }): Buffer {
  const data = stored?.encode(jp2) ?? jp2;
  const filter = stored?.filter ?? "/JPXDecode";
  return pdfWithImage(marker, `<< /Type /XObject /Subtype /Image /Width ${size} /Height ${size} /Filter ${filter} /Length ${data.length} >>\nstream\n${data.toString("latin1")}\nendstream`);
}

function pdfWithImage(marker: string, image: string): Buffer {
  return assemblePdf(
    [
      "<< /Type /Catalog /Pages 2 0 R >>",
      "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
      "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 8 8] /Contents 4 0 R /Resources << /XObject << /Im 5 0 R >> >> >>",
      streamObject("", "8 0 0 8 0 0 cm /Im Do"),
      image,
      `<< /Author ${pdfString(marker)} >>`,
    ],
    "/Info 6 0 R",
  );
}

/** A stream object; the data is latin1 (bytes), compressed with Flate when `deflate` says so. */
export function streamObject(dict: string, data: string | Buffer, deflate = false): string {
  const raw = typeof data === "string" ? Buffer.from(data, "latin1") : data;
  const stored = deflate ? zlib.deflateSync(raw) : raw;
  const filter = deflate ? " /Filter /FlateDecode" : "";
  return `<< ${dict}${filter} /Length ${stored.length} >>\nstream\n${stored.toString("latin1")}\nendstream`;
}

/** A PDF literal string: backslashes and parentheses escaped. */
function pdfString(text: string): string {
  return `(${text.replace(/[\\()]/g, (c) => `\\${c}`)})`;
}

/** Where a camera-roll photo sat on its owner's disk; the owner's name is the marker. */
export function attachedPhotoPath(marker: string): string {
  return `C:\\Users\\${marker}\\Pictures\\holiday.jpg`;
}

export const ATTACHED_PHOTO = "holiday.jpg";
export const ATTACHED_REPORT = "draft.pdf";

export interface AttachmentPdf {
  file: string;
  /** The attached photo as it was put in (its pixels must survive). */
  photo: string;
}

/**
 * A one-page text PDF with attached files in both places a PDF keeps them, each with the marker
 * in its data, its file specification (a stored Windows path with the owner's name, a
 * description) and its stream parameters (dates, checksum):
 * - in the document's attachment list (a two-level /EmbeddedFiles name tree keyed by the path):
 *   `holiday.jpg`, a photo with EXIF (artist, GPS), XMP and a comment, Flate-compressed;
 * - in a file-attachment annotation on the page (a reviewer's paperclip, its note and author
 *   marked): `draft.pdf`, a PDF with the marker in its Info and, attached to it in turn, the
 *   same photo (`nested: false` leaves this one out).
 * The page also has a link and an article thread whose information names the marker as author;
 * the catalog says how to open it (attachments panel, one column) and its language.
 * `inner` replaces the photo's data (a font no cleaner handles, say); `note` replaces the marker
 * in the annotation's comment text (which `keep=comments` keeps).
 */
export async function makePdfWithAttachments(
  dir: string,
  marker: string,
  opts: { inner?: Buffer; nested?: boolean; note?: string } = {},
): Promise<AttachmentPdf> {
  const photo = path.join(dir, `attached-${crypto.randomUUID()}.jpg`);
  await fs.writeFile(photo, await markedJpeg(dir, marker));
  const data = opts.inner ?? (await fs.readFile(photo));
  const note = opts.note ?? marker;
  const report = opts.nested === false ? null : attachmentPdf(marker, note, data, null);
  const file = path.join(dir, `attachments-${crypto.randomUUID()}.pdf`);
  await fs.writeFile(file, attachmentPdf(marker, note, data, report));
  return { file, photo };
}

/** `note` is the text of the attachment annotation (its comment), `marker` everything else. */
function attachmentPdf(marker: string, note: string, photo: Buffer, report: Buffer | null): Buffer {
  const content = `BT /F1 18 Tf 36 100 Td (${PDF_TEXT}) Tj ET`;
  const date = "(D:20240315103000Z)";
  const photoPath = pdfString(attachedPhotoPath(marker));
  const reportPath = pdfString(`/home/${marker}/Documents/${ATTACHED_REPORT}`);
  const md5 = crypto.createHash("md5").update(photo).digest("hex");
  const annots = report == null ? "[14 0 R]" : "[9 0 R 14 0 R]";
  const objects = [
    "<< /Type /Catalog /Pages 2 0 R /Names << /EmbeddedFiles 6 0 R >> /Threads [12 0 R] /PageMode /UseAttachments /PageLayout /OneColumn /Lang (en-GB) >>",
    "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
    `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 400 150] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> /Annots ${annots} /B [13 0 R] >>`,
    streamObject("", content),
    "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    "<< /Kids [7 0 R] >>",
    `<< /Limits [${photoPath} ${photoPath}] /Names [${photoPath} 8 0 R] >>`,
    `<< /Type /Filespec /F ${photoPath} /UF ${photoPath} /Desc (Holiday photo of ${marker}) /EF << /F 10 0 R /UF 10 0 R >> >>`,
    `<< /Type /Annot /Subtype /FileAttachment /Rect [360 110 380 130] /FS 11 0 R /Name /Paperclip /Contents (Draft from ${note}) /T (${marker}) /M ${date} >>`,
    streamObject(`/Type /EmbeddedFile /Subtype /image#2Fjpeg /Params << /Size ${photo.length} /CreationDate ${date} /ModDate ${date} /CheckSum <${md5}> >>`, photo, true),
    `<< /Type /Filespec /F ${reportPath} /Desc (Draft by ${marker}) /EF << /F 15 0 R >> >>`,
    `<< /Type /Thread /I << /Title (Story by ${marker}) /Author (${marker}) /CreationDate ${date} >> /F 13 0 R >>`,
    "<< /Type /Bead /T 12 0 R /N 13 0 R /V 13 0 R /P 3 0 R /R [36 90 300 130] >>",
    "<< /Type /Annot /Subtype /Link /Rect [36 20 200 40] /Border [0 0 0] /A << /S /URI /URI (https://example.com/) >> >>",
    streamObject("/Type /EmbeddedFile /Subtype /application#2Fpdf", report ?? Buffer.alloc(0), true),
  ];
  return assemblePdf(objects, `/Info << /Author (${marker}) /Title (Report of ${marker}) >>`);
}

/** What a person sees: the text pdftotext extracts, the number of pages, and a hash of the rendered pages. */
export async function pdfContent(file: string): Promise<{ text: string; pages: number; rendering: string }> {
  const text = (await run("pdftotext", ["-layout", file, "-"])).stdout.toString("utf8");
  const pages = Number((await run("qpdf", ["--show-npages", file])).stdout.toString("utf8").trim());
  // The page as drawn, without annotations: whether the review annotations go or stay is
  // checked on its own (the page's annotation list).
  const ppm = (await run("pdftoppm", ["-r", "36", "-hide-annotations", file])).stdout;
  return { text, pages, rendering: crypto.createHash("sha256").update(ppm).digest("hex") };
}

/**
 * The review annotations of `makePdfWithReviewAnnotations`, a note's pop-up window aside; the
 * last is no subtype of the PDF specification, a viewer's own markup.
 */
export const REVIEW_SUBTYPES = [
  "Text", "FreeText", "Highlight", "Underline", "StrikeOut", "Squiggly", "Caret", "Ink", "Stamp",
  "Square", "Circle", "Line", "Polygon", "PolyLine", "Sound", "Redact", "AcmeReviewMark",
];

/**
 * A one-page text PDF reviewed in a PDF viewer: a sticky note with its pop-up window, a
 * comment box, text markup, a caret, a drawing, a stamp, shapes and lines, a voice note, a
 * redaction mark not yet applied and a viewer's own markup, each with `note` in its text (plain
 * and rich; the voice note's recording too) and `author` as its author, with creation and
 * modification dates; a reply to the note. Beside them, what is not review: a link and a
 * filled-in text field (with its widget).
 */
export async function makePdfWithReviewAnnotations(dir: string, author: string, note: string): Promise<string> {
  const date = "(D:20240315103000Z)";
  const quad = "/QuadPoints [36 120 300 120 36 98 300 98]";
  const markup = (subtype: string, extra: string): string =>
    `<< /Type /Annot /Subtype /${subtype} /Rect [36 98 300 120] /Contents (${subtype} ${note}) /T (${author}) /M ${date} /CreationDate ${date} ` +
    `/RC (<body><p>${note}</p></body>) /Subj (Comment) /C [1 1 0] ${extra} >>`;
  const appearance = streamObject("/Type /XObject /Subtype /Form /BBox [0 0 60 20]", "1 0 0 rg 0 0 60 20 re f");
  const objects = [
    "<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [18 0 R] /NeedAppearances true /DA (/F1 10 Tf 0 g) /DR << /Font << /F1 5 0 R >> >> >> >>",
    "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
    "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 400 150] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> " +
      "/Annots [6 0 R 7 0 R 8 0 R 9 0 R 10 0 R 11 0 R 12 0 R 13 0 R 14 0 R 15 0 R 16 0 R 17 0 R 18 0 R 19 0 R " +
      "21 0 R 22 0 R 23 0 R 24 0 R 25 0 R 26 0 R 27 0 R 29 0 R] >>",
    streamObject("", `BT /F1 18 Tf 36 100 Td (${PDF_TEXT}) Tj ET`),
    "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    markup("Text", "/Name /Comment /Open false /Popup 7 0 R"),
    `<< /Type /Annot /Subtype /Popup /Rect [300 60 400 140] /Parent 6 0 R /Open false /T (${author}) /M ${date} >>`,
    markup("FreeText", "/DA (/Helv 10 Tf 0 g)"),
    markup("Highlight", quad),
    markup("Underline", quad),
    markup("StrikeOut", quad),
    markup("Squiggly", quad),
    markup("Caret", ""),
    markup("Ink", "/InkList [[40 100 80 110 120 100]] /AP << /N 20 0 R >>"),
    markup("Stamp", "/Name /Approved /AP << /N 20 0 R >>"),
    markup("Text", "/IRT 6 0 R /RT /R /Name /Comment"),
    "<< /Type /Annot /Subtype /Link /Rect [36 20 200 40] /Border [0 0 0] /A << /S /URI /URI (https://example.com/) >> >>",
    "<< /Type /Annot /Subtype /Widget /FT /Tx /T (name) /V (Jane) /Rect [220 20 380 40] /F 4 /DA (/F1 10 Tf 0 g) /P 3 0 R >>",
    "<< /Type /Annot /Subtype /Link /Rect [36 60 200 80] /Border [0 0 0] /Dest [3 0 R /Fit] >>",
    appearance,
    markup("Square", "/BS << /W 1 >>"),
    markup("Circle", "/IC [0 0 1]"),
    markup("Line", "/L [36 90 300 90] /LE [/None /OpenArrow]"),
    markup("Polygon", "/Vertices [40 100 80 110 120 100]"),
    markup("PolyLine", "/Vertices [40 100 80 110 120 100]"),
    markup("Sound", "/Sound 28 0 R /Name /Speaker"),
    markup("Redact", `${quad} /OverlayText (${note})`),
    streamObject("/Type /Sound /R 8000 /B 8 /C 1 /E /Raw", `${note} `.repeat(8)),
    `<< /Type /Annot /Subtype /AcmeReviewMark /Rect [36 98 300 120] /Contents (Mark ${note}) /T (${author}) /CreationDate ${date} >>`,
  ];
  const file = path.join(dir, `reviewed-${crypto.randomUUID()}.pdf`);
  await fs.writeFile(file, assemblePdf(objects));
  return file;
}

/** The annotations of each page, as qpdf reads them: subtype and the entries each has. */
export async function pageAnnotations(file: string): Promise<Array<{ subtype: string; keys: string[] }>> {
  const { stdout } = await run("qpdf", ["--json-output=2", "--json-key=qpdf", "--json-stream-data=none", file, "-"]);
  const objects = (JSON.parse(stdout.toString("utf8")) as { qpdf: [unknown, Record<string, { value?: Record<string, unknown> }>] }).qpdf[1];
  const value = (ref: unknown): Record<string, unknown> | undefined => (typeof ref === "string" ? objects[`obj:${ref}`]?.value : undefined);
  const out: Array<{ subtype: string; keys: string[] }> = [];
  for (const obj of Object.values(objects)) {
    if (obj.value?.["/Type"] !== "/Page") continue;
    // The list may be an object of its own.
    const annots = typeof obj.value["/Annots"] === "string" ? objects[`obj:${obj.value["/Annots"]}`]?.value : obj.value["/Annots"];
    const list = Array.isArray(annots) ? annots : [];
    for (const a of list) {
      const dict = typeof a === "string" ? value(a) : (a as Record<string, unknown>);
      if (dict == null) continue;
      out.push({ subtype: String(dict["/Subtype"]).slice(1), keys: Object.keys(dict) });
    }
  }
  return out;
}

/** The attached files of a PDF (its /EmbeddedFiles list), as qpdf lists them: name -> data. */
export async function attachedFiles(file: string): Promise<Map<string, Buffer>> {
  const listing = (await run("qpdf", ["--list-attachments", file])).stdout.toString("utf8");
  const out = new Map<string, Buffer>();
  for (const line of listing.split("\n")) {
    const m = /^(.+?) -> \d+,\d+$/.exec(line);
    if (m == null) continue;
    out.set(m[1]!, (await run("qpdf", [`--show-attachment=${m[1]!}`, file])).stdout);
  }
  return out;
}

/** The full dictionary of each file specification of the PDF, as qpdf's JSON spells it. */
export async function fileSpecs(file: string): Promise<Array<Record<string, unknown>>> {
  const { stdout } = await run("qpdf", ["--json-output=2", "--json-key=qpdf", "--json-stream-data=none", file, "-"]);
  const objects = (JSON.parse(stdout.toString("utf8")) as { qpdf: [unknown, Record<string, { value?: unknown }>] }).qpdf[1];
  const specs: Array<Record<string, unknown>> = [];
  const visit = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(visit);
    else if (v != null && typeof v === "object") {
      const d = v as Record<string, unknown>;
      if ("/EF" in d) specs.push(d);
      Object.values(d).forEach(visit);
    }
  };
  for (const obj of Object.values(objects)) visit(obj.value);
  return specs;
}

/** A TrueType font (a type no cleaner handles) whose name table holds the marker. */
export function markedFont(marker: string): Buffer {
  const name = Buffer.from(`Font of ${marker}`, "utf16le").swap16();
  const record = Buffer.alloc(12);
  // Windows, Unicode BMP, en-US, the full font name.
  [3, 1, 0x409, 4, name.length, 0].forEach((v, i) => record.writeUInt16BE(v, i * 2));
  const table = Buffer.concat([Buffer.from([0, 0, 0, 1, 0, 18]), record, name]);
  const header = Buffer.alloc(28);
  header.writeUInt32BE(0x00010000, 0);
  header.writeUInt16BE(1, 4);
  header.write("name", 12, "latin1");
  header.writeUInt32BE(28, 20);
  header.writeUInt32BE(table.length, 24);
  return Buffer.concat([header, table]);
}

/**
 * A one-page PDF showing a CMYK JPEG as a photo editor saves it: with the Adobe APP14 segment
 * (how to read its colour channels), EXIF with the marker as artist.
 */
export async function makePdfWithCmykJpeg(dir: string, marker: string): Promise<string> {
  const jpeg = path.join(dir, `cmyk-${crypto.randomUUID()}.jpg`);
  await run(CONVERT, ["-size", "16x16", "gradient:red-blue", "-colorspace", "CMYK", "-quality", "90", jpeg]);
  await exiftool(["-q", "-overwrite_original", `-EXIF:Artist=${marker}`, jpeg]);
  const data = await fs.readFile(jpeg);
  if (data.indexOf("Adobe") < 0) throw new Error("ImageMagick wrote a CMYK JPEG without an Adobe APP14 segment");
  const objects = [
    "<< /Type /Catalog /Pages 2 0 R >>",
    "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
    "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 400 150] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> /XObject << /Im1 6 0 R >> >> >>",
    streamObject("", `BT /F1 18 Tf 36 100 Td (${PDF_TEXT}) Tj ET q 40 0 0 40 300 20 cm /Im1 Do Q`),
    "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    streamObject("/Type /XObject /Subtype /Image /Width 16 /Height 16 /ColorSpace /DeviceCMYK /BitsPerComponent 8 /Decode [1 0 1 0 1 0 1 0] /Filter /DCTDecode", data),
  ];
  const file = path.join(dir, `cmyk-${crypto.randomUUID()}.pdf`);
  await fs.writeFile(file, assemblePdf(objects));
  return file;
}

/** The JavaScript actions of `makePdfWithScripts`, each counted once. */
export const SCRIPT_COUNT = 11;

/**
 * A one-page text PDF with JavaScript everywhere a viewer runs it, each script naming `marker`
 * (and phoning home with it): a document script (the /Names /JavaScript tree), an /OpenAction
 * followed by a jump to the page (which must stay), the catalog's on-close action, the page's
 * on-open action (its code in a compressed stream), a bookmark, a link running a script and
 * one to a `javascript:` URI, a filled-in text field with keystroke and format scripts, a
 * push button that submits the form, and a calculated field. Beside them, a plain web link.
 */
export async function makePdfWithScripts(dir: string, marker: string): Promise<string> {
  const js = (what: string): string => `<< /S /JavaScript /JS ${pdfString(`app.alert("${what} ${marker}"); this.submitForm("https://example.com/${marker}");`)} >>`;
  const field = "/Type /Annot /Subtype /Widget /F 4 /DA (/F1 10 Tf 0 g) /P 3 0 R";
  const objects = [
    "<< /Type /Catalog /Pages 2 0 R /Names << /JavaScript 6 0 R >> /OpenAction 8 0 R " +
      `/AA << /WC ${js("closing")} >> /Outlines 10 0 R ` +
      "/AcroForm << /Fields [13 0 R 14 0 R 15 0 R] /CO [15 0 R] /NeedAppearances true /DA (/F1 10 Tf 0 g) /DR << /Font << /F1 5 0 R >> >> >> >>",
    "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
    "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 400 150] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> " +
      "/AA << /O 9 0 R >> /Annots [16 0 R 17 0 R 18 0 R 13 0 R 14 0 R 15 0 R] >>",
    streamObject("", `BT /F1 18 Tf 36 100 Td (${PDF_TEXT}) Tj ET`),
    "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    "<< /Names [(init) 7 0 R] >>",
    js("document"),
    `<< /S /JavaScript /JS ${pdfString(`app.alert("opening ${marker}");`)} /Next << /S /GoTo /D [3 0 R /Fit] >> >>`,
    "<< /S /JavaScript /JS 12 0 R >>",
    "<< /Type /Outlines /First 11 0 R /Last 11 0 R /Count 1 >>",
    `<< /Title (Figures) /Parent 10 0 R /A ${js("bookmark")} >>`,
    streamObject("", `app.alert("page ${marker}");`, true),
    `<< ${field} /FT /Tx /T (name) /V (Jane) /Rect [220 60 380 80] /AA << /K ${js("keystroke")} /F ${js("format")} >> >>`,
    `<< ${field} /FT /Btn /Ff 65536 /T (send) /Rect [220 20 300 40] /MK << /CA (Send) >> /A ${js("button")} >>`,
    `<< ${field} /FT /Tx /T (total) /V (42) /Rect [310 20 380 40] /AA << /C ${js("calculate")} >> >>`,
    `<< /Type /Annot /Subtype /Link /Rect [36 20 100 40] /Border [0 0 0] /A ${js("link")} >>`,
    `<< /Type /Annot /Subtype /Link /Rect [100 20 160 40] /Border [0 0 0] /A << /S /URI /URI ${pdfString(`javascript:app.alert("${marker}")`)} >> >>`,
    "<< /Type /Annot /Subtype /Link /Rect [160 20 220 40] /Border [0 0 0] /A << /S /URI /URI (https://example.com/) >> >>",
  ];
  const file = path.join(dir, `scripts-${crypto.randomUUID()}.pdf`);
  await fs.writeFile(file, assemblePdf(objects));
  return file;
}

export const E_INVOICE_NAME = "factur-x.xml";

/** A Factur-X (EN 16931) invoice as the XML a ZUGFeRD/Factur-X PDF carries: the invoice's own data. */
export function facturXInvoice(): Buffer {
  return Buffer.from(
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
      "<!-- The legally binding invoice: it must come through byte for byte. -->\n" +
      '<rsm:CrossIndustryInvoice xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100" ' +
      'xmlns:ram="urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100" ' +
      'xmlns:udt="urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100">\n' +
      "  <rsm:ExchangedDocumentContext><ram:GuidelineSpecifiedDocumentContextParameter><ram:ID>urn:cen.eu:en16931:2017</ram:ID></ram:GuidelineSpecifiedDocumentContextParameter></rsm:ExchangedDocumentContext>\n" +
      '  <rsm:ExchangedDocument><ram:ID>RE-2026-0042</ram:ID><ram:TypeCode>380</ram:TypeCode><ram:IssueDateTime><udt:DateTimeString format="102">20261130</udt:DateTimeString></ram:IssueDateTime></rsm:ExchangedDocument>\n' +
      "  <rsm:SupplyChainTradeTransaction><ram:ApplicableHeaderTradeAgreement><ram:SellerTradeParty><ram:Name>Muster GmbH</ram:Name></ram:SellerTradeParty>" +
      "<ram:BuyerTradeParty><ram:Name>Beispiel AG</ram:Name></ram:BuyerTradeParty></ram:ApplicableHeaderTradeAgreement></rsm:SupplyChainTradeTransaction>\n" +
      "</rsm:CrossIndustryInvoice>\n",
    "utf8",
  );
}

/** A C2PA manifest store as a JUMBF superbox (labelled c2pa) whose claim names `marker` as tool and signer. */
export function c2paManifestStore(marker: string): Buffer {
  const box = (type: string, payload: Buffer): Buffer => {
    const head = Buffer.alloc(8);
    head.writeUInt32BE(8 + payload.length, 0);
    head.write(type, 4, "latin1");
    return Buffer.concat([head, payload]);
  };
  // The C2PA manifest store's JUMBF type: "c2pa" 0011 0010 8000 00AA00389B71; toggles 3 (requestable, labelled); label c2pa.
  const description = box("jumd", Buffer.concat([Buffer.from("6332706100110010800000aa00389b71", "hex"), Buffer.from([3]), Buffer.from("c2pa\0", "latin1")]));
  const claim = box("json", Buffer.from(JSON.stringify({ claim_generator: `PhotoTool of ${marker}/1.0`, signer: `Jane ${marker}` }), "utf8"));
  return box("jumb", Buffer.concat([description, claim]));
}

/** What a Factur-X PDF's XMP declares (PDF/A-3B, an EN 16931 invoice), as the cleaned copy must still declare it. */
export const FACTUR_X_DECLARATION = { Part: "3", Conformance: "B", DocumentType: "INVOICE", DocumentFileName: E_INVOICE_NAME, Version: "1.0", ConformanceLevel: "EN 16931" };

/**
 * A Factur-X PDF's XMP as an invoicing tool writes it: the PDF/A and invoice declaration (the
 * PDF/A part as an attribute, the rest as elements), the extension schema describing it, and
 * `marker` as creator, tool, document id and in the schema's own description.
 */
function facturXXmp(marker: string): string {
  const fx = "urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#";
  const property = (name: string, description: string): string =>
    `<rdf:li rdf:parseType="Resource"><pdfaProperty:name>${name}</pdfaProperty:name><pdfaProperty:valueType>Text</pdfaProperty:valueType>` +
    `<pdfaProperty:category>external</pdfaProperty:category><pdfaProperty:description>${description}</pdfaProperty:description></rdf:li>`;
  return (
    '<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">' +
    '<rdf:Description rdf:about="" xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id/" pdfaid:part="3" pdfaid:conformance="B"/>' +
    `<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmlns:xmpMM="http://ns.adobe.com/xap/1.0/mm/">` +
    `<dc:creator><rdf:Seq><rdf:li>${marker}</rdf:li></rdf:Seq></dc:creator><xmp:CreatorTool>Invoicer of ${marker}</xmp:CreatorTool><xmpMM:DocumentID>uuid:${marker}</xmpMM:DocumentID></rdf:Description>` +
    `<rdf:Description rdf:about="" xmlns:fx="${fx}"><fx:DocumentType>INVOICE</fx:DocumentType><fx:DocumentFileName>${E_INVOICE_NAME}</fx:DocumentFileName>` +
    "<fx:Version>1.0</fx:Version><fx:ConformanceLevel>EN 16931</fx:ConformanceLevel></rdf:Description>" +
    '<rdf:Description rdf:about="" xmlns:pdfaExtension="http://www.aiim.org/pdfa/ns/extension/" xmlns:pdfaSchema="http://www.aiim.org/pdfa/ns/schema#" xmlns:pdfaProperty="http://www.aiim.org/pdfa/ns/property#">' +
    `<pdfaExtension:schemas><rdf:Bag><rdf:li rdf:parseType="Resource"><pdfaSchema:schema>Factur-X schema by ${marker}</pdfaSchema:schema>` +
    `<pdfaSchema:namespaceURI>${fx}</pdfaSchema:namespaceURI><pdfaSchema:prefix>fx</pdfaSchema:prefix><pdfaSchema:property><rdf:Seq>` +
    property("DocumentFileName", `Set by ${marker}`) + property("DocumentType", "Type") + property("Version", "Version") + property("ConformanceLevel", "Level") +
    '</rdf:Seq></pdfaSchema:property></rdf:li></rdf:Bag></pdfaExtension:schemas></rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end="w"?>'
  );
}

/**
 * A one-page Factur-X PDF (PDF/A-3 style): the invoice XML attached with its relationship
 * (/Alternative) in the document's attachment list and associated files (/AF); and two C2PA
 * manifest stores, one attached as the C2PA specification says (/AFRelationship /C2PA_Manifest,
 * application/c2pa, in /AF), one known only by its bytes (an octet stream in the attachment
 * list); the XMP declaring it all (`facturXXmp`). `marker` is in the Info, the XMP, every file
 * specification (a stored path, a description), the invoice stream's dates and the manifests;
 * never in the invoice itself.
 */
export async function makeEInvoicePdf(dir: string, marker: string): Promise<string> {
  const invoice = facturXInvoice();
  const manifest = c2paManifestStore(marker);
  const date = "(D:20261130103000Z)";
  const invoicePath = pdfString(`C:\\Users\\${marker}\\Invoices\\${E_INVOICE_NAME}`);
  const objects = [
    "<< /Type /Catalog /Pages 2 0 R /Names << /EmbeddedFiles << /Names [(c2pa.bin) 10 0 R (factur-x.xml) 6 0 R] >> >> /AF [6 0 R 8 0 R] /Metadata 12 0 R >>",
    "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
    "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 400 150] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
    streamObject("", `BT /F1 18 Tf 36 100 Td (${PDF_TEXT}) Tj ET`),
    "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    `<< /Type /Filespec /F ${invoicePath} /UF ${invoicePath} /Desc (Invoice made by ${marker}) /AFRelationship /Alternative /EF << /F 7 0 R /UF 7 0 R >> >>`,
    streamObject(`/Type /EmbeddedFile /Subtype /text#2Fxml /Params << /Size ${invoice.length} /ModDate ${date} /CreationDate ${date} >>`, invoice, true),
    `<< /Type /Filespec /F (manifest.c2pa) /UF (manifest.c2pa) /Desc (Content Credentials of ${marker}) /AFRelationship /C2PA_Manifest /EF << /F 9 0 R >> >>`,
    streamObject("/Type /EmbeddedFile /Subtype /application#2Fc2pa", manifest),
    `<< /Type /Filespec /F (/home/${marker}/c2pa.bin) /EF << /F 11 0 R >> >>`,
    streamObject("/Type /EmbeddedFile /Subtype /application#2Foctet-stream", manifest, true),
    streamObject("/Type /Metadata /Subtype /XML", facturXXmp(marker), true),
  ];
  const file = path.join(dir, `e-invoice-${crypto.randomUUID()}.pdf`);
  await fs.writeFile(file, assemblePdf(objects, `/Info << /Author (${marker}) /Title (Invoice of ${marker}) >>`));
  return file;
}

/**
 * An Illustrator file (ExifTool's AI) as Illustrator saves one, after the samples in
 * metadata-extractor-images (`ai/`): a PDF whose page holds `/PieceInfo /Illustrator` with the
 * native document in private streams (its header names the author and the program), a layer whose
 * usage names its maker (`/CreatorInfo`), and the marker there, in the Info dictionary and in XMP.
 */
export async function makeIllustratorPdf(dir: string, marker: string): Promise<string> {
  const content = `/OC /MC0 BDC\nBT /F1 18 Tf 36 100 Td (${PDF_TEXT}) Tj ET\nEMC\n`;
  const objects = [
    "<< /Type /Catalog /Pages 2 0 R /OCProperties << /OCGs [5 0 R] /D << /Order [5 0 R] /ON [5 0 R] >> >> >>",
    "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
    "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 300 200] /Contents 4 0 R /Resources << /Font << /F1 6 0 R >> /Properties << /MC0 5 0 R >> >>" +
      " /PieceInfo << /Illustrator 7 0 R >> /LastModified (D:20140205132600-08'00') >>",
    streamObject("", content),
    `<< /Type /OCG /Name (Layer 1) /Usage << /CreatorInfo << /Creator (Adobe Illustrator ${marker}) /Subtype /Artwork >> >> >>`,
    "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    "<< /LastModified (D:20140205132600-08'00') /Private 8 0 R >>",
    "<< /AIMetaData 9 0 R /AIPrivateData1 10 0 R /ContainerVersion 11 /CreatorVersion 17 /NumBlock 1 /RoundtripVersion 17 >>",
    streamObject("", `%!PS-Adobe-3.0\n%%Creator: Adobe Illustrator(R) ${marker}\n%%For: (${marker}) ()\n%%Title: (${marker}.ai)\n%%CreationDate: 2/5/14 1:26 PM\n%%EndComments\n`),
    streamObject("", `%AI12_CompressedDataxxx native artwork of ${marker}`, true),
    `<< /Creator (Adobe Illustrator ${marker}) /Title (${marker}) >>`,
  ];
  const file = path.join(dir, "artwork.ai");
  await fs.writeFile(file, assemblePdf(objects, "/Info 11 0 R"));
  await exiftool(["-q", "-overwrite_original", `-XMP-xmp:CreatorTool=Adobe Illustrator ${marker}`, `-XMP-dc:Creator=${marker}`, file]);
  return file;
}

/**
 * A PDF as pdfTeX writes one that includes another PDF as a figure: the figure is a form XObject
 * whose dictionary keeps `/PTEX.FileName` (its path on the author's disk), `/PTEX.PageNumber` and
 * `/PTEX.InfoDict` (the figure's own document information); the marker is in the path and there.
 */
export async function makePdfWithIncludedFigure(dir: string, marker: string): Promise<string> {
  const objects = [
    "<< /Type /Catalog /Pages 2 0 R >>",
    "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
    "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 300 200] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> /XObject << /Im1 6 0 R >> >> >>",
    streamObject("", `BT /F1 18 Tf 36 150 Td (${PDF_TEXT}) Tj ET\nq 1 0 0 1 36 20 cm /Im1 Do Q\n`),
    "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    streamObject(
      `/Type /XObject /Subtype /Form /BBox [0 0 100 100] /PTEX.FileName (./figures/${marker}.pdf) /PTEX.PageNumber 1 /PTEX.InfoDict 7 0 R`,
      "0 0 1 rg 10 10 80 80 re f\n",
      true,
    ),
    `<< /Creator (LaTeX with hyperref ${marker}) /Producer (pdfTeX-1.40.25) /Title (${marker} figure) /CreationDate (D:20240101120000Z) >>`,
  ];
  const file = path.join(dir, "with-figure.pdf");
  await fs.writeFile(file, assemblePdf(objects));
  return file;
}

/**
 * `data` as PDF LZW (`/LZWDecode`) that stores every byte as a code of its own: 9-bit codes, most
 * significant bit first, the table cleared (code 256) before it would widen them, the end (257)
 * last. Any decoder reads it back (ExifTool's among them); its bytes show none of the text.
 */
export function lzwLiterals(data: Buffer): Buffer {
  const codes = [256];
  data.forEach((byte, i) => {
    // Each code after the first adds an entry: 250 stay below the 511 that widen the codes.
    if (i > 0 && i % 250 === 0) codes.push(256);
    codes.push(byte);
  });
  codes.push(257);
  const out = Buffer.alloc(Math.ceil((codes.length * 9) / 8));
  codes.forEach((code, i) => {
    for (let b = 0; b < 9; b++) {
      if ((code >> (8 - b)) & 1) out[(i * 9 + b) >> 3]! |= 0x80 >> ((i * 9 + b) & 7);
    }
  });
  return out;
}

/** `data` as ASCII85 (`/ASCII85Decode`), ending `~>`; its length is padded to whole groups with zeros. */
export function ascii85(data: Buffer): Buffer {
  const padded = Buffer.concat([data, Buffer.alloc((4 - (data.length % 4)) % 4)]);
  let out = "";
  for (let at = 0; at < padded.length; at += 4) {
    let word = padded.readUInt32BE(at);
    const group: string[] = [];
    for (let i = 0; i < 5; i++, word = Math.floor(word / 85)) group.unshift(String.fromCharCode(33 + (word % 85)));
    out += group.join("");
  }
  return Buffer.from(`${out}~>`, "latin1");
}

/**
 * `data` as ExifTool 13 reads `/ASCIIHexDecode` data (it deletes letters and digits, then takes each
 * character's low four bits): every half-byte written as one of ` !"#$%&'()*+,-./`. Other readers
 * find no hex digits in it.
 */
export function exifToolHex(data: Buffer): Buffer {
  const nibble = (n: number): number => 0x20 + n;
  return Buffer.from([...data].flatMap((b) => [nibble(b >> 4), nibble(b & 0x0f)]));
}
