import zlib from "node:zlib";
import { TooComplexError } from "../errors.js";
import { ExifByteBudget } from "../image/exif-byte-budget.js";
import { FileBytes, WINDOW } from "../file-bytes.js";
import { XmpNamespaceTally } from "../xmp-namespaces.js";

const STREAM = Buffer.from("stream", "latin1");
const END_STREAM = Buffer.from("endstream", "latin1");
/**
 * Compressed bytes inflated to see whether a stream is XML: an XMP packet says so at once, after
 * the block's code tables (a few hundred bytes at most). Deflate gives at most ~1,032 bytes for
 * each, so the peek stays under 530 kB whatever the stream.
 */
const PEEK_BYTES = 512;
/** What a stream's start must show to be inflated whole (ExifTool reads XMP wherever /Metadata points). */
const XML_START = /<\?xpacket|<x:x[am]pmeta|<rdf:RDF|xmlns:/;
/** The inflated XML of all of a PDF's streams counted (ExifTool inflates a metadata stream whole). */
const MAX_XML_BYTES = 64 * 1024 * 1024;

/**
 * Counts the namespaces of the deflated XML streams of a PDF (its XMP: the document's, a page's, a
 * picture's), which its stored bytes do not show (see xmp-namespaces.ts). Every stream's first
 * bytes are inflated to tell: a dictionary's `/Type /Metadata` may be spelt with escapes or left
 * out, and ExifTool follows `/Metadata` references whatever they point to. Uncompressed XML is
 * counted in the stored bytes. More than `maxStreams` streams (the objects the screen counted, and
 * a few) make the file too complex.
 */
export async function checkPdfXmp(file: string, maxStreams: number): Promise<void> {
  const src = await FileBytes.open(file);
  const tally = new XmpNamespaceTally("pdf");
  const budget = new ExifByteBudget(MAX_XML_BYTES, "pdf", "inflated XML streams");
  let streams = 0;
  try {
    for (let base = 0; base < src.size; base += WINDOW) {
      const window = await src.read(base, Math.min(WINDOW + STREAM.length + 2, src.size - base));
      for (let at = window.indexOf(STREAM); at >= 0 && at < WINDOW; at = window.indexOf(STREAM, at + 1)) {
        if (at >= 3 && window.toString("latin1", at - 3, at) === "end") continue;
        const eol = window[at + STREAM.length] === 0x0d ? (window[at + STREAM.length + 1] === 0x0a ? 2 : 1) : window[at + STREAM.length] === 0x0a ? 1 : 0;
        if (eol === 0) continue;
        // Each peek costs zlib tens of microseconds: no more of them than the file has objects.
        if (++streams > maxStreams) throw new TooComplexError(`pdf: more than ${maxStreams} streams`);
        await countStream(src, base + at + STREAM.length + eol, tally, budget);
      }
    }
  } finally {
    await src.close();
  }
}

async function countStream(src: FileBytes, start: number, tally: XmpNamespaceTally, budget: ExifByteBudget): Promise<void> {
  const peek = inflatedStart(await src.read(start, Math.min(PEEK_BYTES, src.size - start)));
  if (peek == null || !XML_START.test(peek)) return;
  const end = await endOfStream(src, start);
  budget.take(end - start);
  const xml = budget.inflate(await src.read(start, end - start), "zlib");
  if (xml != null) tally.scan(xml);
}

/**
 * Where the stream starting at `start` ends (its "endstream", or the file's end), read in spans
 * that double from a few kilobytes: what is read stays within twice the stream's own length.
 */
async function endOfStream(src: FileBytes, start: number): Promise<number> {
  for (let at = start, span = 4096; at < src.size; at += span, span = Math.min(span * 2, WINDOW)) {
    const found = (await src.read(at, Math.min(span + END_STREAM.length, src.size - at))).indexOf(END_STREAM);
    if (found >= 0) return at + found;
  }
  return src.size;
}

/**
 * The text a zlib stream's first bytes inflate to, or null when they are no zlib stream: one whose
 * header does not check (deflate, its check bits a multiple of 31) is not handed to zlib, which
 * costs tens of microseconds to say so.
 */
function inflatedStart(bytes: Buffer): string | null {
  if (bytes.length < 2 || (bytes[0]! & 0x0f) !== 8 || ((bytes[0]! << 8) | bytes[1]!) % 31 !== 0) return null;
  try {
    return zlib.inflateSync(bytes, { finishFlush: zlib.constants.Z_SYNC_FLUSH }).toString("latin1", 0, 4096);
  } catch {
    return null;
  }
}
