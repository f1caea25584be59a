import crypto from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
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
async function markedJpeg(dir: string, marker: string): Promise<Buffer> {
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
  let body = "%PDF-1.6\n";
  const offsets: number[] = [];
  objects.forEach((o, i) => {
    offsets.push(Buffer.byteLength(body, "latin1"));
    body += `${i + 1} 0 obj\n${o}\nendobj\n`;
  });
  const xref = Buffer.byteLength(body, "latin1");
  body += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const off of offsets) body += `${String(off).padStart(10, "0")} 00000 n \n`;
  const id = `<${ORIGINAL_ID}>`;
  body += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R /ID [${id} ${id}] >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(body, "latin1");
}

/** What a person sees: the text pdftotext extracts, the number of pages, and a hash of the rendered pages. */
export async function pdfContent(file: string): Promise<{ text: string; pages: number; rendering: string }> {
  const text = (await run("pdftotext", ["-layout", file, "-"])).stdout.toString("utf8");
  const pages = Number((await run("qpdf", ["--show-npages", file])).stdout.toString("utf8").trim());
  const ppm = (await run("pdftoppm", ["-r", "36", file])).stdout;
  return { text, pages, rendering: crypto.createHash("sha256").update(ppm).digest("hex") };
}
