import fs from "node:fs";
import path from "node:path";
import zlib from "node:zlib";
import { BadFileError, TooComplexError } from "../errors.js";
import { dumpObjects, qpdf, type ObjectDump } from "./qpdf.js";
import type { PdfDict, QpdfDocument } from "./scrub-objects.js";

/**
 * An inline image (`BI /F /DCT ... ID <JPEG> EI`) keeps its JPEG, EXIF and all, inside a content
 * stream, where neither ExifTool nor any object-level rule looks. qpdf turns the inline images
 * of the pages, and of the forms their resources name, into image objects
 * (`--externalize-inline-images`), which are then cleaned like any other picture; `pdf.ts` asks
 * for that only where a content stream holds one, as found here.
 */

const LEFT_INLINE = "The PDF holds a picture drawn inline where it cannot be cleaned (in an annotation's or a glyph's drawing).";
const UNMOVABLE_INLINE = "The PDF holds a picture drawn inline that cannot be cleaned without changing the page; it may be damaged.";

/**
 * An inline image whose dictionary names the DCT (`/F /DCT`, `/Filter [/AHx /DCTDecode]`), or
 * whose data starts like a JPEG whatever its dictionary says: `BI`, at most 1 KB of dictionary
 * (no `ID` or `EI` in it), `ID` and one white-space byte. Read as latin1, one char per byte.
 */
const INLINE_JPEG = /(?:^|[\s\])>])BI\s(?:(?![\s\]>](?:ID|EI)\s)[\s\S]){0,1024}?(?:\/DCT(?:Decode)?(?![#\w])(?:(?![\s\]>](?:ID|EI)\s)[\s\S]){0,1024}?[\s\]>]ID\s|[\s\]>]ID\s\xff\xd8\xff)/;
const ID = Buffer.from("ID", "latin1");
/** Bytes kept from one chunk to the next, so that a match across chunks is found. */
const CARRY = 2 * 1024 + 16;

/** A stream stored in at most this many bytes is read whole. */
const SMALL_STREAM_BYTES = 256 * 1024;

/** What is inflated to look inside the content, all streams together (a bomb stops here). */
const MAX_SCANNED_BYTES = 1024 * 1024 * 1024;

/** Streams that are no drawing instructions: attached files, metadata, qpdf's own. */
const NOT_CONTENT_TYPES = new Set(["/EmbeddedFile", "/Metadata", "/XRef", "/ObjStm"]);
/** Filters only pictures are stored behind. */
const IMAGE_CODECS = new Set(["/DCTDecode", "/DCT", "/JPXDecode", "/JBIG2Decode", "/CCITTFaxDecode", "/CCF"]);

/**
 * Where the PDF read (`dump`, with stream data in files) holds an inline JPEG, a copy of it with
 * its inline images as image objects, and that copy's dump; otherwise the PDF and its dump as
 * they were. `externalized` says which.
 */
export async function withInlineJpegsAsObjects(input: string, dump: ObjectDump, workDir: string): Promise<{ source: string; dump: ObjectDump; externalized: boolean }> {
  if (!(await holdsInlineJpeg(input, dump.doc, workDir))) return { source: input, dump, externalized: false };
  const source = path.join(workDir, "inline-images-as-objects.pdf");
  const warnings = await qpdf(["--decrypt", "--externalize-inline-images", "--ii-min-bytes=0", input, source], "read");
  // Warnings beyond those of reading the file (a repaired cross-reference table, say) are qpdf
  // failing to put an image where the drawing finds it (a form without resources): the page would
  // lose the picture.
  const known = new Set(dump.warnings.split("\n"));
  const added = warnings.split("\n").filter((line) => line.startsWith("WARNING") && !known.has(line));
  if (added.length > 0) throw new BadFileError(UNMOVABLE_INLINE, new Error(`qpdf externalizing inline images: ${added.join("\n").slice(0, 2000)}`));
  const out = await dumpObjects(source, path.join(workDir, "objects-inline-images.json"), { streamPrefix: path.join(workDir, "i") });
  return { source, dump: out, externalized: true };
}

/**
 * qpdf turns the inline images of the pages and of the forms their resources name into objects,
 * not those of annotations' appearances or of glyphs: an inline JPEG still in a stream the copy
 * will hold (`written`: a review annotation that goes takes its appearance with it) is refused.
 */
export async function refuseInlineJpegsLeft(source: string, doc: QpdfDocument, written: ReadonlySet<string>, workDir: string): Promise<void> {
  if (await holdsInlineJpeg(source, doc, workDir, written)) throw new BadFileError(LEFT_INLINE);
}

/**
 * Whether any stream that may be drawing instructions (a page's content, a form, a pattern, a
 * glyph, an annotation's appearance), of those in `only` if given, holds an inline JPEG. Stored
 * plain or behind Flate, it is read here (a stream whose Flate data is broken, as far as it
 * inflates); behind other filters, as qpdf decodes it from `pdf` (one run for all of them); one
 * qpdf cannot decode is taken to hold one.
 */
async function holdsInlineJpeg(pdf: string, doc: QpdfDocument, workDir: string, only?: ReadonlySet<string>): Promise<boolean> {
  let budget = MAX_SCANNED_BYTES;
  const encoded: string[] = [];
  for (const [key, obj] of Object.entries(doc.qpdf[1])) {
    if ((only != null && !only.has(key)) || !("stream" in obj) || obj.stream.datafile == null || !mayBeContent(obj.stream.dict)) continue;
    const stored = storedAs(obj.stream.dict);
    if (stored === "other") {
      encoded.push(key);
      continue;
    }
    const { found, scanned } = await scan(obj.stream.datafile, stored === "flate", budget);
    if (found) return true;
    budget -= scanned;
  }
  if (encoded.length === 0) return false;
  const prefix = path.join(workDir, `content-${encoded.length}-${only == null ? "read" : "written"}`);
  const { doc: decoded } = await dumpObjects(pdf, `${prefix}.json`, { streamPrefix: prefix, decode: "specialized", only: encoded.map((key) => key.slice("obj:".length)), maxFileBytes: Math.max(budget, 1) });
  for (const key of encoded) {
    const obj = decoded.qpdf[1][key];
    if (obj == null || !("stream" in obj) || obj.stream.dict["/Filter"] != null) return true;
    if (obj.stream.datafile == null) continue;
    const { found, scanned } = await scan(obj.stream.datafile, false, budget);
    if (found) return true;
    budget -= scanned;
  }
  return false;
}

/**
 * Drawing instructions are no picture (image characteristics, an image codec), font program,
 * attached file, metadata, or qpdf's own cross-reference or object stream. Judged by the
 * dictionary's own entries: a page thumbnail is an image without `/Subtype /Image`.
 */
function mayBeContent(d: PdfDict): boolean {
  const type = d["/Type"];
  const subtype = d["/Subtype"];
  if (typeof type === "string" && NOT_CONTENT_TYPES.has(type)) return false;
  if (subtype === "/Image" || subtype === "/XML" || ["/Width", "/Height", "/BitsPerComponent", "/ColorSpace"].some((k) => k in d)) return false;
  const filter = d["/Filter"];
  if ((Array.isArray(filter) ? filter : [filter]).some((f) => typeof f === "string" && IMAGE_CODECS.has(f))) return false;
  // Font programs: /Length1 (TrueType, Type 1), or a font-file subtype (Type1C, OpenType...).
  return !("/Length1" in d) && !(typeof subtype === "string" && /^\/(Type1C|CIDFontType0C|OpenType)$/.test(subtype));
}

function storedAs(d: PdfDict): "plain" | "flate" | "other" {
  const filter = d["/Filter"];
  const list = Array.isArray(filter) ? filter : filter == null ? [] : [filter];
  if (list.length === 0) return "plain";
  const parms = d["/DecodeParms"];
  const noParms = parms == null || (Array.isArray(parms) && parms.every((p) => p == null));
  return list.length === 1 && (list[0] === "/FlateDecode" || list[0] === "/Fl") && noParms ? "flate" : "other";
}

/**
 * Looks for an inline JPEG in a stream's data (inflated when `flate`): a small one read whole,
 * in one go (most content streams are a few KB: a file stream's set-up would cost more than the
 * read), others in chunks.
 */
async function scan(file: string, flate: boolean, budget: number): Promise<{ found: boolean; scanned: number }> {
  const whole = readSmall(file, flate);
  if (whole != null) {
    if (whole.length > budget) throw new TooComplexError(`the PDF's content streams inflate to more than ${MAX_SCANNED_BYTES} bytes`);
    return { found: whole.includes(ID) && INLINE_JPEG.test(whole.toString("latin1")), scanned: whole.length };
  }
  return scanInChunks(file, flate, budget);
}

/**
 * A stream's data as a whole where it is small, stored and (when `flate`) inflated; null otherwise.
 * Read in place (cleaners run in task processes): a promise for each open, stat, read and close of
 * a page's few hundred bytes cost more than the reading.
 */
function readSmall(file: string, flate: boolean): Buffer | null {
  const fd = fs.openSync(file, "r");
  try {
    const size = fs.fstatSync(fd).size;
    if (size > SMALL_STREAM_BYTES) return null;
    const buffer = Buffer.alloc(size);
    const stored = buffer.subarray(0, fs.readSync(fd, buffer, 0, size, 0));
    if (!flate) return stored;
    // Broken or cut-short Flate data gives what inflates of it (as the chunked read does).
    return zlib.inflateSync(stored, { finishFlush: zlib.constants.Z_SYNC_FLUSH, maxOutputLength: SMALL_STREAM_BYTES * 16 });
  } catch (err) {
    // More than it may inflate to at once, or not zlib data: the chunked read decides.
    if (err instanceof RangeError || isZlibError(err)) return null;
    throw err;
  } finally {
    fs.closeSync(fd);
  }
}

async function scanInChunks(file: string, flate: boolean, budget: number): Promise<{ found: boolean; scanned: number }> {
  const source = fs.createReadStream(file);
  const inflate = flate ? zlib.createInflate({ chunkSize: 256 * 1024 }) : null;
  const data: AsyncIterable<Buffer> = inflate != null ? source.pipe(inflate) : source;
  let scanned = 0;
  let tail = Buffer.alloc(0);
  try {
    for await (const chunk of data) {
      scanned += chunk.length;
      if (scanned > budget) throw new TooComplexError(`the PDF's content streams inflate to more than ${MAX_SCANNED_BYTES} bytes`);
      const window = Buffer.concat([tail, chunk]);
      // Every inline image has its `ID`: the text is only made and matched where one is.
      if (window.includes(ID) && INLINE_JPEG.test(window.toString("latin1"))) return { found: true, scanned };
      tail = window.subarray(Math.max(0, window.length - CARRY));
    }
  } catch (err) {
    if (!isZlibError(err)) throw err;
  } finally {
    source.destroy();
    inflate?.destroy();
  }
  return { found: false, scanned };
}

function isZlibError(err: unknown): boolean {
  return err instanceof Error && typeof (err as NodeJS.ErrnoException).code === "string" && (err as NodeJS.ErrnoException).code!.startsWith("Z_");
}
