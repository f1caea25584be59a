import fs from "node:fs";
import { TooComplexError } from "../errors.js";
import { WINDOW } from "../file-bytes.js";
import { checkPdfPictures } from "./jpx-screen.js";
import { DecodingChains } from "./decoding-chains.js";
import { checkPdfXmp, MAX_XML_LAYERS, XML_FILTER_NAMES } from "./pdf-xmp-screen.js";

/**
 * Objects (written in the file or held in object streams) before a PDF is refused. ExifTool and
 * qpdf read every object the cross-reference lists, and qpdf holds them all in memory: 300,000
 * empty objects (12 MB) took qpdf ~10 s and 250 MB for each of its reads, ExifTool 7 s, and
 * about 600,000 reach qpdf's 512 MB address-space cap (process-limits.ts), so a file past this
 * count could not be cleaned anyway, only refused after a minute. Real documents of thousands of
 * pages hold tens of thousands.
 */
export const MAX_PDF_OBJECTS = 500_000;

/**
 * Cross-reference entries, in tables and streams, all revisions together: ExifTool and qpdf read
 * each even when it lists no object (2,000,000 free entries: qpdf 15 s, ExifTool 20 s and 290 MB).
 * Twice the objects: a document at the cap, saved again with its whole table (some writers do).
 */
export const MAX_PDF_XREF_ENTRIES = 2 * MAX_PDF_OBJECTS;

/**
 * Page tree nodes (`/Type /Pages`) written in the file's own bytes, a bound on the tree's depth:
 * qpdf walks the tree recursively and crashed (out of stack) on a chain of 25,000 nodes (1 MB),
 * 20,000 still read; those inside compressed object streams are not seen here (qpdf.ts makes its
 * crash a 422). A tree of this many nodes, ten pages to a node as writers make them, would hold
 * 100,000 pages.
 */
export const MAX_PDF_PAGE_NODES = 10_000;

/** Streams the namespace count peeks into beyond the objects counted (see checkPdfXmp). */
const STREAMS_PAST_OBJECTS = 1_000;

/**
 * References to encryption dictionaries kept for the decrypted view's one read of them (a file
 * saved again names the same one in each trailer; more than this are read after its trailer).
 */
const MAX_ENCRYPT_REFS = 4;

/** Where qpdf and ExifTool look for the header: anywhere in the first kilobyte. */
const HEADER_WITHIN = 1024;

/**
 * White space as PDF defines it, and comments, which read as white space between tokens. A
 * comment is matched with its line end, so a run of them splits one way only: one that could end
 * anywhere let the expression try every split of a line of `%`s and spaces (11 s on 600 KB of
 * compressed data).
 */
const WS = String.raw`(?:[\0\t\n\f\r ]|%[^\r\n]{0,1024}[\r\n])`;
/** A name's characters (`#xx` escapes decoded apart). */
const NAME = String.raw`[^\0\t\n\f\r /<>\[\]()%{}]*`;
/** An integer as qpdf reads one, its digits in the named group. */
const int = (group: string): string => String.raw`[+]?(?<${group}>\d+)`;

/**
 * The tokens counted, in one pass: an object's header ("12 0 obj", with its value when that is a
 * bare integer), a classic cross-reference row, and a name with the value after it (an integer,
 * a reference, a name, or a short array of integers).
 */
const TOKEN = new RegExp(
  [
    String.raw`(?<![\d.+-])(?<num>\d+)${WS}+\d+${WS}+obj(?![A-Za-z0-9])(?:${WS}*${int("integer")}${WS}*endobj)?`,
    String.raw`(?<row>\d{10} \d{5} [nf])`,
    String.raw`\/(?<key>${NAME})(?:${WS}*(?:${int("value")}(?:${WS}+(?<ref>\d+)${WS}+R)?|\/(?<name>${NAME})|\[(?<array>[\d\0\t\n\f\r +]{0,8192})\]))?`,
  ].join("|"),
  "g",
);

/** Characters kept from one window to the next: longer than any token counted (an array is at most 8 KB). */
const CARRY = 16 * 1024;

export function isPdfHead(bytes: Buffer): boolean {
  return bytes.subarray(0, HEADER_WITHIN).includes("%PDF-", 0, "latin1");
}

/** One object's dictionary, as far as the counts go. */
interface Dict {
  /** The largest direct `/N` (an object stream's count; other dictionaries' are small numbers). */
  n: number;
  nRefs: number[];
  xref: boolean;
  pages: boolean;
  /** The entries its `/Index` lists; NaN where it is too long to read here. */
  index: number | null;
  size: number;
}

/** What the screen counts, as ExifTool and qpdf will find them. */
interface Counts {
  objects: number;
  xrefEntries: number;
  pageNodes: number;
  /** Counts given by reference (an object stream's `/N 7 0 R`): resolved once the file is read. */
  countRefs: number[];
  /** Objects whose whole value is an integer, by number: what such a reference resolves to. */
  integers: Map<number, number>;
  current: Dict | null;
  /** Whether any dictionary names an encryption dictionary (`/Encrypt`), as a trailer does. */
  encrypted: boolean;
  /** The encryption dictionaries named by reference, as qpdf's `--json-object` takes them ("6,0"). */
  encryptRefs: Set<string>;
  /** Whether any name is `/JPXDecode`: the file holds JPEG 2000 pictures, which `jpx-screen.ts` looks into. */
  jpx: boolean;
  /** The filters named that the XML count undoes besides Flate (LZW, ASCII85, ASCIIHex: see checkPdfXmp). */
  filters: Set<string>;
  /** The longest list of decoding filters named. */
  chains: DecodingChains;
}

/**
 * The memory one request takes for each object of a PDF, all its steps together: ExifTool's read,
 * qpdf's dump of every object (held in qpdf, then parsed in a worker; measured when the findings
 * still dumped a PDF with object streams a second time) and qpdf's write. Measured with 300,000 empty objects: the
 * service's tree grew by ~600 MB for a removal (plain objects) to ~800 MB (in object streams), by
 * ~575 MB for an extraction; four at once reached 2.3-2.7 GB.
 */
const PDF_BYTES_PER_OBJECT = 2048;

/** The same for each cross-reference entry, free ones too (2,000,000 took ExifTool 290 MB). */
const PDF_BYTES_PER_XREF_ENTRY = 256;

/**
 * Refuses (TooComplexError) a PDF of more objects than MAX_PDF_OBJECTS or cross-reference entries
 * than MAX_PDF_XREF_ENTRIES or page tree nodes than MAX_PDF_PAGE_NODES, read as bytes in one pass before any tool parses it: every object
 * header counts (also in a damaged file, whose objects qpdf finds the same way), an object stream
 * its `/N`, a cross-reference stream its entries (`/Index` or `/Size`), a table its rows. Names
 * are read as qpdf reads them (`#xx` escapes, comments between tokens). Stream data that happens
 * to look like these counts too: it can only err towards refusing a file near a cap. A file that
 * names `/JPXDecode` has its JPEG 2000 pictures looked into too (`jpx-screen.ts`), and its deflated
 * XML streams' namespaces are counted (`pdf-xmp-screen.ts`), through lists of up to MAX_XML_LAYERS
 * decoding filters: a file naming a longer list (decoding-chains.ts) is too complex. Resolves to the
 * memory its processing is expected to take (the weight the work budget gives it), and whether it
 * is encrypted.
 */
export async function checkPdfShape(file: string): Promise<PdfShape> {
  const { objects, xrefEntries, encrypted, encryptRefs, jpx, filters } = await countPdfStructures(file);
  // Every stream is an object's, counted above (a few more for damaged files and chance bytes).
  const shape = { weight: objects * PDF_BYTES_PER_OBJECT + xrefEntries * PDF_BYTES_PER_XREF_ENTRY, encrypted, encryptRefs: [...encryptRefs], jpx, filters, streams: objects + STREAMS_PAST_OBJECTS };
  await checkPdfStreams(file, shape);
  return shape;
}

/** The looks into a PDF's stream data: its JPEG 2000 pictures, the namespaces of its compressed XML. */
export async function checkPdfStreams(file: string, shape: Pick<PdfShape, "jpx" | "streams" | "filters">): Promise<void> {
  if (shape.jpx) await checkPdfPictures(file);
  await checkPdfXmp(file, shape.streams, shape.filters);
}

/** What the screen tells of a PDF it let through. */
export interface PdfShape {
  /** The memory its processing is expected to take, in bytes. */
  weight: number;
  /** Whether it names an encryption dictionary (`/Encrypt`) anywhere: it may need a password to open. */
  encrypted: boolean;
  /** The encryption dictionaries it names by reference, as qpdf's `--json-object` takes them ("6,0"). */
  encryptRefs: readonly string[];
  /** Whether it names `/JPXDecode`: it holds JPEG 2000 pictures, which `jpx-screen.ts` looks into. */
  jpx: boolean;
  /** The filters it names that the XML count undoes besides Flate (see checkPdfXmp). */
  filters: ReadonlySet<string>;
  /** The streams its XML count peeks into at most (see checkPdfXmp). */
  streams: number;
}

/** The objects and cross-reference entries of a PDF, as the screen counts them; refused past a cap. */
export async function countPdfStructures(file: string): Promise<Pick<Counts, "objects" | "xrefEntries" | "pageNodes" | "encrypted" | "encryptRefs" | "jpx" | "filters">> {
  const counts: Counts = { objects: 0, xrefEntries: 0, pageNodes: 0, countRefs: [], integers: new Map(), current: null, encrypted: false, encryptRefs: new Set(), jpx: false, filters: new Set(), chains: new DecodingChains() };
  // Tokens of `carry` ending at or before `from` were counted with the window before.
  let carry = "";
  let from = 0;
  // The file's bytes read so far.
  let read = 0;
  for await (const chunk of fs.createReadStream(file, { highWaterMark: WINDOW })) {
    const text = carry + (chunk as Buffer).toString("latin1");
    // A token ending in the last CARRY characters is counted with the next window, whole there.
    const limit = Math.max(from, text.length - CARRY);
    countTokens(text, read - carry.length, from, limit, counts);
    read += (chunk as Buffer).length;
    const cut = Math.max(0, limit - CARRY);
    carry = text.slice(cut);
    from = limit - cut;
  }
  countTokens(carry, read - carry.length, from, carry.length, counts);
  endObject(counts);
  for (const ref of counts.countRefs) counts.objects += counts.integers.get(ref) ?? 0;
  refusePastCaps(counts);
  // The XML count undoes that many filters at most, a stream's longer list could hide XML from it.
  if (counts.chains.longest > MAX_XML_LAYERS) throw new TooComplexError(`pdf: a list of ${counts.chains.longest} decoding filters (more than ${MAX_XML_LAYERS})`);
  const { objects, xrefEntries, pageNodes, encrypted, encryptRefs, jpx, filters } = counts;
  return { objects, xrefEntries, pageNodes, encrypted, encryptRefs, jpx, filters };
}

/** Counts the tokens of `text` (the file's from byte `base` on) that end in (from, to]. */
function countTokens(text: string, base: number, from: number, to: number, counts: Counts): void {
  for (const m of text.matchAll(TOKEN)) {
    const end = m.index + m[0].length;
    if (end <= from) continue;
    if (end > to) break;
    const g = m.groups!;
    if (g["num"] != null) {
      endObject(counts);
      counts.objects++;
      counts.current = { n: 0, nRefs: [], xref: false, pages: false, index: null, size: 0 };
      // An integer object (kept while the count is under the cap, refused past it: bounded).
      if (g["integer"] != null) counts.integers.set(Number(g["num"]), Number(g["integer"]));
    } else if (g["row"] != null) {
      counts.xrefEntries++;
    } else {
      const key = decodeName(g["key"]!);
      // Wherever it stands: a classic trailer is no object.
      if (key === "Encrypt") {
        counts.encrypted = true;
        // `value` and `ref` of "6 0 R" are the object's number and generation.
        if (g["ref"] != null && counts.encryptRefs.size < MAX_ENCRYPT_REFS) counts.encryptRefs.add(`${Number(g["value"])},${Number(g["ref"])}`);
      }
      // A filter list's names read as a key and its value: `[/FlateDecode /JPXDecode]`.
      const names = g["name"] != null ? [key, decodeName(g["name"])] : [key];
      for (const name of names) {
        if (name === "JPXDecode") counts.jpx = true;
        else if (XML_FILTER_NAMES.has(name)) counts.filters.add(name);
      }
      counts.chains.see(text, base, m.index, end, names, g["value"] != null || g["array"] != null);
      if (counts.current != null) readEntry(key, g, counts.current);
    }
    if (counts.objects > MAX_PDF_OBJECTS || counts.xrefEntries > MAX_PDF_XREF_ENTRIES || counts.pageNodes > MAX_PDF_PAGE_NODES) refusePastCaps(counts);
  }
}

function readEntry(key: string, g: Record<string, string | undefined>, d: Dict): void {
  const int = g["value"] != null ? Number(g["value"]) : null;
  if (key === "N") {
    if (g["ref"] != null && int != null) d.nRefs.push(int);
    else if (int != null) d.n = Math.max(d.n, int);
  } else if (key === "Type" && g["name"] != null) {
    const type = decodeName(g["name"]);
    d.xref ||= type === "XRef";
    d.pages ||= type === "Pages";
  } else if (key === "Size" && int != null && g["ref"] == null) {
    d.size = Math.max(d.size, int);
  } else if (key === "Index") {
    d.index = g["array"] != null ? indexEntries(g["array"]) : Number.NaN;
  }
}

/** The object read so far adds its object stream's count, its cross-reference stream's entries. */
function endObject(counts: Counts): void {
  const d = counts.current;
  if (d == null) return;
  counts.current = null;
  counts.objects += d.n;
  if (d.pages) counts.pageNodes++;
  counts.countRefs.push(...d.nRefs);
  // An index too long to read here is counted past the cap: no real cross-reference stream has one.
  if (d.xref) counts.xrefEntries += d.index == null ? d.size : Number.isNaN(d.index) ? MAX_PDF_XREF_ENTRIES + 1 : d.index;
}

function refusePastCaps(counts: Counts): void {
  if (counts.objects > MAX_PDF_OBJECTS) throw new TooComplexError(`pdf: more than ${MAX_PDF_OBJECTS} objects (${counts.objects} counted)`);
  if (counts.xrefEntries > MAX_PDF_XREF_ENTRIES) throw new TooComplexError(`pdf: more than ${MAX_PDF_XREF_ENTRIES} cross-reference entries`);
  if (counts.pageNodes > MAX_PDF_PAGE_NODES) throw new TooComplexError(`pdf: more than ${MAX_PDF_PAGE_NODES} page tree nodes`);
}

/** The counts of an `/Index` array's pairs (first object, count). */
function indexEntries(array: string): number {
  const numbers = array.trim().split(/[\0\t\n\f\r +]+/).filter((x) => x !== "").map(Number);
  let entries = 0;
  for (let i = 1; i < numbers.length; i += 2) entries += numbers[i]!;
  return entries;
}

/** A name as qpdf reads it: `#xx` is the byte xx. */
function decodeName(raw: string): string {
  return raw.includes("#") ? raw.replace(/#([0-9A-Fa-f]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16))) : raw;
}
