import fs from "node:fs";
import { Readable } from "node:stream";
import zlib from "node:zlib";
import { TooComplexError } from "../errors.js";
import { FileBytes, WINDOW } from "../file-bytes.js";
import { isJ2cHead } from "../image/j2c-screen.js";
import { COM, J2C, lengthFieldSize, segmentLength } from "../image/jpeg-markers.js";
import { checkJp2Boxes, isJp2Head, newJp2Tally, type Jp2Tally } from "../image/jp2-screen.js";

/**
 * Comment segments in the codestreams of a PDF's JPEG 2000 pictures, all together, before the PDF
 * is refused: ExifTool's `-ee` read of the PDF reads each picture's headers as a JPEG's, one tag a
 * comment (300,000 one-byte comments in one picture, 2 MB, or 4 kB deflated: 9-11 s of CPU, 22-44 s
 * on a busy machine). Encoders write one or two a codestream; a scanned book of a thousand pages
 * stored as JPEG 2000 holds a thousand or two.
 */
export const MAX_PDF_JPX_COMMENTS = 10_000;

/**
 * Marker segments (and bare markers) of those headers, all together: ExifTool reads each (300,000
 * in a codestream: 5.6 s), and so does the screen's walk, one at a time (600,000 took it 5 s).
 * A codestream's headers hold tens.
 */
export const MAX_PDF_JPX_SEGMENTS = 100_000;

/** A picture behind Flate is inflated to at most this much (the screen holds it to walk it), all of them together to the second. */
const MAX_INFLATED_PICTURE = 64 * 1024 * 1024;
const MAX_INFLATED = 256 * 1024 * 1024;

/** Flate filters undone before a picture is looked at: ExifTool undoes each of a stream's. */
const MAX_FLATE_LAYERS = 4;

/** The first bytes of a stream's data that tell a picture, bare or deflated. */
const HEAD_BYTES = 512;

/** A stream's data starts after its keyword and one end of line (the `endstream` keyword is not one). */
const STREAM_KEYWORD = /(?<![A-Za-z])stream(?:\r\n|\n|\r)/g;
/** Characters kept from one window to the next: longer than the keyword and its end of line. */
const CARRY = 16;

/** The JPEG 2000 comment segment (CME), and the JPEG one, which ExifTool's JPEG reader takes too. */
const COMMENTS: ReadonlySet<number> = new Set([J2C.CME, COM]);

interface Tally {
  comments: number;
  segments: number;
  jp2: Jp2Tally;
  inflated: number;
  /** Bytes the codestream walks went over, bounded by the bytes there are (see walkCodestreamHeaders). */
  walked: number;
  budget: number;
}

/** A stream's bytes: read by position, or from a position on as a stream (to be inflated). */
interface Bytes {
  src: FileBytes;
  from(at: number): Readable;
}

/**
 * Refuses (TooComplexError) a PDF whose JPEG 2000 pictures, all together, hold more than
 * MAX_PDF_JPX_COMMENTS comments or MAX_PDF_JPX_SEGMENTS segments in the headers ExifTool reads (a
 * codestream's, up to its first data), or more boxes, nesting or EXIF entries than a JPEG 2000 file may (`jp2-screen.ts`, over
 * them all). Each stream's data is told by its first bytes, as stored or behind Flate filters
 * (inflated within MAX_INFLATED_PICTURE and MAX_INFLATED): whatever its dictionary says, as the
 * cleaner's look for embedded pictures does. Data encrypted in the file is not seen here.
 */
export async function checkPdfPictures(file: string): Promise<void> {
  const src = await FileBytes.open(file);
  try {
    const tally: Tally = { comments: 0, segments: 0, jp2: newJp2Tally(), inflated: 0, walked: 0, budget: src.size };
    const bytes: Bytes = { src, from: (at) => fs.createReadStream(file, { start: at, highWaterMark: WINDOW }) };
    for (const start of await streamStarts(file)) await checkStream(bytes, start, tally, 0);
  } finally {
    await src.close();
  }
}

/** Where the data of each stream of the file starts (and where text that reads like a stream keyword is followed by anything). */
async function streamStarts(file: string): Promise<number[]> {
  const starts: number[] = [];
  let carry = "";
  let base = 0;
  for await (const chunk of fs.createReadStream(file, { highWaterMark: WINDOW })) {
    const text = carry + (chunk as Buffer).toString("latin1");
    // A keyword ending in the last CARRY characters is found with the next window, whole there.
    const limit = text.length - CARRY;
    for (const m of text.matchAll(STREAM_KEYWORD)) {
      if (m.index + m[0].length > limit) break;
      starts.push(base + m.index + m[0].length);
    }
    const cut = Math.max(0, limit);
    base += cut;
    carry = text.slice(cut);
  }
  for (const m of carry.matchAll(STREAM_KEYWORD)) starts.push(base + m.index + m[0].length);
  return starts;
}

async function checkStream(bytes: Bytes, start: number, tally: Tally, layers: number): Promise<void> {
  const head = await bytes.src.read(start, HEAD_BYTES);
  if (isJ2cHead(head)) return walkCodestreamHeaders(bytes.src, start, tally);
  if (isJp2Head(head)) return checkJp2Boxes(bytes.src, start, bytes.src.size, tally.jp2);
  if (!inflatesToPicture(head, MAX_FLATE_LAYERS - layers)) return;
  const inflated = await inflateFrom(bytes.from(start), tally);
  tally.budget += inflated.length;
  const held = FileBytes.ofHead(inflated, inflated.length);
  await checkStream({ src: held, from: (at) => Readable.from([inflated.subarray(at)]) }, 0, tally, layers + 1);
}

/** Whether `head` is a zlib stream's start whose first inflated bytes are a picture, under at most `layers` zlib streams. */
function inflatesToPicture(head: Buffer, layers: number): boolean {
  if (layers <= 0 || head.length < 2 || (head[0]! & 0x0f) !== 8 || ((head[0]! << 8) | head[1]!) % 31 !== 0) return false;
  try {
    const first = zlib.inflateSync(head, { finishFlush: zlib.constants.Z_SYNC_FLUSH });
    return isJ2cHead(first) || isJp2Head(first) || inflatesToPicture(first, layers - 1);
  } catch {
    // Not zlib data after all (its first two bytes only looked like a header).
    return false;
  }
}

/** The zlib stream read from `input`, inflated up to its end or where it breaks (what came before then). */
async function inflateFrom(input: Readable, tally: Tally): Promise<Buffer> {
  const inflate = zlib.createInflate();
  input.pipe(inflate);
  const parts: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of inflate as AsyncIterable<Buffer>) {
      size += chunk.length;
      tally.inflated += chunk.length;
      if (size > MAX_INFLATED_PICTURE || tally.inflated > MAX_INFLATED) throw new TooComplexError("pdf: a picture behind Flate inflates past the screen's budget");
      parts.push(chunk);
    }
  } catch (err) {
    // Data that stops inflating is damage, the cleaner's to judge; what came before it is walked.
    if (err instanceof TooComplexError) throw err;
  } finally {
    input.destroy();
    inflate.destroy();
  }
  return Buffer.concat(parts);
}

/**
 * Counts the comments of a codestream's headers as ExifTool's JPEG reader reads them: segment
 * after segment, on to the next 0xFF after each and over 0xFF padding, up to the first start of
 * data. A walk that never finds one goes on through the bytes after the picture: all walks
 * together may go over as many bytes as there are (the file and what was inflated), and a file
 * whose walks go further (pictures' starts over and over inside one stream) is refused.
 */
async function walkCodestreamHeaders(src: FileBytes, start: number, tally: Tally): Promise<void> {
  const end = await codestreamHeadersEnd(src, start, tally);
  tally.walked += Math.min(end, src.size) - start;
  if (tally.walked > tally.budget) throw new TooComplexError("pdf: JPEG 2000 picture headers read over the same bytes over and over");
}

/** Where the walk of walkCodestreamHeaders stops: past the marker that ends it, or where the bytes do. */
async function codestreamHeadersEnd(src: FileBytes, start: number, tally: Tally): Promise<number> {
  let at = start + 2;
  for (;;) {
    const ff = await src.indexOf(0xff, at);
    if (ff < 0) return src.size;
    const markerAt = await src.skip(0xff, ff);
    const marker = await src.byte(markerAt);
    at = markerAt + 1;
    // The `-ee` read goes on past a SOS (ExifTool then looks for a trailer): only these end it.
    if (marker == null || marker === J2C.SOD || marker === J2C.EOC) return at;
    if (++tally.segments > MAX_PDF_JPX_SEGMENTS) throw new TooComplexError(`pdf: more than ${MAX_PDF_JPX_SEGMENTS} segments in JPEG 2000 pictures' headers`);
    const field = lengthFieldSize(marker);
    if (field === 0) continue;
    const length = segmentLength(await src.read(at, field), field);
    if (length == null) return at;
    if (COMMENTS.has(marker) && ++tally.comments > MAX_PDF_JPX_COMMENTS) {
      throw new TooComplexError(`pdf: more than ${MAX_PDF_JPX_COMMENTS} comments in JPEG 2000 pictures`);
    }
    at += length;
  }
}
