/**
 * The metadata-removing edit of a PDF, computed on qpdf's JSON (version 2) view of its objects:
 * https://qpdf.readthedocs.io/en/stable/json.html. Pure: objects in, the `--update-from-json`
 * document out, listing only the objects it changes.
 */

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

/**
 * Keys that carry metadata wherever they appear: XMP streams (catalog, pages, images, fonts,
 * forms...), application private data (`/PieceInfo` with its `/LastModified`), and the dates
 * embedded-file parameters and others keep. None of them changes what a page shows.
 */
const METADATA_KEYS = ["/Metadata", "/PieceInfo", "/LastModified", "/CreationDate", "/ModDate"];

/** In an annotation (but not a form widget, whose `/T` is the field name): author and date. */
const ANNOTATION_KEYS = ["/T", "/M"];

/**
 * A signature field's value names the signer, the time, place and reason, and its certificate;
 * the signature cannot survive the rewrite anyway (it signs the original bytes). The field stays,
 * unsigned, and the catalog's `/Perms` (which points at signatures) goes.
 */
const SIGNATURE_KEYS = ["/V"];
const CATALOG_KEYS = ["/Perms"];

/**
 * The trailer's `/Info` is the document information dictionary. `/ID` is dropped too: its first
 * half is meant to be permanent across every copy and revision of a document, so it links the
 * cleaned file to the original; qpdf then writes a new one derived from the cleaned content only
 * (`--deterministic-id`).
 */
const TRAILER_KEYS = ["/Info", "/ID"];

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
  const dict = { ...obj.value };
  let changed = false;
  for (const k of TRAILER_KEYS) {
    if (k in dict) {
      delete dict[k];
      changed = true;
    }
  }
  const inner = scrubValue(dict);
  return changed || inner !== dict ? { value: inner } : null;
}

function scrubObject(obj: QpdfObject): QpdfObject | null {
  if ("stream" in obj) {
    const { dict } = obj.stream;
    if (dict["/Type"] === "/Metadata") {
      // An XMP stream still referenced from somewhere unexpected: keep the object, empty it.
      const bare = withoutKeys(dict, ["/Filter", "/DecodeParms", "/Length"]);
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
  const drop = keysToDrop(v);
  let changed = drop.some((k) => k in v);
  const out: PdfDict = {};
  for (const [k, child] of Object.entries(v)) {
    if (drop.includes(k)) continue;
    const next = scrubValue(child);
    if (next !== child) changed = true;
    out[k] = next;
  }
  return changed ? out : v;
}

function keysToDrop(d: PdfDict): string[] {
  const keys = [...METADATA_KEYS];
  if (isAnnotation(d)) keys.push(...ANNOTATION_KEYS);
  if (d["/FT"] === "/Sig") keys.push(...SIGNATURE_KEYS);
  if (d["/Type"] === "/Catalog") keys.push(...CATALOG_KEYS);
  return keys;
}

function isAnnotation(d: PdfDict): boolean {
  return "/Rect" in d && typeof d["/Subtype"] === "string" && d["/Subtype"] !== "/Widget";
}

function isDict(v: PdfJson): v is PdfDict {
  return v != null && typeof v === "object" && !Array.isArray(v);
}

function withoutKeys(d: PdfDict, keys: readonly string[]): PdfDict {
  return Object.fromEntries(Object.entries(d).filter(([k]) => !keys.includes(k)));
}
