import zlib from "node:zlib";
import { TooComplexError } from "../errors.js";
import { ExifByteBudget } from "../image/exif-byte-budget.js";
import { FileBytes, WINDOW } from "../file-bytes.js";
import { MAX_DECLARATION_BYTES, XmpNamespaceTally } from "../xmp-namespaces.js";
import { decodeAscii85, decodeExifToolHex, type Decoded } from "./ascii-filters.js";
import { decodeLzw } from "./lzw.js";

const STREAM = Buffer.from("stream", "latin1");
const END_STREAM = Buffer.from("endstream", "latin1");
/**
 * Compressed bytes inflated to see whether a stream is XML: an XMP packet says so at once, after
 * the block's code tables (a few hundred bytes at most). Deflate gives at most ~1,032 bytes for
 * each, so the peek stays under 530 kB whatever the stream.
 */
const PEEK_BYTES = 512;
/**
 * The same where the file names an ASCII filter: each hex layer halves the bytes (ASCII85 takes
 * four fifths), and three of them before Flate left 64 bytes of a 512-byte peek, too few for
 * zlib's code tables: a 20,000-URI packet so coded passed. Flate is still handed PEEK_BYTES.
 */
const ASCII_PEEK_BYTES = 16 * PEEK_BYTES;
/** What a peek shows of each layer: where XML shows, it does within its first characters. */
const SHOWN_BYTES = 4096;
/**
 * Filters undone one after the other before a stream's start shows no XML: ExifTool undoes a
 * chain of any length, real metadata streams have one filter (two where an ASCII one wraps it).
 * A PDF whose dictionaries name a longer list is refused as too complex (pdf-screen.ts): each
 * layer the peek tries multiplies its work by the filters the file names.
 */
export const MAX_XML_LAYERS = 4;
/** What a stream's start must show to be inflated whole (ExifTool reads XMP wherever /Metadata points). */
const XML_START = /<\?xpacket|<x:x[am]pmeta|<rdf:RDF|xmlns:/;
/** The inflated XML of all of a PDF's streams counted (ExifTool inflates a metadata stream whole). */
const MAX_XML_BYTES = 64 * 1024 * 1024;

/**
 * Counts the namespaces of the coded XML streams of a PDF (its XMP: the document's, a page's, a
 * picture's), which its stored bytes do not show (see xmp-namespaces.ts): deflated, LZW, ASCII85 or
 * ASCIIHex as ExifTool reads them, in chains of up to MAX_XML_LAYERS (`filters`: the names of the last
 * three that the file holds), all of which ExifTool undoes before it parses the XML (3,000 URIs
 * behind any of them took it 1.4-1.9 s of CPU, 20,000 past its 60 s timeout). Every stream's first
 * bytes are decoded to tell: a dictionary's `/Type /Metadata` may be spelt with escapes or left
 * out, and ExifTool follows `/Metadata` references whatever they point to. Uncompressed XML is
 * counted in the stored bytes. More than `maxStreams` streams (the objects the screen counted, and
 * a few) make the file too complex.
 */
export async function checkPdfXmp(file: string, maxStreams: number, filters: ReadonlySet<string>): Promise<void> {
  const src = await FileBytes.open(file);
  // The file's own bytes are counted in the same pass (the other screens' count, checkXmpNamespaces,
  // reads a file of its own: 0.3-0.4 ms of a 150 kB PDF's 2.3 ms screen), each window with the
  // next one's first bytes, so that a declaration across their border is seen whole.
  const stored = new XmpNamespaceTally("the file");
  const tally = new XmpNamespaceTally("pdf");
  const layers = [FLATE, ...OTHER_LAYERS.filter(([name]) => filters.has(name)).map(([, layer]) => layer)];
  const budget = new ExifByteBudget(MAX_XML_BYTES, "pdf", "inflated XML streams");
  const peekBytes = filters.has("ASCIIHexDecode") || filters.has("ASCII85Decode") ? ASCII_PEEK_BYTES : PEEK_BYTES;
  let streams = 0;
  try {
    for (let base = 0; base < src.size; base += WINDOW) {
      const window = await src.read(base, Math.min(WINDOW + Math.max(STREAM.length + 2, MAX_DECLARATION_BYTES), src.size - base));
      stored.scan(window);
      for (let at = window.indexOf(STREAM); at >= 0 && at < WINDOW; at = window.indexOf(STREAM, at + 1)) {
        if (at >= 3 && window.toString("latin1", at - 3, at) === "end") continue;
        const eol = window[at + STREAM.length] === 0x0d ? (window[at + STREAM.length + 1] === 0x0a ? 2 : 1) : window[at + STREAM.length] === 0x0a ? 1 : 0;
        if (eol === 0) continue;
        // Each peek costs zlib tens of microseconds: no more of them than the file has objects.
        if (++streams > maxStreams) throw new TooComplexError(`pdf: more than ${maxStreams} streams`);
        await countStream(src, base + at + STREAM.length + eol, { layers, peekBytes }, { tally, budget });
      }
    }
  } finally {
    await src.close();
  }
}

async function countStream(
  src: FileBytes,
  start: number,
  { layers, peekBytes }: { layers: readonly Layer[]; peekBytes: number },
  { tally, budget }: { tally: XmpNamespaceTally; budget: ExifByteBudget },
): Promise<void> {
  const behind = xmlBehind(await src.read(start, Math.min(peekBytes, src.size - start)), layers);
  if (behind == null) return;
  const end = await endOfStream(src, start);
  budget.take(end - start);
  let data: Buffer | null = await src.read(start, end - start);
  for (const layer of behind) if (data != null) data = layer.whole(data, budget);
  if (data != null) tally.scan(data);
}

/** A filter ExifTool undoes on a stream it reads, as the screen undoes it. */
interface Layer {
  /** The start of what `bytes` (a stream's first bytes) decode to; null when they are no such data. */
  peek(bytes: Buffer): Buffer | null;
  /** All of `bytes` decoded, within the budget; null when they are no such data. */
  whole(bytes: Buffer, budget: ExifByteBudget): Buffer | null;
}

const FLATE: Layer = { peek: (bytes) => inflatedStart(bytes.subarray(0, PEEK_BYTES)), whole: (bytes, budget) => budget.inflate(bytes, "zlib") };

/** A filter decoded by `decode` (null: no such data), its peek at SHOWN_BYTES. */
function layerOf(decode: (bytes: Buffer, maxBytes: number) => Decoded | null): Layer {
  return { peek: (bytes) => decode(bytes, SHOWN_BYTES)?.bytes ?? null, whole: (bytes, budget) => budget.decode((max) => decode(bytes, max)) };
}

/**
 * The other filters ExifTool undoes, each tried only in a file that names it (as qpdf reads names):
 * ExifTool undoes a filter its stream's dictionary names, and the hex decoding makes something of
 * any bytes.
 */
const OTHER_LAYERS: ReadonlyArray<[name: string, layer: Layer]> = [
  ["LZWDecode", layerOf(decodeLzw)],
  ["ASCII85Decode", layerOf(decodeAscii85)],
  ["ASCIIHexDecode", layerOf(decodeExifToolHex)],
];

/** The filters' names the screen looks for in a PDF (pdf-screen.ts): those undone by OTHER_LAYERS. */
export const XML_FILTER_NAMES: ReadonlySet<string> = new Set(OTHER_LAYERS.map(([name]) => name));

/**
 * The filters (outermost first) whose undoing shows XML in a stream's first bytes, or null. Bytes
 * stored as they are were counted with the file's.
 */
function xmlBehind(bytes: Buffer, layers: readonly Layer[], depth = 0): Layer[] | null {
  if (depth > 0 && XML_START.test(bytes.toString("latin1", 0, SHOWN_BYTES))) return [];
  if (depth === MAX_XML_LAYERS) return null;
  for (const layer of layers) {
    const decoded = layer.peek(bytes);
    const rest = decoded == null || decoded.length === 0 ? null : xmlBehind(decoded.subarray(0, SHOWN_BYTES), layers, depth + 1);
    if (rest != null) return [layer, ...rest];
  }
  return null;
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
 * What a zlib stream's first bytes inflate to, or null when they are no zlib stream: one whose
 * header does not check (deflate, its check bits a multiple of 31) is not handed to zlib, which
 * costs tens of microseconds to say so.
 */
function inflatedStart(bytes: Buffer): Buffer | null {
  if (bytes.length < 2 || (bytes[0]! & 0x0f) !== 8 || ((bytes[0]! << 8) | bytes[1]!) % 31 !== 0) return null;
  try {
    return zlib.inflateSync(bytes, { finishFlush: zlib.constants.Z_SYNC_FLUSH });
  } catch {
    return null;
  }
}
