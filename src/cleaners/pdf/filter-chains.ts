import fsp from "node:fs/promises";
import path from "node:path";
import { BadFileError } from "../errors.js";
import { isRef, objectKey, type ObjectView } from "./object-view.js";
import { dumpObjects } from "./qpdf.js";
import type { PdfDict, PdfJson, QpdfDocument, QpdfObject } from "./scrub-objects.js";

const DAMAGED_PICTURE = "The PDF holds a picture whose data is damaged, so it cannot be cleaned safely.";

/** One decoded picture may be this large (a 512 MB JPEG is far past any real page's). */
const MAX_PICTURE_BYTES = 512 * 1024 * 1024;

/** References are followed this deep when a filter list or its parameters are inlined. */
const MAX_REF_DEPTH = 8;

/**
 * A picture stored behind other filters: a JPEG as `/Filter [/FlateDecode /DCTDecode]`, a JPEG
 * 2000 file or codestream as `[/FlateDecode /JPXDecode]`, or ASCIIHex, ASCII85, LZW, RunLength
 * (full or abbreviated names) before the picture's own filter. The parameters are split the same
 * way (`/DecodeParms` is an array beside an array of filters, one entry each).
 */
export interface PictureChain {
  /** The filters before the picture's own, as the dictionary names them. */
  leading: PdfJson[];
  /** Their parameters, one per filter (null: none). */
  leadingParms: PdfJson[];
  /** The picture filter's own parameters (the DCT's `/ColorTransform`), kept when the picture is stored back. */
  lastParms: PdfJson;
}

/** The names of the picture filters whose data is a file of its own, abbreviated (7.4.1) or not. */
export const DCT_FILTERS: ReadonlySet<string> = new Set(["/DCTDecode", "/DCT"]);
export const JPX_FILTERS: ReadonlySet<string> = new Set(["/JPXDecode"]);

/**
 * The chain of a stream's dictionary, or null where its last filter is not one of `last` or
 * nothing stands before it (a lone `/DCTDecode` is stored as the JPEG itself). The list and its
 * parameters may be indirect: they are read through `view` and inlined.
 */
export function pictureChain(view: ObjectView, dict: PdfDict, last: ReadonlySet<string>): PictureChain | null {
  const filter = direct(view, dict["/Filter"] ?? null, 0);
  if (!Array.isArray(filter) || filter.length < 2) return null;
  const own = filter[filter.length - 1];
  if (typeof own !== "string" || !last.has(own)) return null;
  const parms = direct(view, dict["/DecodeParms"] ?? null, 0);
  // A single dictionary beside a list of filters pairs with none of them (PDF 32000-1, 7.3.8.2):
  // viewers read the list without parameters, and so is it undone here.
  const list = Array.isArray(parms) ? parms : [];
  const at = (i: number): PdfJson => list[i] ?? null;
  return { leading: filter.slice(0, -1), leadingParms: filter.slice(0, -1).map((_, i) => at(i)), lastParms: at(filter.length - 1) };
}

/**
 * The dictionary a picture is stored back with once it is cleaned: the picture as it is
 * (`/Filter /DCTDecode`, `own`), with its filter's own parameters where it had any, everything
 * else as it was.
 */
export function storedAsPicture(dict: PdfDict, chain: PictureChain, own: string): PdfDict {
  const out: PdfDict = { ...dict, "/Filter": own };
  delete out["/DecodeParms"];
  if (chain.lastParms != null) out["/DecodeParms"] = chain.lastParms;
  return out;
}

/**
 * Undoes the leading filters of each chained stream (keyed as in qpdf's dump, with the file of
 * its stored data) with qpdf itself, in one run over a document made of those streams alone: qpdf
 * decodes a stream only when it can undo every filter, so each is given with its picture filter
 * left off. Resolves to the files holding the pictures' bytes; a stream whose data is empty has
 * none. `name` tells this run's files in `workDir` from another's.
 *
 * Data the filters cannot undo (a broken Flate stream, a character out of range in ASCIIHex, a
 * filter qpdf does not know) is a damaged picture: the PDF is refused, since what a viewer would
 * show of it, or what it hides, cannot be known.
 */
export async function undoLeadingFilters(
  header: QpdfDocument["qpdf"][0],
  chains: ReadonlyMap<string, { chain: PictureChain; source: string }>,
  workDir: string,
  name: string,
): Promise<Map<string, string>> {
  const objects: Record<string, QpdfObject> = {};
  let maxId = typeof header["maxobjectid"] === "number" ? header["maxobjectid"] : 0;
  for (const [key, { chain, source }] of chains) {
    const dict: PdfDict = { "/Filter": chain.leading };
    if (chain.leadingParms.some((p) => p != null)) dict["/DecodeParms"] = chain.leadingParms;
    objects[key] = { stream: { dict, datafile: source } };
    maxId = Math.max(maxId, Number(/^obj:(\d+) /.exec(key)?.[1] ?? 0));
  }
  // qpdf reads a document only with a catalog and a page tree; these two are the last objects.
  const [catalog, pages] = [`${maxId + 1} 0 R`, `${maxId + 2} 0 R`];
  objects[objectKey(catalog)] = { value: { "/Type": "/Catalog", "/Pages": pages } };
  objects[objectKey(pages)] = { value: { "/Type": "/Pages", "/Kids": [], "/Count": 0 } };
  objects["trailer"] = { value: { "/Root": catalog } };

  const input = path.join(workDir, `${name}-chains.json`);
  await fsp.writeFile(input, JSON.stringify({ qpdf: [{ ...header, maxobjectid: maxId + 2 }, objects] }));
  const { doc, warnings } = await dumpObjects(input, path.join(workDir, `${name}-chains-decoded.json`), {
    jsonInput: true,
    streamPrefix: path.join(workDir, name),
    decode: "specialized",
    only: [...chains.keys()].map((key) => key.slice("obj:".length)),
    maxFileBytes: MAX_PICTURE_BYTES,
  }).catch((err: unknown) => {
    throw err instanceof BadFileError ? new BadFileError(DAMAGED_PICTURE, err) : err;
  });
  // A warning here is a stream qpdf decoded only in part (a Flate stream cut short, say).
  if (warnings.trim() !== "") throw new BadFileError(DAMAGED_PICTURE, new Error(`qpdf decoding pictures' filters: ${warnings.slice(0, 2000)}`));

  const decoded = new Map<string, string>();
  for (const key of chains.keys()) {
    const obj = doc.qpdf[1][key];
    if (obj == null || !("stream" in obj)) throw new Error(`qpdf's decoding left out ${key}`);
    const left = obj.stream.dict["/Filter"];
    if (left != null) throw new BadFileError(DAMAGED_PICTURE, new Error(`${key}: qpdf cannot undo ${JSON.stringify(left)} before its picture filter`));
    if (obj.stream.datafile != null) decoded.set(key, obj.stream.datafile);
  }
  return decoded;
}

/** A value with its references replaced by what they point to (a stream by its dictionary). */
function direct(view: ObjectView, v: PdfJson, depth: number): PdfJson {
  if (depth > MAX_REF_DEPTH) throw new BadFileError(DAMAGED_PICTURE, new Error("references nested too deeply in a picture's filters"));
  if (isRef(v)) return direct(view, view.dictOrValue(objectKey(v)) ?? null, depth + 1);
  if (Array.isArray(v)) return v.map((item) => direct(view, item, depth + 1));
  if (v != null && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, item]) => [k, direct(view, item, depth + 1)]));
  return v;
}
