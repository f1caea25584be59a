import crypto from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import zlib from "node:zlib";
import { PDF_TEXT, assemblePdf, markedJpeg } from "./make-pdf.js";
import { run } from "./tools.js";

/**
 * PDFs whose JPEG picture (EXIF, GPS, XMP and a comment naming the marker) is stored behind
 * other filters (`/Filter [/FlateDecode /DCTDecode]`...), each encoding written here by hand
 * from the filter's definition in PDF 32000-1, 7.4.
 */

/** How a picture's JPEG is stored: the filters before the DCT, their parameters and the encoded bytes. */
export interface StoredJpeg {
  filter: string;
  decodeParms?: string;
  encode(jpeg: Buffer): Buffer;
}

export const JPEG_CHAINS: Record<string, StoredJpeg> = {
  "Flate": { filter: "[/FlateDecode /DCTDecode]", encode: (j) => zlib.deflateSync(j) },
  "Flate, abbreviated names": { filter: "[/Fl /DCT]", encode: (j) => zlib.deflateSync(j) },
  "ASCIIHex": { filter: "[/ASCIIHexDecode /DCTDecode]", encode: asciiHex },
  "ASCII85": { filter: "[/ASCII85Decode /DCTDecode]", encode: ascii85 },
  "LZW": { filter: "[/LZWDecode /DCTDecode]", encode: lzw },
  "RunLength": { filter: "[/RunLengthDecode /DCTDecode]", encode: runLength },
  "ASCII85 then Flate with a PNG predictor, and the DCT's own parameters": {
    filter: "[/ASCII85Decode /FlateDecode /DCTDecode]",
    decodeParms: "[null << /Predictor 12 /Columns 1 >> << /ColorTransform 1 >>]",
    encode: (j) => ascii85(zlib.deflateSync(pngUpRows(j))),
  },
};

export interface ChainedJpegPdf {
  file: string;
  /** The JPEG as it was put in (its pixels must survive). */
  picture: string;
}

/**
 * Where the picture is shown: on the page, as the page's thumbnail, in a push button's
 * appearance, or nowhere (no object refers to it, as to an earlier revision's picture).
 */
export type PicturePlace = "page" | "thumbnail" | "button" | "nowhere";

/**
 * A one-page text PDF with one 8x8 JPEG picture stored as `stored` says, shown where `place`
 * says. `filterByRef` puts the filter list in an object of its own (`/Filter 8 0 R`).
 */
export async function makePdfWithChainedJpeg(dir: string, marker: string, stored: StoredJpeg, place: PicturePlace = "page", filterByRef = false): Promise<ChainedJpegPdf> {
  const jpeg = await markedJpeg(dir, marker);
  const picturePath = path.join(dir, `picture-${crypto.randomUUID()}.jpg`);
  await fs.writeFile(picturePath, jpeg);
  const data = stored.encode(jpeg);
  const parms = stored.decodeParms != null ? ` /DecodeParms ${stored.decodeParms}` : "";
  const filter = filterByRef ? "8 0 R" : stored.filter;
  const picture =
    `<< /Type /XObject /Subtype /Image /Width 8 /Height 8 /ColorSpace /DeviceRGB /BitsPerComponent 8 /Filter ${filter}${parms} /Length ${data.length} >>\n` +
    `stream\n${data.toString("latin1")}\nendstream`;
  const drawPicture = "q 40 0 0 40 300 20 cm /Im1 Do Q";
  const content = `BT /F1 18 Tf 36 100 Td (${PDF_TEXT}) Tj ET${place === "page" ? ` ${drawPicture}` : ""}`;
  const pageExtras = place === "page" ? "/XObject << /Im1 6 0 R >>" : "";
  const pageKeys = place === "thumbnail" ? " /Thumb 6 0 R" : place === "button" ? " /Annots [7 0 R]" : "";
  const appearance = `/Type /XObject /Subtype /Form /BBox [0 0 40 40] /Resources << /XObject << /Im1 6 0 R >> >>`;
  const objects = [
    `<< /Type /Catalog /Pages 2 0 R${place === "button" ? " /AcroForm << /Fields [7 0 R] >>" : ""} >>`,
    "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
    `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 400 150] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> ${pageExtras} >>${pageKeys} >>`,
    `<< /Length ${content.length} >>\nstream\n${content}\nendstream`,
    "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    picture,
    // A push button whose appearance (object 9) is a form drawing the picture.
    "<< /Type /Annot /Subtype /Widget /FT /Btn /Ff 65536 /T (logo) /Rect [300 20 340 60] /F 4 /P 3 0 R /AP << /N 9 0 R >> >>",
    stored.filter,
    `<< ${appearance} /Length ${`40 0 0 40 0 0 cm /Im1 Do`.length} >>\nstream\n40 0 0 40 0 0 cm /Im1 Do\nendstream`,
  ];
  const file = path.join(dir, `chained-${crypto.randomUUID()}.pdf`);
  await fs.writeFile(file, assemblePdf(objects));
  return { file, picture: picturePath };
}

/**
 * The pictures of a PDF (streams whose dictionary says /Subtype /Image) as stored once the
 * filters other than the DCT are undone (qpdf's `--decode-level=specialized`), each in a file.
 */
export async function storedPictures(file: string, dir: string): Promise<Array<{ dict: Record<string, unknown>; data: string }>> {
  const prefix = path.join(dir, `stored-${crypto.randomUUID()}`);
  const { stdout } = await run("qpdf", ["--json-output=2", "--json-key=qpdf", "--json-stream-data=file", `--json-stream-prefix=${prefix}`, "--decode-level=specialized", file, "-"]);
  const objects = (JSON.parse(stdout.toString("utf8")) as { qpdf: [unknown, Record<string, { stream?: { dict: Record<string, unknown>; datafile?: string } }>] }).qpdf[1];
  return Object.values(objects).flatMap((o) => (o.stream?.dict["/Subtype"] === "/Image" && o.stream.datafile != null ? [{ dict: o.stream.dict, data: o.stream.datafile }] : []));
}

/** The stored dictionaries of a PDF's pictures (filters as written, no data). */
export async function pictureDicts(file: string): Promise<Array<Record<string, unknown>>> {
  const { stdout } = await run("qpdf", ["--json-output=2", "--json-key=qpdf", "--json-stream-data=none", file, "-"]);
  const objects = (JSON.parse(stdout.toString("utf8")) as { qpdf: [unknown, Record<string, { stream?: { dict: Record<string, unknown> } }>] }).qpdf[1];
  return Object.values(objects).flatMap((o) => (o.stream?.dict["/Subtype"] === "/Image" ? [o.stream.dict] : []));
}

function asciiHex(data: Buffer): Buffer {
  // Line breaks every 64 digits, as writers wrap it: white space is ignored by the filter.
  return Buffer.from(`${data.toString("hex").replace(/(.{64})/g, "$1\n")}>`, "latin1");
}

function ascii85(data: Buffer): Buffer {
  let out = "";
  for (let i = 0; i < data.length; i += 4) {
    const group = data.subarray(i, i + 4);
    let n = Buffer.concat([group, Buffer.alloc(4 - group.length)]).readUInt32BE(0);
    if (n === 0 && group.length === 4) {
      out += "z";
      continue;
    }
    const digits: string[] = [];
    for (let k = 0; k < 5; k++) {
      digits.unshift(String.fromCharCode(33 + (n % 85)));
      n = Math.floor(n / 85);
    }
    // A last group of n bytes is written as its first n + 1 digits.
    out += digits.join("").slice(0, group.length + 1);
  }
  return Buffer.from(`${out}~>`, "latin1");
}

function runLength(data: Buffer): Buffer {
  const parts: Buffer[] = [];
  for (let i = 0; i < data.length; i += 128) {
    const literal = data.subarray(i, i + 128);
    parts.push(Buffer.from([literal.length - 1]), literal);
  }
  parts.push(Buffer.from([128]));
  return Buffer.concat(parts);
}

/** PNG "Up" rows of one byte each (/Predictor 12 /Columns 1): each byte as its difference to the one before. */
function pngUpRows(data: Buffer): Buffer {
  const out = Buffer.alloc(data.length * 2);
  for (let i = 0; i < data.length; i++) {
    out[2 * i] = 2;
    out[2 * i + 1] = (data[i]! - (i > 0 ? data[i - 1]! : 0)) & 0xff;
  }
  return out;
}

/**
 * LZW as PDF's LZWDecode reads it: 9- to 12-bit codes, most significant bit first, a clear-table
 * code (256) first and whenever the table fills, and the code width growing one code early
 * (EarlyChange 1, the default).
 */
function lzw(data: Buffer): Buffer {
  const CLEAR = 256;
  const EOD = 257;
  const bits: number[] = [];
  let width = 9;
  const put = (code: number): void => {
    for (let b = width - 1; b >= 0; b--) bits.push((code >> b) & 1);
  };
  let table = new Map<string, number>();
  let next = 258;
  const reset = (): void => {
    table = new Map();
    next = 258;
    width = 9;
  };
  put(CLEAR);
  let current = "";
  for (const byte of data) {
    const candidate = current === "" ? String.fromCharCode(byte) : current + String.fromCharCode(byte);
    if (candidate.length === 1 || table.has(candidate)) {
      current = candidate;
      continue;
    }
    put(current.length === 1 ? current.charCodeAt(0) : table.get(current)!);
    table.set(candidate, next++);
    // The decoder adds each entry one code later than the encoder and widens one entry early
    // (EarlyChange 1): both switch at the code after the encoder's table reaches 2^width.
    if (next >= 1 << width && width < 12) width++;
    if (next >= 4094) {
      put(CLEAR);
      reset();
    }
    current = String.fromCharCode(byte);
  }
  if (current !== "") put(current.length === 1 ? current.charCodeAt(0) : table.get(current)!);
  put(EOD);
  while (bits.length % 8 !== 0) bits.push(0);
  const out = Buffer.alloc(bits.length / 8);
  for (let i = 0; i < bits.length; i++) out[i >> 3]! |= bits[i]! << (7 - (i & 7));
  return out;
}

/** Where an inline JPEG is drawn: in the page's content, in a form the page draws, in a push button's or a review stamp's appearance. */
export type InlinePlace = "page" | "form" | "button" | "stamp";

export interface InlineOptions {
  filter?: string;
  encode?: (jpeg: Buffer) => Buffer;
  deflate?: boolean;
  /** The content streams behind ASCII85 and Flate (`[/ASCII85Decode /FlateDecode]`). */
  ascii85?: boolean;
  /** False leaves the form holding the image without a /Resources dictionary (it has an empty one). */
  formResources?: boolean;
}

/**
 * A one-page text PDF drawing the marked 8x8 JPEG as an inline image (`BI ... ID <data> EI`),
 * its data behind `filter` (`/DCT`, or a chain such as `[/AHx /DCT]`, encoded by `encode`), in
 * `place`; the content stream holding it is Flate-compressed when `deflate` says so.
 */
export async function makePdfWithInlineJpeg(
  dir: string,
  marker: string,
  place: InlinePlace,
  opts: InlineOptions = {},
): Promise<ChainedJpegPdf> {
  const jpeg = await markedJpeg(dir, marker);
  const picturePath = path.join(dir, `inline-${crypto.randomUUID()}.jpg`);
  await fs.writeFile(picturePath, jpeg);
  const data = (opts.encode ?? ((j: Buffer) => j))(jpeg);
  const inline = Buffer.concat([Buffer.from(`q 40 0 0 40 0 0 cm BI /W 8 /H 8 /CS /RGB /BPC 8 /F ${opts.filter ?? "/DCT"} ID `, "latin1"), data, Buffer.from("\nEI Q", "latin1")]);
  const stream = (dict: string, body: Buffer): string => {
    const stored = opts.ascii85 === true ? ascii85(zlib.deflateSync(body)) : opts.deflate === true ? zlib.deflateSync(body) : body;
    const filter = opts.ascii85 === true ? " /Filter [/ASCII85Decode /FlateDecode]" : opts.deflate === true ? " /Filter /FlateDecode" : "";
    return `<< ${dict}${filter} /Length ${stored.length} >>\nstream\n${stored.toString("latin1")}\nendstream`;
  };
  const text = Buffer.from(`BT /F1 18 Tf 36 100 Td (${PDF_TEXT}) Tj ET `, "latin1");
  const pageDraws = place === "page" ? Buffer.concat([text, Buffer.from("q 1 0 0 1 300 20 cm ", "latin1"), inline, Buffer.from(" Q", "latin1")]) : place === "form" ? Buffer.concat([text, Buffer.from("q 1 0 0 1 300 20 cm /Fm1 Do Q", "latin1")]) : text;
  const annotation = { page: "", form: "", button: "/Subtype /Widget /FT /Btn /Ff 65536 /T (logo) /P 3 0 R", stamp: "/Subtype /Stamp /Name /Approved /T (Reviewer)" }[place];
  const objects = [
    `<< /Type /Catalog /Pages 2 0 R${place === "button" ? " /AcroForm << /Fields [7 0 R] >>" : ""} >>`,
    "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
    `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 400 150] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >>${place === "form" ? " /XObject << /Fm1 6 0 R >>" : ""} >>${annotation !== "" ? " /Annots [7 0 R]" : ""} >>`,
    stream("", pageDraws),
    "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    stream(`/Type /XObject /Subtype /Form /BBox [0 0 40 40]${opts.formResources === false ? "" : " /Resources << >>"}`, inline),
    `<< /Type /Annot ${annotation === "" ? "/Subtype /Square" : annotation} /Rect [200 20 240 60] /F 4 /AP << /N 6 0 R >> >>`,
  ];
  const file = path.join(dir, `inline-${crypto.randomUUID()}.pdf`);
  await fs.writeFile(file, assemblePdf(objects));
  return { file, picture: picturePath };
}
