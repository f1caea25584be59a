import fs from "node:fs";
import fsp from "node:fs/promises";
import { Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import zlib from "node:zlib";
import type { PdfDict, QpdfDocument } from "./scrub-objects.js";

/**
 * qpdf's report when a stream's `/Length` is wrong: it looks for the next `endstream` itself and
 * says how long the stream turned out: "(object 4 0, offset 570): recovered stream length: 605".
 */
const RECOVERED = /\(object (\d+) (\d+), offset \d+\): recovered stream length: (\d+)/g;

/**
 * A recovered length counts the end of line before `endstream` (up to 2 bytes), and real writers
 * miscount line ends in the data by a byte or two (CR LF vs LF): too few bytes to hide metadata in.
 */
const LINE_END_SLACK = 4;

/** The streams qpdf had to measure itself, by reference ("4 0 R"), with the length it found. */
export function recoveredLengths(qpdfWarnings: string): Map<string, number> {
  return new Map([...qpdfWarnings.matchAll(RECOVERED)].map((m) => [`${m[1]} ${m[2]} R`, Number(m[3])]));
}

/**
 * `recovered` by stream: where a length was given by reference to an object qpdf could not read
 * as a number (pdf.js' issue1045.pdf: `56 0 obj 20184endobj`), its warning names that object, not
 * the stream, and the length goes to the one stream of `declared` (a dump with `/Length` kept,
 * see overlongStreams) whose /Length refers to it.
 */
export function byStream(recovered: ReadonlyMap<string, number>, declared: QpdfDocument): Map<string, number> {
  return new Map([...recovered].map(([ref, length]) => [streamOf(ref, declared), length]));
}

function streamOf(ref: string, doc: QpdfDocument): string {
  const objects = doc.qpdf[1];
  const named = objects[`obj:${ref}`];
  if (named == null || "stream" in named) return ref;
  const measured = Object.entries(objects).filter(([, o]) => "stream" in o && o.stream.dict["/Length"] === ref);
  return measured.length === 1 ? measured[0]![0].slice("obj:".length) : ref;
}

/**
 * The recovered streams whose data is longer than their dictionary declared. Such a stream may
 * have swallowed the objects that followed it (a damaged length or `endstream`: qpdf reads on to
 * the next object's `endstream`), and with them an XMP packet, an Info dictionary or a whole
 * JPEG with its EXIF, whose bytes would then be copied verbatim as page content, out of reach of
 * every rule that looks at objects. A stream recovered shorter than declared, or a rebuilt
 * cross-reference table, swallows nothing and is not reported.
 *
 * `declared` is a dump made with `--json-stream-data=none`: with stream data in files, qpdf
 * leaves `/Length` out of the dictionaries. Each is given with the length it declared.
 */
export function overlongStreams(recovered: ReadonlyMap<string, number>, declared: QpdfDocument): Array<{ ref: string; declared: number }> {
  const objects = declared.qpdf[1];
  return [...recovered].map(([ref, length]) => ({ ref, length, declared: declaredLength(objects, ref) })).filter((s) => s.length > s.declared + LINE_END_SLACK).map(({ ref, declared: d }) => ({ ref, declared: d }));
}

/** Past this many bytes beyond its declared length, a stream is taken to have swallowed objects unread. */
const MAX_OVERRUN_READ = 16 * 1024 * 1024;

/**
 * What only the syntax between objects holds: an object's or a stream's keywords, a cross-reference
 * section. Text past a plain stream's declared length that holds one is objects it swallowed
 * (its own `endstream` damaged, it went on to the next one, with an XMP packet in plain text).
 */
const OBJECT_SYNTAX = /(?:^|[^A-Za-z])(?:obj|endobj|stream|endstream|xref|trailer|startxref)(?![A-Za-z])/;

/** Bytes an ASCII filter's data is made of (ISO 32000-2, 7.4.2 and 7.4.3), white space and the end marker included. */
const ASCII_DATA: Record<string, RegExp> = {
  "/ASCIIHexDecode": /^[0-9A-Fa-f\s>]*$/,
  "/AHx": /^[0-9A-Fa-f\s>]*$/,
  "/ASCII85Decode": /^[!-uz\s~>]*$/,
  "/A85": /^[!-uz\s~>]*$/,
};

/**
 * Whether an overlong stream's data (`datafile`, as stored: --decode-level=none) is, past its
 * declared length, still its own data in its own encoding: drawing instructions (printable text
 * without the syntax between objects) for a stream stored plain, hexadecimal or base-85 text behind an ASCII filter, and behind Flate
 * the rest of one zlib stream that ends with the data. Objects it swallowed (a dictionary, an XMP
 * packet, a JPEG with its EXIF, zeros where damage struck) are none of these. Other encodings are
 * not told apart. So pdf.js's helloworld-bad.pdf, operator-in-TJ-array.pdf (a /Length too short
 * or missing for the page's drawing) and multiple-filters-length-zero.pdf (/Length 0 for a
 * Flate-compressed JPEG) are cleaned.
 */
export async function overrunIsOwnData(datafile: string, dict: PdfDict, declared: number): Promise<boolean> {
  const filters = Array.isArray(dict["/Filter"]) ? dict["/Filter"] : dict["/Filter"] == null ? [] : [dict["/Filter"]];
  const first = filters[0];
  if (first === "/FlateDecode" || first === "/Fl") return endsWithOneZlibStream(datafile);
  const { size } = await fsp.stat(datafile);
  if (size - declared > MAX_OVERRUN_READ) return false;
  const overrun = Buffer.alloc(Math.max(0, size - declared));
  const handle = await fsp.open(datafile, "r");
  try {
    await handle.read(overrun, 0, overrun.length, declared);
  } finally {
    await handle.close();
  }
  const text = overrun.toString("latin1");
  if (first == null) return /^[\x20-\x7e\t\r\n\f]*$/.test(text) && !OBJECT_SYNTAX.test(text);
  const ascii = typeof first === "string" ? ASCII_DATA[first] : undefined;
  return ascii != null && ascii.test(text);
}

/** Whether the file is one zlib stream and at most a line end after it (inflated and dropped as it goes). */
async function endsWithOneZlibStream(file: string): Promise<boolean> {
  const { size } = await fsp.stat(file);
  const inflate = zlib.createInflate();
  try {
    await pipeline(fs.createReadStream(file), inflate, new Writable({ write: (_chunk, _enc, done) => done() }));
  } catch {
    return false;
  }
  return size - inflate.bytesWritten <= LINE_END_SLACK;
}

/** The `/Length` the stream's dictionary gives, direct or by reference; 0 when there is none. */
function declaredLength(objects: QpdfDocument["qpdf"][1], ref: string): number {
  const obj = objects[`obj:${ref}`];
  if (obj == null || !("stream" in obj)) return 0;
  let length = obj.stream.dict["/Length"];
  if (typeof length === "string") {
    const target = objects[`obj:${length}`];
    length = target != null && "value" in target ? target.value : null;
  }
  return typeof length === "number" ? length : 0;
}
