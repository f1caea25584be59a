import fs from "node:fs/promises";
import path from "node:path";
import { CONVERT, EXIFTOOL, run } from "./tools.js";
import { zip } from "./make-office.js";
import { pngChunk } from "./make-images.js";

/**
 * Files that each give one kind of finding away, built fresh: pictures by ImageMagick, tags by
 * the bundled ExifTool, and by hand what no tool writes (PNG text chunks as image generators
 * leave them, a C2PA manifest's JUMBF boxes in a JPEG APP11 segment, a PDF with an attachment
 * and JavaScript, a ZIP glued after a JPEG's end).
 */

/** A textured picture (plasma with a fixed seed), so that a different picture really differs. */
export async function picture(dir: string, name: string, spec = "plasma:fractal", size = "160x120"): Promise<string> {
  const file = path.join(dir, name);
  await run(CONVERT, ["-seed", "3", "-size", size, spec, "-quality", "92", file]);
  return file;
}

/** A JPEG whose EXIF thumbnail is `thumbnailOf` (a picture file) scaled down to `size`. */
export async function withThumbnail(dir: string, main: string, thumbnailOf: string, extraTags: string[] = [], size = "80x60"): Promise<string> {
  // Always a JPEG: ExifTool writes only a JPEG as an EXIF thumbnail, whatever the main picture is.
  const thumb = path.join(dir, `thumb-${path.basename(main)}.jpg`);
  await run(CONVERT, [thumbnailOf, "-resize", `${size}!`, "-quality", "80", thumb]);
  await run(EXIFTOOL, ["-q", "-overwrite_original", `-ThumbnailImage<=${thumb}`, ...extraTags, main]);
  return main;
}


/** Inserts tEXt chunks right after a PNG's IHDR, where generators write them. */
export async function pngWithText(file: string, texts: Record<string, string>): Promise<string> {
  const png = await fs.readFile(file);
  const ihdrEnd = 8 + 8 + png.readUInt32BE(8) + 4;
  const chunks = Object.entries(texts).map(([k, v]) => pngChunk("tEXt", Buffer.from(`${k}\0${v}`, "latin1")));
  await fs.writeFile(file, Buffer.concat([png.subarray(0, ihdrEnd), ...chunks, png.subarray(ihdrEnd)]));
  return file;
}

function box(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(8 + data.length, 0);
  head.write(type, 4, "latin1");
  return Buffer.concat([head, data]);
}

/** A JUMBF superbox: its description box (a C2PA type UUID and a label), then its children. */
function superbox(type: string, label: string, ...children: Buffer[]): Buffer {
  const uuid = Buffer.concat([Buffer.from(type, "latin1"), Buffer.from("00110010800000aa00389b71", "hex")]);
  return box("jumb", Buffer.concat([box("jumd", Buffer.concat([uuid, Buffer.from([0x03]), Buffer.from(`${label}\0`, "latin1")])), ...children]));
}

/** CBOR of a map of short text keys to short text values (each under 256 bytes). */
function cborMap(map: Record<string, string>): Buffer {
  const text = (s: string): Buffer => {
    const b = Buffer.from(s, "utf8");
    return Buffer.concat([b.length < 24 ? Buffer.from([0x60 + b.length]) : Buffer.from([0x78, b.length]), b]);
  };
  const entries = Object.entries(map);
  return Buffer.concat([Buffer.from([0xa0 + entries.length]), ...entries.flatMap(([k, v]) => [text(k), text(v)])]);
}

/** Puts a C2PA manifest store (claim with its generator) in an APP11 segment after the SOI. */
export async function jpegWithC2pa(file: string, claimGenerator: string): Promise<string> {
  const claim = superbox("c2cl", "c2pa.claim", box("cbor", cborMap({ claim_generator: claimGenerator, "dc:format": "image/jpeg" })));
  const store = superbox("c2pa", "c2pa", superbox("c2ma", "urn:uuid:6b2f1f0e-8c5e-4f5e-9a53-1b7f5c0e2d11", claim));
  const head = Buffer.alloc(8);
  head.write("JP", 0, "latin1");
  head.writeUInt16BE(1, 2);
  head.writeUInt32BE(1, 4);
  const payload = Buffer.concat([head, store]);
  const marker = Buffer.alloc(4);
  marker.writeUInt16BE(0xffeb, 0);
  marker.writeUInt16BE(payload.length + 2, 2);
  const jpeg = await fs.readFile(file);
  await fs.writeFile(file, Buffer.concat([jpeg.subarray(0, 2), marker, payload, jpeg.subarray(2)]));
  return file;
}

/** Glues a ZIP archive after the JPEG's end, as "hide a file in a photo" tricks do. */
export async function jpegWithZipAfterEnd(file: string): Promise<string> {
  const archive = await zip([["secret.txt", "hidden behind the picture"]]);
  await fs.appendFile(file, archive);
  return file;
}

/** A one-page PDF with an attached file (an embedded-files name tree) and JavaScript run on opening. */
export function pdfWithAttachmentAndScript(): Buffer {
  const objects = [
    "<< /Type /Catalog /Pages 2 0 R /Names << /EmbeddedFiles << /Names [(notes.txt) 5 0 R] >> /JavaScript << /Names [(start) 7 0 R] >> >> /OpenAction 7 0 R >>",
    "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
    "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 100] /Contents 4 0 R /Resources << /Font << /F1 8 0 R >> >> >>",
    "<< /Length 37 >>\nstream\nBT /F1 12 Tf 20 50 Td (Report) Tj ET\nendstream",
    "<< /Type /Filespec /F (notes.txt) /UF (notes.txt) /EF << /F 6 0 R >> >>",
    "<< /Type /EmbeddedFile /Length 12 >>\nstream\nsecret notes\nendstream",
    "<< /S /JavaScript /JS (app.alert\\('opened'\\);) >>",
    "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
  ];
  return plainPdf(objects);
}

/** A one-page PDF with nothing but its text. */
export function plainTextPdf(): Buffer {
  return plainPdf([
    "<< /Type /Catalog /Pages 2 0 R >>",
    "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
    "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 100] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
    "<< /Length 37 >>\nstream\nBT /F1 12 Tf 20 50 Td (Report) Tj ET\nendstream",
    "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
  ]);
}

function plainPdf(objects: readonly string[]): Buffer {
  let body = "%PDF-1.7\n";
  const offsets: number[] = [];
  objects.forEach((o, i) => {
    offsets.push(Buffer.byteLength(body, "latin1"));
    body += `${i + 1} 0 obj\n${o}\nendobj\n`;
  });
  const xref = Buffer.byteLength(body, "latin1");
  body += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const off of offsets) body += `${String(off).padStart(10, "0")} 00000 n \n`;
  body += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(body, "latin1");
}
