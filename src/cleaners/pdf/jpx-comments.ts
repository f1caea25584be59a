import fs from "node:fs";
import fsp from "node:fs/promises";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import zlib from "node:zlib";
import { isJ2cHead } from "../image/j2c-screen.js";
import { PICTURE_BOXES } from "../image/jp2-boxes.js";
import { COM, walkCodestream, Window } from "../image/jp2-codestream.js";
import { blankCodestreamComments } from "../image/jp2-codestream-comments.js";
import { readHead } from "../file-bytes.js";
import { topLevelBoxes } from "../media/iso-boxes.js";
import type { CleanContext } from "../types.js";
import { JPX_FILTERS, pictureChain, storedAsPicture, undoLeadingFilters, type PictureChain } from "./filter-chains.js";
import type { ObjectView } from "./object-view.js";
import type { PdfDict, QpdfObject } from "./scrub-objects.js";

type QpdfStream = Extract<QpdfObject, { stream: unknown }>["stream"];

const JP2_SIGNATURE = Buffer.from("0000000c6a5020200d0a870a", "hex");

/** Filters a picture's data is written back through after its comments went: zlib's, as they were stored. */
const FLATE = new Set(["/FlateDecode", "/Fl"]);

/**
 * A JPEG 2000 picture (`/Filter /JPXDecode`) carries comment segments (COM) as a JP2 file does:
 * an encoder's name and version (OpenJPEG writes one in every codestream), a user's text. Each
 * picture stored as the JPEG 2000 data itself is written back without them:
 *
 * - a JP2 file: its comments blanked in place (`jp2-codestream-comments.ts`, as for a JP2 file
 *   of its own: ExifTool does not read them there); one holding other boxes (XMP, XML, a URL)
 *   cleaned and verified as a JP2 file of its own;
 * - a bare codestream (pdf.js' bug_jpx.pdf, issue5567.pdf), whose comments ExifTool's `-ee` read of
 *   the PDF finds: cleaned as a file of its own by the J2C cleaner (`j2c.ts`: cut, tile-part
 *   lengths fixed) and verified, as embedded JPEGs are; one without comments stays as it is.
 *
 * A picture behind other filters (`[/FlateDecode /JPXDecode]`, see `filter-chains.ts`) is first
 * decoded from them by qpdf (data they cannot undo is a damaged picture: the PDF is refused, as
 * for a JPEG) and, where it held comments, written back through the same filters when they are
 * Flate alone, or else as the JPEG 2000 data itself (`/JPXDecode`): the same picture, no filter
 * left to undo. `attached`: keys of attached files' streams, cleaned as files of their own.
 * Resolves to the number of pictures written back.
 */
export async function cleanJpxComments(view: ObjectView, ctx: CleanContext, attached: ReadonlySet<string>): Promise<number> {
  const written = view.reachable();
  const pictures: Array<{ key: string; stream: QpdfStream; data: string; chain: PictureChain | null }> = [];
  const chained = new Map<string, { stream: QpdfStream; chain: PictureChain; source: string }>();
  for (const [key, obj] of Object.entries(view.doc.qpdf[1])) {
    if (!("stream" in obj) || attached.has(key) || !written.has(key)) continue;
    const current = view.object(key);
    const source = obj.stream.datafile;
    // A step before this one wrote the stream's data anew (a JPEG cleaned): not the picture stored.
    if (current == null || !("stream" in current) || source == null || current.stream.datafile !== source) continue;
    const { stream } = current;
    if (isJpxOnly(stream.dict)) {
      pictures.push({ key, stream, data: source, chain: null });
      continue;
    }
    const chain = pictureChain(view, stream.dict, JPX_FILTERS);
    if (chain != null) chained.set(key, { stream, chain, source });
  }
  if (chained.size > 0) {
    for (const [key, data] of await undoLeadingFilters(view.doc.qpdf[0], chained, ctx.workDir, "jpx")) {
      const { stream, chain } = chained.get(key)!;
      pictures.push({ key, stream, data, chain });
    }
  }

  let cleaned = 0;
  for (const { key, stream, data, chain } of pictures) {
    const out = path.resolve(ctx.workDir, `jpx-${cleaned}`);
    if (!(await withoutComments(data, out, ctx))) {
      await fsp.rm(out, { force: true });
      continue;
    }
    view.changes[key] = { stream: await storedBack(stream, out, chain) };
    cleaned++;
  }
  return cleaned;
}

function isJpxOnly(dict: PdfDict): boolean {
  const filter = dict["/Filter"];
  const only = Array.isArray(filter) && filter.length === 1 ? filter[0] : filter;
  return only === "/JPXDecode";
}

/** The stream that holds the picture cleaned in `out`, stored as its chain (if any) allows. */
async function storedBack(stream: QpdfStream, out: string, chain: PictureChain | null): Promise<QpdfStream> {
  if (chain == null) return { ...stream, datafile: out };
  if (!chain.leading.every((f) => typeof f === "string" && FLATE.has(f)) || chain.leadingParms.some((p) => p != null)) {
    return { dict: storedAsPicture(stream.dict, chain, "/JPXDecode"), datafile: out };
  }
  const deflated = `${out}.deflated`;
  await pipeline([fs.createReadStream(out), ...chain.leading.map(() => zlib.createDeflate()), fs.createWriteStream(deflated)]);
  return { dict: stream.dict, datafile: deflated };
}

/**
 * Writes `source`'s picture without comments into `out`; false when it holds none (or is no JPEG
 * 2000 data). A JP2 file holding boxes beyond those that show the picture (XMP, XML, a URL, IPR,
 * as Photoshop and Kakadu write them: ExifTool's read of the PDF finds them) is cleaned as a JP2
 * file of its own (the JPEG 2000 cleaner: boxes and comments) and verified.
 */
async function withoutComments(source: string, out: string, ctx: CleanContext): Promise<boolean> {
  const head = await readHead(source, JP2_SIGNATURE.length);
  if (head.equals(JP2_SIGNATURE)) {
    if (await holdsOtherBoxes(source)) return (await ctx.cleanNested(source, out, { fileType: "JP2" })) != null;
    await fsp.copyFile(source, out);
    return (await blankCodestreamComments(out)) > 0;
  }
  if (!isJ2cHead(head) || !(await holdsComments(source))) return false;
  return (await ctx.cleanNested(source, out, { fileType: "J2C" })) != null;
}

/** Whether a JP2 file has a top-level box other than those that show the picture (one that does not read counts). */
async function holdsOtherBoxes(file: string): Promise<boolean> {
  const fh = await fsp.open(file, "r");
  try {
    const boxes = await topLevelBoxes(fh, (await fh.stat()).size);
    return boxes == null || boxes.some((b) => !PICTURE_BOXES.has(b.type));
  } finally {
    await fh.close();
  }
}

/** Whether a bare codestream holds a comment anywhere in its headers (a walk it cannot follow is refused as damaged). */
async function holdsComments(file: string): Promise<boolean> {
  const fh = await fsp.open(file, "r");
  try {
    const { size } = await fh.stat();
    let found = false;
    await walkCodestream(new Window(fh, size), 0, size, (s) => {
      found ||= s.marker === COM;
    });
    return found;
  } finally {
    await fh.close();
  }
}
