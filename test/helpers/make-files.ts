import fs from "node:fs/promises";
import path from "node:path";
import yazl from "yazl";
import { CONVERT, exiftool, run } from "./tools.js";

/**
 * Small files of each family with known metadata, made fresh by the tools themselves
 * (ImageMagick, ffmpeg, the bundled ExifTool) so that no binary fixture needs to be trusted.
 */

export async function makeJpeg(dir: string, name = "photo.jpg"): Promise<string> {
  const file = path.join(dir, name);
  await run(CONVERT, ["-size", "96x64", "gradient:red-blue", file]);
  await exiftool([
    "-q",
    "-overwrite_original",
    "-EXIF:Make=Canon",
    "-EXIF:Model=EOS R5",
    "-EXIF:ISO=100",
    "-EXIF:ExposureTime=0.001",
    "-EXIF:FNumber=2.8",
    "-EXIF:DateTimeOriginal=2024:03:15 10:30:00",
    "-EXIF:Artist=John Doe",
    "-EXIF:SerialNumber=SN-12345",
    "-EXIF:Software=ExampleEditor 2.1",
    "-GPSLatitude=48.8584",
    "-GPSLatitudeRef=N",
    "-GPSLongitude=2.2945",
    "-GPSLongitudeRef=E",
    "-IPTC:By-line=John Doe",
    "-IPTC:CopyrightNotice=© 2024",
    "-IPTC:Keywords=one",
    "-IPTC:Keywords=two",
    "-XMP-dc:Creator=John Doe",
    "-XMP-dc:Rights=All rights reserved",
    file,
  ]);
  // An embedded thumbnail: a binary value the API must describe, not dump.
  const thumb = path.join(dir, `thumb-${name}`);
  await run(CONVERT, ["-size", "16x16", "xc:green", thumb]);
  await exiftool(["-q", "-overwrite_original", `-ThumbnailImage<=${thumb}`, file]);
  await fs.rm(thumb);
  return file;
}

export async function makePng(dir: string): Promise<string> {
  const file = path.join(dir, "text.png");
  await run(CONVERT, ["-size", "32x32", "xc:orange", file]);
  await exiftool(["-q", "-overwrite_original", "-PNG:Author=Jane Roe", "-PNG:Comment=made for a test", "-PNG:Software=PaintThing", file]);
  return file;
}

/** A one-page PDF with real text (pdftotext can read it), Info set by ExifTool. */
export async function makePdf(dir: string): Promise<string> {
  const file = path.join(dir, "doc.pdf");
  await fs.writeFile(file, minimalTextPdf("Hello exifapi"));
  await exiftool(["-q", "-overwrite_original", "-PDF:Author=Jane Roe", "-PDF:Title=Quarterly report", "-PDF:Creator=WordThing", file]);
  return file;
}

export function minimalTextPdf(text: string): Buffer {
  const stream = `BT /F1 24 Tf 72 720 Td (${text}) Tj ET`;
  const objects = [
    "<< /Type /Catalog /Pages 2 0 R >>",
    "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
    "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
    `<< /Length ${stream.length} >>\nstream\n${stream}\nendstream`,
    "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
  ];
  let body = "%PDF-1.4\n";
  const offsets: number[] = [];
  objects.forEach((o, i) => {
    offsets.push(body.length);
    body += `${i + 1} 0 obj\n${o}\nendobj\n`;
  });
  const xref = body.length;
  body += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const off of offsets) body += `${String(off).padStart(10, "0")} 00000 n \n`;
  body += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(body, "latin1");
}

export async function makeMp3(dir: string): Promise<string> {
  const file = path.join(dir, "song.mp3");
  await run("ffmpeg", [
    "-nostdin", "-loglevel", "error", "-f", "lavfi", "-i", "sine=frequency=440:duration=1",
    "-metadata", "title=Test Song", "-metadata", "artist=The Testers", "-metadata", "album=Fixtures",
    "-id3v2_version", "3", "-write_id3v1", "1", "-y", file,
  ]);
  return file;
}

export async function makeMp4(dir: string): Promise<string> {
  const file = path.join(dir, "clip.mp4");
  await run("ffmpeg", [
    "-nostdin", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc=size=64x48:rate=10:duration=1",
    "-c:v", "mpeg4", "-metadata", "title=Holiday clip", "-metadata", "artist=Jane Roe", "-y", file,
  ]);
  return file;
}

/** A minimal valid DOCX, zipped by hand, whose core properties name an author. */
export async function makeDocx(dir: string): Promise<string> {
  const file = path.join(dir, "letter.docx");
  const zip = new yazl.ZipFile();
  const parts: Record<string, string> = {
    "[Content_Types].xml": `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/><Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/></Types>`,
    "_rels/.rels": `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="docProps/core.xml"/></Relationships>`,
    "word/document.xml": `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>Dear reader</w:t></w:r></w:p></w:body></w:document>`,
    "docProps/core.xml": `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><dc:creator>Jane Roe</dc:creator><cp:lastModifiedBy>John Doe</cp:lastModifiedBy><dcterms:created xsi:type="dcterms:W3CDTF">2024-03-15T10:30:00Z</dcterms:created></cp:coreProperties>`,
  };
  for (const [name, xml] of Object.entries(parts)) zip.addBuffer(Buffer.from(xml, "utf8"), name);
  zip.end();
  const chunks: Buffer[] = [];
  for await (const chunk of zip.outputStream) chunks.push(chunk as Buffer);
  await fs.writeFile(file, Buffer.concat(chunks));
  return file;
}
