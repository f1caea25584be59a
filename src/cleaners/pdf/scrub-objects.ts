/**
 * The metadata-removing edit of a PDF, computed on qpdf's JSON (version 2) view of its objects:
 * https://qpdf.readthedocs.io/en/stable/json.html. Pure: objects in, the `--update-from-json`
 * document out, listing only the objects it changes.
 */

import { isRef } from "./object-view.js";

/** A PDF value as qpdf's JSON v2 spells it: names "/X", strings "u:..."/"b:...", refs "N G R". */
export type PdfJson = string | number | boolean | null | PdfJson[] | PdfDict;
export interface PdfDict {
  [key: string]: PdfJson;
}

/** One object; a stream's data is inline (`data`, base64) or in a file (`datafile`), or absent. */
export type QpdfObject = { value: PdfJson } | { stream: { dict: PdfDict; data?: string; datafile?: string } };

export interface QpdfDocument {
  qpdf: [header: Record<string, unknown>, objects: Record<string, QpdfObject>];
}

/*
 * Every rule below recognises what it scrubs by the dictionary's own content, never by the key
 * that led to it: in a damaged file (one flipped bit in `/Perms`, `/Info`, `/Rect`, `/PieceInfo`)
 * the path is what breaks, and the object is still written if anything at all refers to it.
 */

/**
 * Web Capture (ISO 32000-2, 14.10), what Acrobat records of a web page or file it turned into a
 * PDF: the catalog's `/SpiderInfo` (the capture commands: URLs, form data, HTTP headers) and the
 * name dictionary's `/IDS` and `/URLS` trees, which lead to the content sets: each with the
 * page's title, the time of the capture, and its source (the URL, a local path naming the user:
 * file:////wsl.localhost/Ubuntu/home/NAME/..., pdf.js's issue16176.pdf). No reader draws with them.
 */
const WEB_CAPTURE_KEYS = ["/SpiderInfo", "/IDS", "/URLS"];

/**
 * Keys that carry metadata wherever they appear: XMP streams (catalog, pages, images, fonts,
 * forms...), application private data (`/PieceInfo`, its data dictionaries' `/Private` and
 * `/LastModified`), the program an optional content group (a layer) names as its maker
 * (`/CreatorInfo` of its usage: Illustrator writes one per layer), and the dates embedded-file
 * parameters, annotations and others keep. None of them changes what a page shows.
 */
export const METADATA_KEYS: ReadonlySet<string> = new Set(["/Metadata", "/PieceInfo", "/Private", "/LastModified", "/CreationDate", "/ModDate", "/CreatorInfo", ...WEB_CAPTURE_KEYS]);

/** A content set's entries about the capture (its source, time, title and content type), wherever it is still referenced. */
const CONTENT_SET_CAPTURE_KEYS: ReadonlySet<string> = new Set(["/SI", "/TS", "/T", "/CT"]);

/**
 * A signature dictionary names the signer, the time, place and reason, and holds the certificate;
 * the signature cannot survive the rewrite anyway (it signs the original bytes). Wherever one is
 * still referenced, only the names saying what kind of signature it was stay.
 */
const SIGNATURE_KEPT: ReadonlySet<string> = new Set(["/Type", "/Filter", "/SubFilter"]);

/**
 * The trailer needs only the catalog (qpdf writes `/Size` and drops `/Encrypt` with `--decrypt`).
 * Everything else goes whatever its key says: `/Info` (the document information dictionary, or
 * the same with a damaged name) and `/ID`, whose first half is meant to be permanent across every
 * copy and revision and so links the cleaned file to the original; qpdf writes a new one derived
 * from the cleaned content only (`--deterministic-id`).
 */
const TRAILER_KEPT: ReadonlySet<string> = new Set(["/Root", "/Size", "/Encrypt"]);

export function scrubObjects(doc: QpdfDocument): { update: QpdfDocument; changed: number } {
  const [header, objects] = doc.qpdf;
  const out: Record<string, QpdfObject> = {};
  for (const [key, obj] of Object.entries(objects)) {
    const next = key === "trailer" ? scrubTrailer(obj) : scrubObject(obj);
    if (next != null) out[key] = next;
  }
  return { update: { qpdf: [header, out] }, changed: Object.keys(out).length };
}

function scrubTrailer(obj: QpdfObject): QpdfObject | null {
  if (!("value" in obj) || !isDict(obj.value)) return null;
  const dict = withoutKeys(obj.value, (k) => !TRAILER_KEPT.has(k));
  const changed = Object.keys(dict).length !== Object.keys(obj.value).length;
  const inner = scrubValue(dict);
  return changed || inner !== dict ? { value: inner } : null;
}

function scrubObject(obj: QpdfObject): QpdfObject | null {
  if ("stream" in obj) {
    const { dict } = obj.stream;
    if (dict["/Type"] === "/Metadata" || dict["/Subtype"] === "/XML") {
      // An XMP stream still referenced from somewhere unexpected: keep the object, empty it.
      const bare = withoutKeys(dict, (k) => ["/Filter", "/DecodeParms", "/Length"].includes(k));
      return { stream: { dict: bare, data: "" } };
    }
    const next = scrubValue(dict);
    return next === dict ? null : { stream: { dict: next as PdfDict } };
  }
  const next = scrubValue(obj.value);
  return next === obj.value ? null : { value: next };
}

/** Returns the same reference when nothing inside changed, a scrubbed copy otherwise. */
function scrubValue(v: PdfJson): PdfJson {
  if (Array.isArray(v)) {
    const items = v.map(scrubValue);
    return items.some((x, i) => x !== v[i]) ? items : v;
  }
  if (!isDict(v)) return v;
  const drop = dropRule(v);
  let changed = false;
  const out: PdfDict = {};
  for (const [k, child] of Object.entries(v)) {
    if (drop(k, child)) {
      changed = true;
      continue;
    }
    const next = scrubValue(child);
    if (next !== child) changed = true;
    out[k] = next;
  }
  return changed ? out : v;
}

/** Which entries of `d` go, judged from `d` alone. */
function dropRule(d: PdfDict): (key: string, value: PdfJson) => boolean {
  if (isSignature(d)) return (k) => !SIGNATURE_KEPT.has(k);
  if (isWebCaptureContentSet(d)) return (k) => CONTENT_SET_CAPTURE_KEYS.has(k) || METADATA_KEYS.has(k);
  const namesField = isFormField(d) || isStructureElement(d);
  return (k, value) =>
    METADATA_KEYS.has(k) ||
    // qpdf's name for a value it found without a key while repairing a damaged dictionary: a
    // fragment of broken syntax that may hold the text of the objects after it (an XMP packet
    // swallowed by a string whose closing parenthesis was damaged).
    k.startsWith("/QPDFFake") ||
    // pdfTeX's (and LuaTeX's) record of a PDF figure it included, in the figure's form XObject:
    // the figure's path on the author's disk, its page, and its whole document information
    // dictionary (creator, producer, title, dates). No reader draws with them; ExifTool does not
    // read them.
    k.startsWith("/PTEX.") ||
    // An annotation's author; in a form field or a structure element, /T is its name or title,
    // in an article bead the thread it belongs to.
    (k === "/T" && typeof value === "string" && !namesField && !isBead(d)) ||
    // An article thread's information dictionary: its title, author, subject, keywords, dates.
    (k === "/I" && isThread(d) && !Array.isArray(value)) ||
    // A document information dictionary held by another dictionary than the trailer: Acrobat's
    // "Combine Files" keeps each combined document's in the structure element of its part (/S
    // /Part; pdf.js's issue14497.pdf: author, creator, producer, title, dates). An output intent's
    // /Info is a text string (the printing condition) and stays.
    (k === "/Info" && (isDict(value) || isRef(value))) ||
    // A modification date (annotations, widgets); a page transition's /M is a name and stays.
    (k === "/M" && typeof value === "string") ||
    // The catalog's permissions point at signatures (an encryption dictionary's /Perms is a string).
    (k === "/Perms" && isDict(value)) ||
    // A signature field's value is the signature: the field stays, unsigned.
    (k === "/V" && d["/FT"] === "/Sig");
}

/**
 * By its own entries: its type, the byte range it signs, or a signature handler (/Adobe.PPKLite,
 * /adbe.pkcs7.detached, /ETSI.CAdES.detached...) next to the signature bytes.
 */
function isSignature(d: PdfDict): boolean {
  if (d["/Type"] === "/Sig" || d["/Type"] === "/DocTimeStamp" || "/ByteRange" in d) return true;
  const handler = [d["/Filter"], d["/SubFilter"]].some((n) => typeof n === "string" && /^\/(Adobe|adbe|ETSI)\./.test(n));
  return handler && "/Contents" in d;
}

/** A Web Capture content set: typed, or a page or image set (/S) with its objects and digital identifier. */
function isWebCaptureContentSet(d: PdfDict): boolean {
  return d["/Type"] === "/SpiderContentSet" || ((d["/S"] === "/SPS" || d["/S"] === "/SIS") && "/O" in d && "/ID" in d);
}

/** A field has a type, kids, or is a widget; a terminal field split from its widget has a parent but no subtype. */
function isFormField(d: PdfDict): boolean {
  return "/FT" in d || "/Kids" in d || d["/Subtype"] === "/Widget" || ("/Parent" in d && !("/Subtype" in d));
}

/** An article thread: typed, or by its first bead (/F) next to its information (/I). */
function isThread(d: PdfDict): boolean {
  return d["/Type"] === "/Thread" || ("/F" in d && "/I" in d && !("/FT" in d) && !("/EF" in d));
}

/** A bead of an article thread: typed, or by its links to the next and previous beads. */
function isBead(d: PdfDict): boolean {
  return d["/Type"] === "/Bead" || ("/N" in d && "/V" in d && "/R" in d);
}

/** Tagged PDF structure elements carry a structure type (/S) and no rectangle. */
function isStructureElement(d: PdfDict): boolean {
  return "/S" in d && !("/Rect" in d);
}

function isDict(v: PdfJson): v is PdfDict {
  return v != null && typeof v === "object" && !Array.isArray(v);
}

function withoutKeys(d: PdfDict, drop: (key: string) => boolean): PdfDict {
  return Object.fromEntries(Object.entries(d).filter(([k]) => !drop(k)));
}
