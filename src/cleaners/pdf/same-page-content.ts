import crypto from "node:crypto";
import fs from "node:fs";
import zlib from "node:zlib";
import { isDict, isRef } from "./object-view.js";
import type { ObjectDump } from "./qpdf.js";
import { checkSamePdfText } from "./same-text.js";
import { METADATA_KEYS, type PdfDict, type PdfJson } from "./scrub-objects.js";

/** What pdftotext's reading of a page depends on in the page's own dictionary. */
const PAGE_KEYS = ["/Contents", "/Resources", "/MediaBox", "/CropBox", "/Rotate", "/UserUnit"] as const;
/** Those a page may take from its ancestors in the page tree. */
const INHERITED: ReadonlySet<string> = new Set(["/Resources", "/MediaBox", "/CropBox", "/Rotate"]);
/** Keys left out of the comparison: the metadata the cleaning takes out, and the way up the page tree. */
const IGNORED: ReadonlySet<string> = new Set([...METADATA_KEYS, "/Parent"]);
/** Beyond these the comparison gives up (and pdftotext decides): nesting, and values visited per file. */
const MAX_DEPTH = 200;
const MAX_NODES = 2_000_000;
const CHUNK_BYTES = 256 * 1024;
/**
 * Flate streams are compared on their inflated bytes, each inflated whole in memory: up to this
 * much for one stream and in all; past either pdftotext decides. A page's content stream of
 * 300 MB of spaces (306 KB compressed) took the service to 259 MB with a 64 MB cap for one stream,
 * to 194 MB with this one (190 MB without the comparison).
 */
const MAX_INFLATED_STREAM_BYTES = 8 * 1024 * 1024;
const MAX_INFLATED_BYTES = 64 * 1024 * 1024;
/** A stream's keys that say how its data is stored, not what it holds. */
const STORAGE_KEYS: ReadonlySet<string> = new Set(["/Filter", "/DecodeParms", "/DL"]);

/** The pages and the pdftotext-free proof are not comparable: pdftotext decides. */
class Unprovable extends Error {}

export interface ReadPdf {
  file: string;
  /** qpdf's dump of `file`, stream data in files as stored (`--decode-level=none`). */
  dump: ObjectDump;
}

/**
 * Refuses a cleaned PDF whose pages may not read as the original's. Where qpdf's read of the copy
 * shows every page with the original's content streams, resources (fonts and their programs,
 * encodings, forms, colour spaces) and boxes, byte for byte and in the same order
 * (`samePageContent`), the text pdftotext would extract is the same and it is not run; anywhere
 * else pdftotext reads both files and their text is compared (`checkSamePdfText`).
 */
export async function checkSamePages(original: ReadPdf, cleaned: ReadPdf): Promise<void> {
  if (samePageContent(original.dump, cleaned.dump)) return;
  await checkSamePdfText(original.file, cleaned.file);
}

/**
 * Whether both dumps hold the same pages as far as any text extraction can tell: per page, the
 * graph of objects its drawing reads (content streams, effective resources, boxes and rotation;
 * the catalog's optional content settings, which hide or show parts of pages), compared by
 * structure (object numbers differ between the files) and by the bytes of every stream in it
 * (inflated where stored with Flate alone, which is how qpdf writes what was not compressed). Images count as images whatever their data (the cleaning replaces pictures with their
 * cleaned copies; no text is drawn from them), and the metadata keys the cleaning removes are
 * left out. A page with annotations is not judged here: their appearances can be generated from
 * form data outside the page.
 */
export function samePageContent(original: ObjectDump, copy: ObjectDump): boolean {
  if (original.pageObjects.length !== copy.pageObjects.length) return false;
  let a: PageGraphs;
  let b: PageGraphs;
  try {
    [a, b] = [pageGraphs(original), pageGraphs(copy)];
  } catch (err) {
    if (err instanceof Unprovable) return false;
    throw err;
  }
  if (a.digests.length !== b.digests.length || a.digests.some((d, i) => d !== b.digests[i])) return false;
  if (a.datafiles.length !== b.datafiles.length) return false;
  const read = { chunk: Buffer.allocUnsafe(CHUNK_BYTES), inflatable: MAX_INFLATED_BYTES };
  return a.datafiles.every((data, i) => sameData(data, b.datafiles[i]!, read));
}

/**
 * Whether two streams hold the same data: stored alike and byte for byte the same (qpdf copies a
 * page's Flate streams as they are: nothing to inflate), else by what they inflate to.
 */
function sameData(x: StreamData, y: StreamData, read: { chunk: Buffer; inflatable: number }): boolean {
  if (x.flate === y.flate && sameBytes(x.file, y.file, read.chunk)) return true;
  const digest = dataDigest(x, read);
  return digest != null && digest === dataDigest(y, read);
}

/** Whether two files hold the same bytes (a small one read whole, a larger one compared by digest). */
function sameBytes(a: string, b: string, chunk: Buffer): boolean {
  const size = fs.statSync(a).size;
  if (size !== fs.statSync(b).size) return false;
  if (size > chunk.length) return fileDigest(a, chunk) === fileDigest(b, chunk);
  return fs.readFileSync(a).equals(fs.readFileSync(b));
}

interface PageGraphs {
  /** The document's optional content settings, then one digest per page. */
  digests: string[];
  /** The data of the streams the digests name, by the index they name them with. */
  datafiles: StreamData[];
}

/** A stream's data file, and whether it holds Flate data alone (compared inflated). */
interface StreamData {
  file: string;
  flate: boolean;
}

function pageGraphs(dump: ObjectDump): PageGraphs {
  const walk = new GraphWalk(dump);
  const digests = [walk.digest(walk.catalogEntry("/OCProperties"), [], 0).text, ...dump.pageObjects.map((key) => walk.page(key))];
  return { digests, datafiles: walk.datafiles };
}

interface Digest {
  text: string;
  /** The lowest stack position a cycle inside points back to (Infinity: none). */
  up: number;
}

class GraphWalk {
  readonly datafiles: StreamData[] = [];
  private readonly objects: ObjectDump["doc"]["qpdf"][1];
  private readonly pageIndex: Map<string, number>;
  private readonly memo = new Map<string, string>();
  private nodes = 0;

  constructor(dump: ObjectDump) {
    this.objects = dump.doc.qpdf[1];
    this.pageIndex = new Map(dump.pageObjects.map((key, i) => [key, i]));
  }

  catalogEntry(key: string): PdfJson {
    const trailer = this.valueOf("trailer");
    const root = isDict(trailer) ? trailer["/Root"] : undefined;
    const catalog = isRef(root) ? this.valueOf(`obj:${root}`) : undefined;
    return isDict(catalog) ? (catalog[key] ?? null) : null;
  }

  /** The page's digest: its drawing's keys, inherited ones looked up the page tree. */
  page(key: string): string {
    const dict = this.valueOf(key);
    if (!isDict(dict)) throw new Unprovable();
    const annots = isRef(dict["/Annots"]) ? this.valueOf(`obj:${dict["/Annots"]}`) : dict["/Annots"];
    if (annots != null && !(Array.isArray(annots) && annots.length === 0)) throw new Unprovable();
    const drawn: PdfDict = {};
    for (const k of PAGE_KEYS) {
      const v = k in dict ? dict[k] : INHERITED.has(k) ? this.inherited(dict, k) : undefined;
      if (v !== undefined) drawn[k] = v;
    }
    return this.digest(drawn, [key], 0).text;
  }

  private inherited(page: PdfDict, k: string): PdfJson | undefined {
    const seen = new Set<string>();
    let parent = page["/Parent"];
    while (isRef(parent) && !seen.has(parent) && seen.size < MAX_DEPTH) {
      seen.add(parent);
      const node = this.valueOf(`obj:${parent}`);
      if (!isDict(node)) return undefined;
      if (k in node) return node[k];
      parent = node["/Parent"];
    }
    return undefined;
  }

  /** A non-stream object's value or a stream's dictionary; undefined for an object not in the dump. */
  private valueOf(key: string): PdfJson | undefined {
    const o = this.objects[key];
    if (o == null) return undefined;
    return "stream" in o ? o.stream.dict : o.value;
  }

  /**
   * The value's structure as text: objects by what they hold rather than by number, a page by its
   * position, a cycle by how far back it points, a stream's data by its index in `datafiles`.
   * Objects whose digest does not depend on the path that reached them are computed once.
   */
  digest(v: PdfJson | undefined, stack: string[], depth: number): Digest {
    if (++this.nodes > MAX_NODES || depth > MAX_DEPTH) throw new Unprovable();
    if (isRef(v)) return this.object(`obj:${v}`, stack, depth);
    if (Array.isArray(v)) return this.joined("[", v.map((item: PdfJson) => this.digest(item, stack, depth + 1)), "]");
    if (isDict(v)) {
      const keys = Object.keys(v).filter((k) => !IGNORED.has(k)).sort();
      const parts = keys.map((k) => this.digest(v[k], stack, depth + 1));
      return this.joined("{", parts.map((p, i) => ({ text: `${JSON.stringify(keys[i])}:${p.text}`, up: p.up })), "}");
    }
    // Dangling references read as null (PDF 32000-1, 7.3.10), in both files alike.
    return { text: v === undefined ? "null" : JSON.stringify(v), up: Infinity };
  }

  private joined(open: string, parts: Digest[], close: string): Digest {
    // Not Math.min(...ups): an array of a million items would overflow the stack.
    const up = parts.reduce((low, p) => Math.min(low, p.up), Infinity);
    return { text: `${open}${parts.map((p) => p.text).join(",")}${close}`, up };
  }

  private object(key: string, stack: string[], depth: number): Digest {
    const page = this.pageIndex.get(key);
    if (page != null) return { text: `page ${page}`, up: Infinity };
    const back = stack.indexOf(key);
    if (back >= 0) return { text: `cycle ${stack.length - back}`, up: back };
    const known = this.memo.get(key);
    if (known != null) return { text: known, up: Infinity };
    const o = this.objects[key];
    if (o == null) return { text: "null", up: Infinity };
    let inner: Digest;
    if (!("stream" in o)) {
      if (isDict(o.value) && o.value["/Type"] === "/Pages") return { text: "page tree", up: Infinity };
      inner = this.digest(o.value, [...stack, key], depth + 1);
    } else if (o.stream.dict["/Subtype"] === "/Image") {
      inner = { text: "image", up: Infinity };
    } else {
      if (o.stream.datafile == null) throw new Unprovable();
      // qpdf's writer compresses with Flate what was stored uncompressed: a Flate stream with no
      // parameters is compared on what it inflates to, and its storage keys are left out.
      const flate = isFlateAlone(o.stream.dict);
      const shown = flate ? Object.fromEntries(Object.entries(o.stream.dict).filter(([k]) => !STORAGE_KEYS.has(k))) : o.stream.dict;
      const dict = this.digest(shown, [...stack, key], depth + 1);
      this.datafiles.push({ file: o.stream.datafile, flate });
      inner = { text: `stream ${dict.text} data ${this.datafiles.length - 1}`, up: dict.up };
    }
    const text = crypto.createHash("sha256").update(inner.text).digest("hex");
    // Cycles back to this object or below it do not depend on the way here.
    if (inner.up >= stack.length) {
      this.memo.set(key, text);
      return { text, up: Infinity };
    }
    return { text, up: inner.up };
  }
}

/** Uncompressed or Flate-compressed without predictor: what qpdf writes either as. */
function isFlateAlone(dict: PdfDict): boolean {
  const filter = dict["/Filter"];
  const parms = dict["/DecodeParms"];
  const isFlate = filter === "/FlateDecode" || (Array.isArray(filter) && filter.length === 1 && filter[0] === "/FlateDecode");
  return isFlate && (parms == null || (Array.isArray(parms) && parms.every((p: PdfJson) => p == null)));
}

/**
 * The digest of a stream's data, inflated where it is Flate alone; null where it does not inflate
 * (damaged, or past what is left of `read.inflatable`: a content stream built to inflate without
 * end stops the comparison there). Read in place, synchronously (cleaners run on worker
 * threads): a page's streams are mostly a few hundred bytes, and a read stream per file cost
 * ~0.2 ms of CPU each, ten times the reading.
 */
function dataDigest(data: StreamData, read: { chunk: Buffer; inflatable: number }): string | null {
  if (!data.flate) return fileDigest(data.file, read.chunk);
  if (fs.statSync(data.file).size > Math.min(read.inflatable, MAX_INFLATED_STREAM_BYTES)) return null;
  let inflated: Buffer;
  try {
    inflated = zlib.inflateSync(fs.readFileSync(data.file), { maxOutputLength: Math.max(Math.min(read.inflatable, MAX_INFLATED_STREAM_BYTES), 1) });
  } catch {
    return null;
  }
  read.inflatable -= inflated.length;
  return crypto.createHash("sha256").update(inflated).digest("hex");
}

function fileDigest(file: string, chunk: Buffer): string {
  const hash = crypto.createHash("sha256");
  const fd = fs.openSync(file, "r");
  try {
    for (let n = fs.readSync(fd, chunk); n > 0; n = fs.readSync(fd, chunk)) hash.update(chunk.subarray(0, n));
  } finally {
    fs.closeSync(fd);
  }
  return hash.digest("hex");
}
