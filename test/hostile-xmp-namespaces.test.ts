import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import zlib from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { heifItemBytes, heifWithItems } from "./helpers/make-exif-blocks.js";
import { box, makeHeif, pngChunk } from "./helpers/make-images.js";
import { ascii85, assemblePdf, exifToolHex, lzwLiterals } from "./helpers/make-pdf.js";
import { makeMarkedJpeg, makeOffice, XML, zip } from "./helpers/make-office.js";
import { makeEps } from "./helpers/make-postscript.js";
import { readZip } from "./helpers/read-archives.js";
import { findMarker } from "./helpers/marker-scan.js";
import { expectQuickRefusal, REFUSAL_MS, TOO_COMPLEX } from "./helpers/quick-refusal.js";
import { cleanedCopyViaApi, removeViaApi } from "./helpers/remove-api.js";
import { postFile, type RunningServer, startServer } from "./helpers/server.js";
import { CONVERT, exiftool, ffmpegQuiet, pixelSignature, run } from "./helpers/tools.js";

/**
 * XMP declaring thousands of namespace URIs: ExifTool compares each new URI with all it knows
 * (its cost grows with their square), so 20,000 of them in 150 kB of deflated XMP held it past
 * its 60 s timeout, for extraction and again for the removal's re-read. Each such file is a quick
 * 422 now, while XMP of a few dozen namespaces, as real files hold, is read and removed.
 */

const MARKER = "Xmpnamespacemarker";
let dir: string;
let server: RunningServer;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-hostile-xmp-ns-"));
  server = await startServer();
});

afterAll(async () => {
  await server?.stop();
  if (dir != null) await fs.rm(dir, { recursive: true, force: true });
});

/** An XMP packet of one property in each of `n` namespaces of their own, all with the prefix "e". */
function xmpOfNamespaces(n: number, value: string): string {
  const descriptions = Array.from({ length: n }, (_, i) => `<rdf:Description rdf:about="" xmlns:e="http://example.com/ns/${i}/"><e:p${i}>${value}</e:p${i}></rdf:Description>`);
  return `<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">${descriptions.join("")}</rdf:RDF></x:xmpmeta><?xpacket end="w"?>`;
}

/** A PNG made by ImageMagick with `xmp` in a compressed iTXt chunk before its image data. */
async function pngWithXmp(name: string, xmp: string): Promise<string> {
  const plain = path.join(dir, `plain-${name}`);
  await run(CONVERT, ["-size", "16x16", "gradient:red-blue", plain]);
  const png = await fs.readFile(plain);
  const idat = png.indexOf("IDAT") - 4;
  const itxt = pngChunk("iTXt", Buffer.concat([Buffer.from("XML:com.adobe.xmp\0\x01\0\0\0", "latin1"), zlib.deflateSync(xmp)]));
  const file = path.join(dir, name);
  await fs.writeFile(file, Buffer.concat([png.subarray(0, idat), itxt, png.subarray(idat)]));
  return file;
}

/** A HEIC or AVIF (made by makeHeif in a folder of its own) with one more item: `xmp` deflated, as an XMP item says it may be. */
async function heifWithDeflatedXmp(kind: "heic" | "avif", name: string, xmp: string): Promise<Buffer> {
  const own = path.join(dir, `made-${name}`);
  await fs.mkdir(own);
  const made = await fs.readFile(await makeHeif(own, "heif-marker", kind));
  const data = zlib.deflateSync(xmp);
  return heifWithItems(made, [{ type: "mime", contentType: "application/rdf+xml", encoding: "deflate", extents: [[0, data.length] as [number, number]] }], data);
}

/** `xmp` in UTF-16 after a byte order mark, little- or big-endian, as ExifTool reads a sidecar in either. */
function utf16(xmp: string, order: "le" | "be"): Buffer {
  const le = Buffer.from(`\ufeff${xmp}`, "utf16le");
  return order === "le" ? le : le.swap16();
}

/** An EPS made by makeEps, 1,000 comment lines (80 kB) after its header, and `block` (if any) after them. */
async function epsWithLateXmp(name: string, block = ""): Promise<{ file: string; made: string }> {
  const own = path.join(dir, `made-${name}`);
  await fs.mkdir(own);
  const made = await makeEps(own, MARKER);
  const program = (await fs.readFile(made)).toString("latin1");
  const after = program.indexOf("%%EndComments\n") + "%%EndComments\n".length;
  const padding = `%${" ".repeat(78)}\n`.repeat(1_000);
  return { file: await written(name, Buffer.from(program.slice(0, after) + padding + block + program.slice(after), "latin1")), made };
}

/** `file` rendered by Ghostscript, as pixels. */
async function rendering(file: string): Promise<string> {
  const png = `${file}.png`;
  await run("/usr/bin/gs", ["-q", "-dSAFER", "-dBATCH", "-dNOPAUSE", "-sDEVICE=png16m", "-dEPSCrop", "-r72", `-sOutputFile=${png}`, file]);
  return pixelSignature(png);
}

async function written(name: string, data: Buffer): Promise<string> {
  const file = path.join(dir, name);
  await fs.writeFile(file, data);
  return file;
}

describe("XMP declaring thousands of namespaces", () => {
  it("in a PNG's compressed iTXt (20,000 URIs, 150 kB) is a quick 422 for removal and extraction", async () => {
    const file = await pngWithXmp("namespaces.png", xmpOfNamespaces(20_000, MARKER));
    await expectQuickRefusal(server, dir, "namespaces.png", await fs.readFile(file));
    const started = performance.now();
    const res = await postFile(`${server.baseUrl}/api/v1/extract`, { name: "namespaces.png", data: await fs.readFile(file) }, { headers: { "X-API-Key": server.apiKey } });
    expect(res.status).toBe(422);
    expect(((await res.json()) as { error: string }).error).toBe(TOO_COMPLEX);
    expect(performance.now() - started).toBeLessThan(REFUSAL_MS);
  }, 60_000);

  it("in a PNG's stored iTXt after its image data (20,000 URIs) is a quick 422", async () => {
    const plain = await pngWithXmp("before-pixels.png", xmpOfNamespaces(1, MARKER));
    const png = await fs.readFile(plain);
    const iend = png.lastIndexOf("IEND") - 4;
    const itxt = pngChunk("iTXt", Buffer.concat([Buffer.from("XML:com.adobe.xmp\0\0\0\0\0", "latin1"), Buffer.from(xmpOfNamespaces(20_000, MARKER))]));
    await expectQuickRefusal(server, dir, "after-pixels.png", Buffer.concat([png.subarray(0, iend), itxt, png.subarray(iend)]));
  }, 60_000);

  it("spelt by a PNG's pixels, stored uncompressed in its image data, which ExifTool steps over, is no refusal: the PNG is cleaned, its pixels unchanged", async () => {
    // Grey pixels whose values are the bytes of 20,000 declarations, deflated without compression:
    // the image data holds the text as it is, but for a block header every 64 kB.
    const text = Buffer.from(Array.from({ length: 20_000 }, (_, i) => `xmlns:e${i}="http://example.com/ns/${i}/" `).join(""), "latin1");
    const width = 1024;
    const rows = Math.ceil(text.length / width);
    const raw = Buffer.alloc(rows * (width + 1));
    for (let r = 0; r < rows; r++) text.copy(raw, r * (width + 1) + 1, r * width, Math.min(text.length, (r + 1) * width));
    const ihdr = Buffer.alloc(13);
    ihdr.writeUInt32BE(width, 0);
    ihdr.writeUInt32BE(rows, 4);
    ihdr[8] = 8;
    const png = Buffer.concat([Buffer.from("89504e470d0a1a0a", "hex"), pngChunk("IHDR", ihdr), pngChunk("tEXt", Buffer.from(`Author\0${MARKER}`, "latin1")), pngChunk("IDAT", zlib.deflateSync(raw, { level: 0 })), pngChunk("IEND", Buffer.alloc(0))]);
    expect(png.includes(Buffer.from('xmlns:e19999="http://example.com/ns/19999/"', "latin1"))).toBe(true);
    const file = await written("declaring-pixels.png", png);
    const { status, body, cleaned } = await removeViaApi(server, file);
    expect(status, JSON.stringify(body)).toBe(200);
    const out = path.join(dir, "cleaned-declaring-pixels.png");
    await fs.writeFile(out, cleaned!);
    expect(await findMarker(out, MARKER)).toEqual([]);
    expect(await pixelSignature(out)).toBe(await pixelSignature(file));
  }, 60_000);

  it("in a PDF's deflated metadata stream, its type spelt with escapes (20,000 URIs, 150 kB) is a quick 422", async () => {
    const xmp = zlib.deflateSync(xmpOfNamespaces(20_000, MARKER)).toString("latin1");
    const pdf = assemblePdf([
      "<< /Type /Catalog /Pages 2 0 R /Metadata 4 0 R >>",
      "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
      "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 100 100] >>",
      `<< /Type /Met#61data /Subtype /X#4dL /Filter /FlateDecode /Length ${xmp.length} >>\nstream\n${xmp}\nendstream`,
    ]);
    await expectQuickRefusal(server, dir, "namespaces.pdf", pdf);
  }, 60_000);

  it.each([
    ["LZW", "/LZWDecode", (xml: Buffer) => lzwLiterals(xml)],
    ["LZW within Flate", "[/FlateDecode /LZWDecode]", (xml: Buffer) => zlib.deflateSync(lzwLiterals(xml))],
    // Four more bytes after the zlib data: ExifTool pads a last short group with zeros, not "u".
    ["Flate within ASCII85", "[/ASCII85Decode /FlateDecode]", (xml: Buffer) => ascii85(Buffer.concat([zlib.deflateSync(xml), Buffer.alloc(4)]))],
    ["ExifTool's ASCIIHex", "/ASCIIHexDecode", exifToolHex],
    // Each hex layer halves the bytes: a 512-byte peek left zlib 64 bytes, too few to show the XML.
    ["Flate within ExifTool's ASCIIHex thrice", "[/ASCIIHexDecode /ASCIIHexDecode /ASCIIHexDecode /FlateDecode]", (xml: Buffer) => exifToolHex(exifToolHex(exifToolHex(zlib.deflateSync(xml))))],
    // Five layers: the peek undoes four, so a PDF naming a longer list is refused (it went through).
    ["Flate within ExifTool's ASCIIHex four times", "[/ASCIIHexDecode /ASCIIHexDecode /ASCIIHexDecode /ASCIIHexDecode /FlateDecode]", (xml: Buffer) => exifToolHex(exifToolHex(exifToolHex(exifToolHex(zlib.deflateSync(xml)))))],
    ["Flate five times, comments between the names", "[/FlateDecode %a\n/FlateDecode %b\r/FlateDecode/FlateDecode\n/FlateDecode]", (xml: Buffer) => [1, 2, 3, 4, 5].reduce((data) => zlib.deflateSync(data), xml)],
  ])("in a PDF's metadata stream coded as %s (20,000 URIs; ExifTool undoes it) is a quick 422", async (name, filter, encode) => {
    const xmp = encode(Buffer.from(xmpOfNamespaces(20_000, MARKER))).toString("latin1");
    const pdf = assemblePdf([
      "<< /Type /Catalog /Pages 2 0 R /Metadata 4 0 R >>",
      "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
      "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 100 100] >>",
      `<< /Type /Metadata /Subtype /XML /Filter ${filter} /Length ${xmp.length} >>\nstream\n${xmp}\nendstream`,
    ]);
    await expectQuickRefusal(server, dir, `namespaces-${name.replace(/ /g, "-")}.pdf`, pdf);
  }, 60_000);

  it("in a PDF's uncompressed metadata stream from the end of the screen's first 1 MB window on (20,000 URIs) is a quick 422", async () => {
    // Counted in the PDF screen's own pass over the file now, window by window.
    const xmp = `${" ".repeat((1 << 20) - 300)}${xmpOfNamespaces(20_000, MARKER)}`;
    const pdf = assemblePdf([
      "<< /Type /Catalog /Pages 2 0 R /Metadata 4 0 R >>",
      "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
      "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 100 100] >>",
      `<< /Type /Metadata /Subtype /XML /Length ${xmp.length} >>\nstream\n${xmp}\nendstream`,
    ]);
    await expectQuickRefusal(server, dir, "namespaces-stored.pdf", pdf);
  }, 60_000);

  it("in an encrypted PDF's metadata stream (RC4, opening without a password; 20,000 URIs) is a quick 422", async () => {
    const xmp = xmpOfNamespaces(20_000, MARKER);
    const plain = await written(
      "namespaces-plain.pdf",
      assemblePdf([
        "<< /Type /Catalog /Pages 2 0 R /Metadata 4 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 100 100] >>",
        `<< /Type /Metadata /Subtype /XML /Length ${xmp.length} >>\nstream\n${xmp}\nendstream`,
      ]),
    );
    const encrypted = path.join(dir, "namespaces-encrypted.pdf");
    await run("qpdf", ["--allow-weak-crypto", "--encrypt", "", "owner-secret", "128", "--use-aes=n", "--", plain, encrypted]);
    const stored = await fs.readFile(encrypted);
    expect(stored.includes("xmlns:")).toBe(false);
    await expectQuickRefusal(server, dir, "namespaces-encrypted.pdf", stored);
  }, 60_000);

  it("a PDF of 300,000 stream keywords each before a zlib header, and no object, is a quick 422 (the count's peeks took 14 s)", async () => {
    const peek = Buffer.concat([Buffer.from("stream\n", "latin1"), Buffer.from([0x78, 0x9c, 0, 0, 0, 0, 0, 0])]);
    const pdf = Buffer.concat([Buffer.from("%PDF-1.4\n"), Buffer.alloc(300_000 * peek.length).fill(peek), Buffer.from("%%EOF\n")]);
    await expectQuickRefusal(server, dir, "streams.pdf", pdf);
  }, 60_000);

  it("in a DOCX's core properties (20,000 URIs, 150 kB; ExifTool parses them as XML: 22 s of CPU) is a quick 422", async () => {
    const real = await makeOffice("docx", MARKER, await makeMarkedJpeg(dir, MARKER));
    const parts = (await readZip(real.bytes)).members.map(({ name, data }): [string, Buffer] => [name, data]);
    const declared = Array.from({ length: 20_000 }, (_, i) => `<e:p${i} xmlns:e="http://example.com/ns/${i}/">v</e:p${i}>`).join("");
    const core = `${XML}<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/">${declared}<dc:creator>${MARKER}</dc:creator></cp:coreProperties>`;
    const docx = await zip([...parts.filter(([name]) => name !== "docProps/core.xml"), ["docProps/core.xml", core]]);
    await expectQuickRefusal(server, dir, "namespaces.docx", docx);
    // The same document as made is cleaned.
    const { status, body } = await removeViaApi(server, await written("made.docx", real.bytes));
    expect(status, JSON.stringify(body)).toBe(200);
  }, 60_000);

  it("in an XMP sidecar file (20,000 URIs) is a quick 422", async () => {
    await expectQuickRefusal(server, dir, "namespaces.xmp", Buffer.from(xmpOfNamespaces(20_000, MARKER)));
  }, 60_000);

  it("of a few dozen namespaces, as real files declare, is read and removed, the picture unchanged", async () => {
    const file = await pngWithXmp("dozens.png", xmpOfNamespaces(40, MARKER));
    const read = await exiftool(["-j", "-XMP:all", file]);
    expect(read).toContain(MARKER);
    const { status, body, cleaned } = await removeViaApi(server, file);
    expect(status, JSON.stringify(body)).toBe(200);
    const out = path.join(dir, "cleaned-dozens.png");
    await fs.writeFile(out, cleaned!);
    expect(await findMarker(out, MARKER)).toEqual([]);
    expect(await pixelSignature(out)).toBe(await pixelSignature(file));
  }, 60_000);

  it("in a HEIC's and an AVIF's deflated XMP item (20,000 URIs, 170 kB; ExifTool a minute each) is a quick 422", async () => {
    for (const kind of ["heic", "avif"] as const) {
      await expectQuickRefusal(server, dir, `namespaces.${kind}`, await heifWithDeflatedXmp(kind, `namespaces.${kind}`, xmpOfNamespaces(20_000, MARKER)));
    }
  }, 120_000);

  it("a HEIC whose deflated XMP item declares a few dozen namespaces is cleaned, its coded picture unchanged", async () => {
    const file = await written("dozens.heic", await heifWithDeflatedXmp("heic", "dozens.heic", xmpOfNamespaces(40, MARKER)));
    expect(await exiftool(["-j", "-XMP:all", file])).toContain(MARKER);
    const { out } = await cleanedCopyViaApi(server, file, dir);
    expect(await findMarker(out, MARKER)).toEqual([]);
    // Compared as coded bytes (item 1, the picture's tile); remove-heif-deflated-xmp-item decodes such copies.
    expect(heifItemBytes(await fs.readFile(out), 1)).toEqual(heifItemBytes(await fs.readFile(file), 1));
  }, 120_000);

  it("in an XMP sidecar in UTF-16, either byte order (20,000 URIs, 4.5 MB; ExifTool a minute) is a quick 422", async () => {
    for (const order of ["le", "be"] as const) await expectQuickRefusal(server, dir, `namespaces-${order}.xmp`, utf16(xmpOfNamespaces(20_000, MARKER), order));
  }, 120_000);

  it("an XMP sidecar in UTF-16 of a few dozen namespaces is read", async () => {
    for (const order of ["le", "be"] as const) {
      const res = await postFile(`${server.baseUrl}/api/v1/extract`, { name: `dozens-${order}.xmp`, data: utf16(xmpOfNamespaces(40, MARKER), order) }, { headers: { "X-API-Key": server.apiKey } });
      expect(res.status).toBe(200);
      expect(await res.text()).toContain(MARKER);
    }
  }, 60_000);

  it("in an EPS whose XMP packet starts past its first 80 kB (20,000 URIs; ExifTool a minute) is a quick 422", async () => {
    const xmp = xmpOfNamespaces(20_000, MARKER);
    const { file } = await epsWithLateXmp("namespaces.eps", `%begin_xml_code\n%begin_xml_packet: ${xmp.length}\n${xmp}\n%end_xml_packet\n%end_xml_code\n`);
    await expectQuickRefusal(server, dir, "namespaces.eps", await fs.readFile(file));
  }, 60_000);

  it("an EPS whose XMP packet of a few namespaces starts past its first 80 kB is cleaned, its rendering unchanged", async () => {
    const { file, made } = await epsWithLateXmp("late-xmp.eps");
    expect((await fs.readFile(file)).indexOf("<?xpacket begin")).toBeGreaterThan(80_000);
    expect(await findMarker(file, MARKER)).not.toEqual([]);
    const { out } = await cleanedCopyViaApi(server, file, dir);
    expect(await findMarker(out, MARKER)).toEqual([]);
    expect(await rendering(out)).toBe(await rendering(made));
  }, 60_000);

  it("in a 70 MB MP4's XMP box after its pictures (20,000 URIs; ExifTool a minute) is a quick 422; the same box of a few dozen is cleaned", async () => {
    const made = path.join(dir, "made.mp4");
    await run("/usr/bin/ffmpeg", [...ffmpegQuiet, "-f", "lavfi", "-i", "testsrc2=size=64x48:rate=10", "-t", "1", "-c:v", "libx264", made]);
    const mp4 = await fs.readFile(made);
    const free = Buffer.alloc(68 * 1024 * 1024);
    free.writeUInt32BE(free.length, 0);
    free.write("free", 4, "latin1");
    const withXmp = (xmp: string): Buffer => Buffer.concat([mp4, free, box("uuid", Buffer.concat([Buffer.from("BE7ACFCB97A942E89C71999491E3AFAC", "hex"), Buffer.from(xmp)]))]);
    await expectQuickRefusal(server, dir, "namespaces.mp4", withXmp(xmpOfNamespaces(20_000, MARKER)));
    const file = await written("dozens.mp4", withXmp(xmpOfNamespaces(40, MARKER)));
    expect(await exiftool(["-j", "-XMP:all", file])).toContain(MARKER);
    const { out } = await cleanedCopyViaApi(server, file, dir);
    expect((await fs.readFile(out)).includes(MARKER)).toBe(false);
    const frames = async (f: string) => (await run("/usr/bin/ffmpeg", [...ffmpegQuiet, "-i", f, "-map", "0:v", "-f", "framemd5", "-"])).stdout.toString("utf8").replace(/^#.*\n/gm, "");
    expect(await frames(out)).toBe(await frames(file));
  }, 180_000);
});
