import fs from "node:fs";
import fsp from "node:fs/promises";
import { pipeline } from "node:stream/promises";
import path from "node:path";
import zlib from "node:zlib";
import { readHeadSync } from "../file-bytes.js";
import type { CleanContext } from "../types.js";
import { DCT_FILTERS, pictureChain, storedAsPicture, undoLeadingFilters, type PictureChain } from "./filter-chains.js";
import type { ObjectView } from "./object-view.js";
import type { PdfDict, QpdfObject } from "./scrub-objects.js";

/** A JPEG found in the PDF: the stream it is in, and the file holding its bytes. */
interface FoundJpeg {
  key: string;
  dict: PdfDict;
  source: string;
  /** Read with the PDF already: a picture ExifTool's `-ee` read of the document decodes. */
  picture: boolean;
  /** The filters it was stored behind, undone to reach it (null: stored as the JPEG itself). */
  chain: PictureChain | null;
  /** Found by its inflated bytes behind a dictionary that does not say so: stored back as it was, deflated. */
  sniffed: boolean;
}

/** What a damaged dictionary leaves of a Flate-wrapped JPEG's chain (see `inflatesToJpeg`). */
const BEHIND_FLATE: PictureChain = { leading: ["/FlateDecode"], leadingParms: [null], lastParms: null };

/** Stored bytes read from each stream to tell a JPEG, bare or deflated, by its start. */
const HEAD_BYTES = 512;

/**
 * A JPEG image XObject (`/Filter /DCTDecode`) stores a whole JPEG file, with whatever EXIF
 * (GPS, camera serial...), XMP and comments the camera put in it. Each one is handed to the JPEG
 * cleaner through `cleanNested` and written back in place of the original bytes. A JPEG stored
 * behind other filters (`/Filter [/FlateDecode /DCTDecode]`, see `filter-chains.ts`) is first
 * decoded from them, and written back as the cleaned JPEG itself, with `/Filter /DCTDecode`:
 * the same picture, one filter fewer to undo.
 *
 * ExifTool's `-ee` read of the PDF (detection) reads the pages' DCT images and lists their tags
 * with the document's, one of each name. So where the document holds one such picture (an image
 * by its dictionary, a JPEG by its bytes), that read has already read and counted it: it is
 * cleaned as a JPEG without a read of its own (and if only an annotation or a thumbnail shows it,
 * its tags go uncounted). Where it holds several, the read merged them, and each is read on its
 * own as before (their tags then count with the merged ones too); anything else that starts like
 * a JPEG is read and detected first. Of the chained pictures, ExifTool's read decodes those
 * behind Flate alone; any other chain's picture is read on its own.
 *
 * `view.doc` is the dump read with `--json-stream-data=file`; `view.update` is the edit being
 * built, whose entries for these objects get the cleaned data file. `attached` are the keys of
 * attached files' streams, cleaned as files of their own (`attachments.ts`) even when they are JPEGs.
 * `readWithPdf` is false where `view.doc` is a copy holding pictures the PDF's read did not see
 * (inline images made objects, `inline-jpegs.ts`): each picture is then read on its own.
 */
export async function cleanEmbeddedJpegs(view: ObjectView, ctx: CleanContext, attached: ReadonlySet<string>, readWithPdf: boolean): Promise<void> {
  const found: FoundJpeg[] = [];
  const chained = new Map<string, { dict: PdfDict; chain: PictureChain; source: string; sniffed: boolean }>();
  // Only the chains of streams the copy will hold are undone: a damaged one left behind in an
  // earlier revision is no reason to refuse the file.
  const written = view.reachable();
  for (const [key, obj] of Object.entries(view.doc.qpdf[1])) {
    if (!("stream" in obj) || attached.has(key)) continue;
    const { dict, datafile: source } = obj.stream;
    if (source == null) continue;
    const head = readHeadSync(source, HEAD_BYTES);
    const jpegBytes = startsLikeJpeg(head);
    // Stored data that is a JPEG already is cleaned as one whatever its dictionary says; so is
    // one deflated behind a damaged dictionary (`/Fimter`, `/DCTDecodf`: a flipped bit).
    const chain = jpegBytes || !written.has(key) ? null : pictureChain(view, dict, DCT_FILTERS);
    const sniffed = chain == null && !jpegBytes && written.has(key) && inflatesToJpeg(head);
    if (chain != null || sniffed) chained.set(key, { dict, chain: chain ?? BEHIND_FLATE, source, sniffed });
    else if (isJpegImage(dict) || jpegBytes) found.push({ key, dict, source, picture: isJpegImage(dict) && jpegBytes, chain: null, sniffed: false });
  }
  if (chained.size > 0) {
    for (const [key, source] of await undoLeadingFilters(view.doc.qpdf[0], chained, ctx.workDir, "dct")) {
      const { dict, chain, sniffed } = chained.get(key)!;
      const picture = !sniffed && dict["/Subtype"] === "/Image" && behindFlateAlone(chain) && startsLikeJpeg(readHeadSync(source, HEAD_BYTES));
      found.push({ key, dict, source, picture, chain, sniffed });
    }
  }

  const changes = view.changes;
  const readAlready = readWithPdf && found.filter((f) => f.picture).length === 1;
  for (const [n, { key, dict, source: stored, picture, chain, sniffed }] of found.entries()) {
    const cleaned = path.resolve(ctx.workDir, `jpeg-${n}`);
    const source = await fromJpegStart(stored, `${cleaned}.from-start`);
    if (source === NO_JPEG) await fsp.writeFile(cleaned, "");
    else if (!(await ctx.cleanNested(source, cleaned, picture && readAlready ? { fileType: "JPEG" } : undefined))) continue;
    const prior: QpdfObject | undefined = changes[key];
    const base = prior != null && "stream" in prior ? prior.stream.dict : dict;
    if (sniffed) {
      // The damaged dictionary stays as it was (a viewer shows what it showed), over the cleaned JPEG deflated again.
      const deflated = `${cleaned}.deflated`;
      await fsp.writeFile(deflated, zlib.deflateSync(await fsp.readFile(cleaned)));
      changes[key] = { stream: { dict: base, datafile: deflated } };
    } else {
      changes[key] = { stream: { dict: chain == null ? base : storedAsPicture(base, chain, "/DCTDecode"), datafile: cleaned } };
    }
  }
}

const JPEG_START = Buffer.from([0xff, 0xd8, 0xff]);
const NO_JPEG = "";
/** Bytes searched at a time for a JPEG's start. */
const SEARCH_WINDOW = 1024 * 1024;

/**
 * The file of a DCT picture's JPEG: `stored` when it starts like one; else a copy from where the
 * first JPEG in it starts (`to`), for a damaged stream whose first bytes were lost; NO_JPEG when
 * none does. A JPEG decoder needs its start-of-image first: no viewer shows a picture from such a
 * stream, and the segments left in it (an XMP packet, EXIF) would go through uncleaned, so it
 * becomes empty. Searched a window at a time.
 */
async function fromJpegStart(stored: string, to: string): Promise<string> {
  if (startsLikeJpeg(readHeadSync(stored, 3))) return stored;
  const fh = await fsp.open(stored, "r");
  try {
    const window = Buffer.alloc(SEARCH_WINDOW);
    for (let at = 0; ; at += SEARCH_WINDOW - 2) {
      const { bytesRead } = await fh.read(window, 0, SEARCH_WINDOW, at);
      const found = window.subarray(0, bytesRead).indexOf(JPEG_START);
      if (found >= 0) {
        await pipeline(fs.createReadStream(stored, { start: at + found }), fs.createWriteStream(to, { flags: "wx" }));
        return to;
      }
      if (bytesRead < SEARCH_WINDOW) return NO_JPEG;
    }
  } finally {
    await fh.close();
  }
}

/**
 * A damaged dictionary (a `/Filter` key with a flipped bit, say) must not let a JPEG's EXIF through
 * untouched, so stored data that starts like a JPEG is cleaned whatever its dictionary says.
 */
function startsLikeJpeg(head: Buffer): boolean {
  return head.length >= 3 && head.subarray(0, 3).equals(JPEG_START);
}

/** Whether the stored data is a zlib stream (RFC 1950 header) whose first inflated bytes start like a JPEG. */
function inflatesToJpeg(head: Buffer): boolean {
  if (head.length < 2 || (head[0]! & 0x0f) !== 8 || ((head[0]! << 8) | head[1]!) % 31 !== 0) return false;
  try {
    return startsLikeJpeg(zlib.inflateSync(head, { finishFlush: zlib.constants.Z_SYNC_FLUSH }));
  } catch {
    // Not zlib data after all (its first two bytes only looked like a header).
    return false;
  }
}

function isJpegImage(d: PdfDict): boolean {
  const filter = d["/Filter"];
  const only = Array.isArray(filter) && filter.length === 1 ? filter[0] : filter;
  return d["/Subtype"] === "/Image" && only === "/DCTDecode";
}

/** What ExifTool's PDF reader undoes before a DCT for sure: Flate without a predictor. */
function behindFlateAlone(chain: PictureChain): boolean {
  return chain.leading.every((f) => f === "/FlateDecode") && chain.leadingParms.every((p) => p == null);
}
