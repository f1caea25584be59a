import { Readable } from "node:stream";
import zlib from "node:zlib";
import yazl from "yazl";
import { pngChunk } from "./make-images.js";

/**
 * Decompression bombs: small files that inflate to far more than they weigh. Each is made from
 * zeros or spaces at run time (no binary fixture), streamed through zlib so that the test itself
 * never holds the inflated size in memory.
 */

const MB = 1024 * 1024;

/** `size` bytes of `byte`, produced a megabyte at a time. */
function filler(size: number, byte: number): Readable {
  const chunk = Buffer.alloc(MB, byte);
  let left = size;
  return new Readable({
    read() {
      if (left <= 0) return void this.push(null);
      const n = Math.min(left, MB);
      left -= n;
      this.push(n === MB ? chunk : chunk.subarray(0, n));
    },
  });
}

async function collect(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** zlib (RFC 1950) of `prefix` followed by `size` bytes of `byte`. */
export async function deflated(size: number, byte = 0x61, prefix: Uint8Array = new Uint8Array(0)): Promise<Buffer> {
  const z = zlib.createDeflate({ level: 9 });
  const out = collect(z);
  z.write(prefix);
  for await (const c of filler(size, byte)) {
    if (!z.write(c as Buffer)) await new Promise((r) => z.once("drain", r));
  }
  z.end();
  return out;
}


/** Inserts chunks just before IEND of a valid PNG. */
function withChunks(png: Buffer, chunks: Buffer[]): Buffer {
  const iend = png.length - 12;
  return Buffer.concat([png.subarray(0, iend), ...chunks, png.subarray(iend)]);
}

/** A PNG with a zTXt comment that inflates to `size` bytes (200 MB fit in ~200 kB). */
export async function pngWithZtxtBomb(png: Buffer, size: number): Promise<Buffer> {
  const z = await deflated(size);
  return withChunks(png, [pngChunk("zTXt", Buffer.concat([Buffer.from("Comment\0\0", "latin1"), z]))]);
}

/** A PNG whose iCCP colour profile inflates to `size` bytes: a real profile header, then zeros. */
export async function pngWithIccpBomb(png: Buffer, size: number, profileHeader: Buffer): Promise<Buffer> {
  const z = await deflated(size, 0, profileHeader);
  return withChunks(png, [pngChunk("iCCP", Buffer.concat([Buffer.from("icc\0\0", "latin1"), z]))]);
}

/** A ZIP whose entry `bombName` inflates to `size` spaces; `parts` go in as they are. */
export async function zipWithBomb(parts: ReadonlyArray<[string, string]>, bombName: string, size: number): Promise<Buffer> {
  const z = new yazl.ZipFile();
  for (const [name, text] of parts) z.addBuffer(Buffer.from(text, "utf8"), name, { compress: name !== "mimetype" });
  z.addReadStream(filler(size, 0x20), bombName, { compress: true });
  z.end();
  return collect(z.outputStream);
}

const CORE_TYPES = `<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/><Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/></Types>`;
const RELS = `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="docProps/core.xml"/></Relationships>`;
const DOCUMENT = `<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>Hi</w:t></w:r></w:p></w:body></w:document>`;

/**
 * A DOCX whose core properties (the part ExifTool itself inflates whole in memory) are `size`
 * bytes of spaces.
 */
export function docxWithCoreBomb(size: number): Promise<Buffer> {
  return zipWithBomb([["[Content_Types].xml", CORE_TYPES], ["_rels/.rels", RELS], ["word/document.xml", DOCUMENT]], "docProps/core.xml", size);
}

const ODT_MANIFEST = `<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2"><manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.text"/><manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/><manifest:file-entry manifest:full-path="meta.xml" manifest:media-type="text/xml"/></manifest:manifest>`;
const ODT_CONTENT = `<?xml version="1.0" encoding="UTF-8"?><office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2"><office:body><office:text><text:p>Hi</text:p></office:text></office:body></office:document-content>`;

/** An ODT whose meta.xml is `size` bytes of spaces. */
export function odtWithMetaBomb(size: number): Promise<Buffer> {
  return zipWithBomb(
    [["mimetype", "application/vnd.oasis.opendocument.text"], ["META-INF/manifest.xml", ODT_MANIFEST], ["content.xml", ODT_CONTENT]],
    "meta.xml",
    size,
  );
}

/**
 * A one-page PDF whose XMP metadata stream (which ExifTool inflates to read) and page content
 * stream each inflate to `size` bytes.
 */
export async function pdfWithStreamBombs(size: number): Promise<Buffer> {
  const xmp = await deflated(size, 0x20, Buffer.from('<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/">', "latin1"));
  const content = await deflated(size, 0x20, Buffer.from("BT /F1 24 Tf 72 720 Td (Hi) Tj ET\n", "latin1"));
  const head = (dict: string, data: Buffer): Buffer =>
    Buffer.concat([Buffer.from(`<< ${dict} /Filter /FlateDecode /Length ${data.length} >>\nstream\n`, "latin1"), data, Buffer.from("\nendstream", "latin1")]);
  const objects: Buffer[] = [
    Buffer.from("<< /Type /Catalog /Pages 2 0 R /Metadata 6 0 R >>", "latin1"),
    Buffer.from("<< /Type /Pages /Kids [3 0 R] /Count 1 >>", "latin1"),
    Buffer.from("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>", "latin1"),
    head("", content),
    Buffer.from("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>", "latin1"),
    head("/Type /Metadata /Subtype /XML", xmp),
  ];
  const parts: Buffer[] = [Buffer.from("%PDF-1.4\n", "latin1")];
  let length = parts[0]!.length;
  const offsets: number[] = [];
  objects.forEach((o, i) => {
    offsets.push(length);
    const obj = Buffer.concat([Buffer.from(`${i + 1} 0 obj\n`, "latin1"), o, Buffer.from("\nendobj\n", "latin1")]);
    parts.push(obj);
    length += obj.length;
  });
  let tail = `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const off of offsets) tail += `${String(off).padStart(10, "0")} 00000 n \n`;
  tail += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${length}\n%%EOF\n`;
  parts.push(Buffer.from(tail, "latin1"));
  return Buffer.concat(parts);
}

/** A one-page PDF with an attached file (in its /EmbeddedFiles list) that inflates to `size` bytes. */
export async function pdfWithAttachmentBomb(size: number): Promise<Buffer> {
  const data = await deflated(size, 0x20, Buffer.from("%PDF-1.4\n", "latin1"));
  const objects: Buffer[] = [
    Buffer.from("<< /Type /Catalog /Pages 2 0 R /Names << /EmbeddedFiles << /Names [(big.pdf) 4 0 R] >> >> >>", "latin1"),
    Buffer.from("<< /Type /Pages /Kids [3 0 R] /Count 1 >>", "latin1"),
    Buffer.from("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>", "latin1"),
    Buffer.from("<< /Type /Filespec /F (big.pdf) /UF (big.pdf) /EF << /F 5 0 R >> >>", "latin1"),
    Buffer.concat([Buffer.from(`<< /Type /EmbeddedFile /Filter /FlateDecode /Length ${data.length} >>\nstream\n`, "latin1"), data, Buffer.from("\nendstream", "latin1")]),
  ];
  const parts: Buffer[] = [Buffer.from("%PDF-1.7\n", "latin1")];
  let length = parts[0]!.length;
  const offsets: number[] = [];
  objects.forEach((o, i) => {
    offsets.push(length);
    const obj = Buffer.concat([Buffer.from(`${i + 1} 0 obj\n`, "latin1"), o, Buffer.from("\nendobj\n", "latin1")]);
    parts.push(obj);
    length += obj.length;
  });
  let tail = `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const off of offsets) tail += `${String(off).padStart(10, "0")} 00000 n \n`;
  tail += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${length}\n%%EOF\n`;
  parts.push(Buffer.from(tail, "latin1"));
  return Buffer.concat(parts);
}
