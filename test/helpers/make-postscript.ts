import fs from "node:fs/promises";
import path from "node:path";
import { iccProfile } from "./make-images.js";
import { CONVERT, exiftool, run } from "./tools.js";

/**
 * Dirty EPS files for the removal tests, written by hand (ImageMagick's policy forbids writing
 * PostScript on Debian): a picture drawn from binary image data, the marker in every DSC header
 * comment, then ExifTool plants it in every PostScript comment, XMP, Photoshop, IPTC, EXIF and
 * ICC block it writes into EPS. The DOS variant puts the same PostScript behind a DOS binary
 * header with a TIFF preview (its own EXIF) and a Windows metafile preview (a comment record).
 * Next to each, `unplanted.eps` is the PostScript program before any metadata was written.
 */

const W = 64;
const H = 48;

/**
 * Bytes that look like a comment the cleaner drops, written into the picture's binary data: the
 * cleaner must skip the data block (`%%BeginData`) rather than read them as a comment, or the
 * picture changes. (Not a DSC field: ExifTool reads those even inside binary data.)
 */
const DATA_LOOKING_LIKE_DSC = Buffer.from("\n%ADO_ContainsXMP: MainFirst\r", "latin1");

async function rgbPixels(dir: string): Promise<Buffer> {
  const png = path.join(dir, "src.png");
  await run(CONVERT, ["-seed", "7", "-size", `${W}x${H}`, "plasma:fractal", "-depth", "8", png]);
  const { stdout } = await run(CONVERT, [png, "-depth", "8", "rgb:-"]);
  if (stdout.length !== W * H * 3) throw new Error("ImageMagick gave no raw RGB picture");
  DATA_LOOKING_LIKE_DSC.copy(stdout, 300);
  return stdout;
}

/** The PostScript program: DSC header with the marker, a prolog, one page drawing the picture. */
function program(pixels: Buffer, marker: string, eps: boolean): Buffer {
  const head = [
    eps ? "%!PS-Adobe-3.0 EPSF-3.0" : "%!PS-Adobe-3.0",
    `%%Creator: (${marker} Draw 2.1)`,
    `%%Title: (holiday ${marker}.eps)`,
    `%%For: (${marker})`,
    `%%CreationDate: (2024-05-01 ${marker})`,
    `%%Routing: (${marker}, room 4)`,
    `%%+ (second routing line ${marker})`,
    `%%BoundingBox: 0 0 ${W} ${H}`,
    `%%HiResBoundingBox: 0 0 ${W}.0 ${H}.0`,
    "%%LanguageLevel: 2",
    "%%Pages: 1",
    "%%DocumentData: Binary",
    "%%EndComments",
    "%%BeginProlog",
    `/picstr ${W * 3} string def`,
    "%%EndProlog",
    "%%Page: 1 1",
    "gsave",
    `${W} ${H} scale`,
    `${W} ${H} 8 [${W} 0 0 -${H} 0 ${H}]`,
    "{ currentfile picstr readstring pop } false 3",
    `%%BeginData: ${pixels.length + "colorimage\n".length} Binary Bytes`,
    "colorimage",
  ].join("\n");
  const tail = ["", "%%EndData", "grestore", "showpage", "%%Trailer", "%%EOF", ""].join("\n");
  return Buffer.concat([Buffer.from(`${head}\n`, "latin1"), pixels, Buffer.from(tail, "latin1")]);
}

/** What ExifTool writes into an EPS, the marker in each. */
async function plant(file: string, marker: string, dir: string): Promise<void> {
  const icc = path.join(dir, "profile.icc");
  await fs.writeFile(icc, iccProfile(marker));
  await exiftool([
    "-q", "-q", "-overwrite_original",
    `-PostScript:Author=${marker}`, `-PostScript:Copyright=${marker}`, `-PostScript:Keywords=${marker}`,
    `-PostScript:Subject=${marker}`, `-PostScript:Version=${marker}`, "-PostScript:ModifyDate=2024:05:02 10:00:00",
    `-XMP-dc:Creator=${marker}`, `-XMP-dc:Description=${marker}`, `-XMP-iptcExt:PersonInImage=${marker}`,
    `-IPTC:By-line=${marker}`, `-IPTC:Caption-Abstract=${marker}`, `-Photoshop:URL=${marker}`,
    `-EXIF:Artist=${marker}`, `-EXIF:ImageDescription=${marker}`, "-GPSLatitude=48.8584", "-GPSLatitudeRef=N",
    `-ICC_Profile<=${icc}`,
    file,
  ]);
}

/**
 * An EPS (or, with `eps` false, a plain PostScript document) with the marker everywhere;
 * `unplanted.eps` next to it holds the bare program.
 */
export async function makeEps(dir: string, marker: string, eps = true): Promise<string> {
  const ps = program(await rgbPixels(dir), marker, eps);
  await fs.writeFile(path.join(dir, "unplanted.eps"), ps);
  const file = path.join(dir, eps ? "in.eps" : "in.ps");
  await fs.writeFile(file, ps);
  await plant(file, marker, dir);
  return file;
}

/**
 * An EPS placing another one, as page-layout programs embed a picture: the marked EPS inside
 * `%%BeginDocument: (its file name)` ... `%%EndDocument`, its own header and blocks included.
 */
export async function makeEpsWithDocument(dir: string, marker: string): Promise<string> {
  const inner = await fs.readFile(await makeEps(dir, marker));
  const head = [
    "%!PS-Adobe-3.0 EPSF-3.0", `%%Creator: (${marker} Layout)`, `%%BoundingBox: 0 0 ${W} ${H}`, "%%Pages: 1", "%%EndComments",
    "%%Page: 1 1", "/placed_state save def", "/showpage {} def", `%%BeginDocument: (C:\\Users\\${marker}\\holiday.eps)`, "",
  ].join("\n");
  const tail = ["", "%%EndDocument", "placed_state restore", "showpage", "%%EOF", ""].join("\n");
  const file = path.join(dir, "layout.eps");
  await fs.writeFile(file, Buffer.concat([Buffer.from(head, "latin1"), inner, Buffer.from(tail, "latin1")]));
  return file;
}

/**
 * The same EPS behind a DOS binary header (as Illustrator and CorelDRAW write for Windows),
 * with a TIFF preview carrying the marker in its EXIF and a Windows metafile preview carrying
 * it in a comment record.
 */
export async function makeDosEps(dir: string, marker: string): Promise<string> {
  const ps = await fs.readFile(await makeEps(dir, marker));
  const tiff = path.join(dir, "preview.tif");
  await run(CONVERT, [path.join(dir, "src.png"), "-compress", "none", tiff]);
  await exiftool(["-q", "-q", "-overwrite_original", `-EXIF:Artist=${marker}`, `-EXIF:Software=${marker}`, `-XMP-dc:Creator=${marker}`, tiff]);
  const preview = await fs.readFile(tiff);
  const wmf = metafile(marker);
  const header = Buffer.alloc(30);
  header.writeUInt32BE(0xc5d0d3c6, 0);
  header.writeUInt32LE(30, 4);
  header.writeUInt32LE(ps.length, 8);
  header.writeUInt32LE(30 + ps.length, 12);
  header.writeUInt32LE(wmf.length, 16);
  header.writeUInt32LE(30 + ps.length + wmf.length, 20);
  header.writeUInt32LE(preview.length, 24);
  header.writeUInt16LE(0xffff, 28);
  const file = path.join(dir, "dos.eps");
  await fs.writeFile(file, Buffer.concat([header, ps, wmf, preview]));
  return file;
}

/** A minimal Windows metafile: its header, a comment escape record holding `text`, the end record. */
function metafile(text: string): Buffer {
  const data = Buffer.from(text, "latin1");
  const padded = Buffer.concat([data, Buffer.alloc(data.length % 2)]);
  // META_ESCAPE (0x0626), escape MFCOMMENT (15), byte count, the bytes.
  const escape = Buffer.alloc(6 + 4 + padded.length);
  escape.writeUInt32LE(escape.length / 2, 0);
  escape.writeUInt16LE(0x0626, 4);
  escape.writeUInt16LE(15, 6);
  escape.writeUInt16LE(data.length, 8);
  padded.copy(escape, 10);
  const end = Buffer.from([3, 0, 0, 0, 0, 0]);
  const header = Buffer.alloc(18);
  header.writeUInt16LE(1, 0); // in memory
  header.writeUInt16LE(9, 2); // header size in words
  header.writeUInt16LE(0x0300, 4);
  header.writeUInt32LE((18 + escape.length + end.length) / 2, 6);
  header.writeUInt16LE(0, 10);
  header.writeUInt32LE(escape.length / 2, 12);
  header.writeUInt16LE(0, 16);
  return Buffer.concat([header, escape, end]);
}

/**
 * An EPS as Illustrator writes it (after the sample in metadata-extractor-images,
 * `eps/GitHub-Mark.eps`): its version in the header; in the page setup its XMP packet, handed to
 * Distiller by a `pdfmark` reading the program's own data up to a marker line; after `%%EOF`, its
 * private data (the native document, with its author, title, dates and version) in comment lines
 * that the `ai9_skip_data` procedure reads past. The marker is in each, and in the DSC header.
 */
export async function makeIllustratorEps(dir: string, marker: string): Promise<string> {
  // The bare program (the marker in its DSC header only): Illustrator writes no Photoshop or ICC blocks.
  await makeEps(dir, marker);
  const base = (await fs.readFile(path.join(dir, "unplanted.eps"))).toString("latin1");
  const header = [`%%AI8_CreatorVersion: 17.1.${marker}`, `%ADO_BuildNumber: Adobe Illustrator(R) ${marker}`, ""].join("\n");
  const packet = [
    '<?xpacket begin="\u00ef\u00bb\u00bf" id="W5M0MpCehiHzreSzNTczkc9d"?>',
    '<x:xmpmeta xmlns:x="adobe:ns:meta/">',
    ' <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">',
    '  <rdf:Description rdf:about="" xmlns:xmp="http://ns.adobe.com/xap/1.0/">',
    `   <xmp:CreatorTool>Adobe Illustrator ${marker}</xmp:CreatorTool>`,
    "  </rdf:Description>",
    " </rdf:RDF>",
    "</x:xmpmeta>",
    `${" ".repeat(100)}`,
    '<?xpacket end="w"?>',
  ];
  const setup = [
    "%ADOBeginClientInjection: PageSetup End \"AI11EPS\"",
    "/currentdistillerparams where",
    "{pop currentdistillerparams /CoreDistVersion get 5000 lt} {true} ifelse",
    "{ userdict /AI11_PDFMark5 /cleartomark load put",
    "userdict /AI11_ReadMetadata_PDFMark5 {flushfile cleartomark } bind put}",
    "{ userdict /AI11_PDFMark5 /pdfmark load put",
    "userdict /AI11_ReadMetadata_PDFMark5 {/PUT pdfmark} bind put } ifelse",
    "[/NamespacePush AI11_PDFMark5",
    "[/_objdef {ai_metadata_stream_123} /type /stream /OBJ AI11_PDFMark5",
    "[{ai_metadata_stream_123}",
    "currentfile 0 (%  &&end XMP packet marker&&)",
    "/SubFileDecode filter AI11_ReadMetadata_PDFMark5",
    ...packet,
    "%  &&end XMP packet marker&&",
    "[{ai_metadata_stream_123}",
    "<</Type /Metadata /Subtype /XML>>",
    "/PUT AI11_PDFMark5",
    "%ADOEndClientInjection: PageSetup End \"AI11EPS\"",
    "",
  ].join("\n");
  const privateData = [
    "%AI9_PrintingDataEnd",
    "userdict /AI9_read_buffer 256 string put",
    "userdict begin",
    "/ai9_skip_data { mark { currentfile AI9_read_buffer { readline } stopped { } { not { exit } if (%AI9_PrivateDataEnd) eq { exit } if } ifelse } loop cleartomark } def",
    "end",
    "userdict /ai9_skip_data get exec",
    "%AI9_PrivateDataBegin",
    "%!PS-Adobe-3.0 EPSF-3.0",
    `%%Creator: Adobe Illustrator(R) ${marker}`,
    `%%AI8_CreatorVersion: 17.1.${marker}`,
    `%%For: (${marker}) ()`,
    `%%Title: (${marker}.ai)`,
    "%%CreationDate: 2/5/14 1:26 PM",
    "%AI9_DataStream",
    `%Gb"-6CQDf4FXHqmp4'"o#+RtYfba(G:Cs2UWmZjPM%deog^jl4Z<D-]dOd?+C1hpCrE7IQ${marker}`,
    "%AI9_PrivateDataEnd",
    "",
  ].join("\n");
  const eps = base
    .replace(/^%%EndComments$/m, `${header}%%EndComments`)
    .replace(/^%%Page: 1 1$/m, `${setup}%%Page: 1 1`)
    .replace(/^%%EOF\n$/m, `%%EOF\n${privateData}`);
  if (!eps.includes("%AI9_PrivateDataBegin") || !eps.includes("AI11_PDFMark5")) throw new Error("the Illustrator parts were not placed");
  const file = path.join(dir, "illustrator.eps");
  await fs.writeFile(file, Buffer.from(eps, "latin1"));
  return file;
}
