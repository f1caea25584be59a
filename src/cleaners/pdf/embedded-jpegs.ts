import fsp from "node:fs/promises";
import path from "node:path";
import type { CleanContext } from "../types.js";
import type { PdfDict, QpdfDocument, QpdfObject } from "./scrub-objects.js";

/**
 * A JPEG image XObject (`/Filter /DCTDecode`) stores a whole JPEG file, with whatever EXIF
 * (GPS, camera serial...), XMP and comments the camera put in it. Each one is handed to the JPEG
 * cleaner through `cleanNested` and written back in place of the original bytes.
 *
 * ExifTool's `-ee` read of the PDF (detection) reads the pages' DCT images and lists their tags
 * with the document's, one of each name. So where the document holds one such picture (an image
 * by its dictionary, a JPEG by its bytes), that read has already read and counted it: it is
 * cleaned as a JPEG without a read of its own (and if only an annotation or a thumbnail shows it,
 * its tags go uncounted). Where it holds several, the read merged them, and each is read on its
 * own as before (their tags then count with the merged ones too); anything else that starts like
 * a JPEG is read and detected first.
 *
 * `doc` is the dump read with `--json-stream-data=file`; `update` is the edit being built, whose
 * entries for these objects get the cleaned data file. `attached` are the keys of attached files'
 * streams, cleaned as files of their own (`attachments.ts`) even when they are JPEGs.
 */
export async function cleanEmbeddedJpegs(doc: QpdfDocument, update: QpdfDocument, ctx: CleanContext, attached: ReadonlySet<string>): Promise<void> {
  const changes = update.qpdf[1];
  const found: Array<{ key: string; dict: PdfDict; source: string; picture: boolean }> = [];
  for (const [key, obj] of Object.entries(doc.qpdf[1])) {
    if (!("stream" in obj) || attached.has(key)) continue;
    const source = obj.stream.datafile;
    if (source == null) continue;
    const jpegBytes = await startsLikeJpeg(source);
    const jpegImage = isJpegImage(obj.stream.dict);
    if (jpegImage || jpegBytes) found.push({ key, dict: obj.stream.dict, source, picture: jpegImage && jpegBytes });
  }
  const readAlready = found.filter((f) => f.picture).length === 1;
  for (const [n, { key, dict, source, picture }] of found.entries()) {
    const cleaned = path.resolve(ctx.workDir, `jpeg-${n}`);
    if (!(await ctx.cleanNested(source, cleaned, picture && readAlready ? { fileType: "JPEG" } : undefined))) continue;
    const prior: QpdfObject | undefined = changes[key];
    changes[key] = { stream: { dict: prior != null && "stream" in prior ? prior.stream.dict : dict, datafile: cleaned } };
  }
}

/**
 * A damaged dictionary (a `/Filter` key with a flipped bit, say) must not let a JPEG's EXIF through
 * untouched, so stored data that starts like a JPEG is cleaned whatever its dictionary says.
 */
async function startsLikeJpeg(file: string): Promise<boolean> {
  const handle = await fsp.open(file, "r");
  try {
    const { bytesRead, buffer } = await handle.read(Buffer.alloc(3), 0, 3, 0);
    return bytesRead === 3 && buffer[0] === 0xff && buffer[1] === 0xd8 && buffer[2] === 0xff;
  } finally {
    await handle.close();
  }
}

function isJpegImage(d: PdfDict): boolean {
  const filter = d["/Filter"];
  const only = Array.isArray(filter) && filter.length === 1 ? filter[0] : filter;
  return d["/Subtype"] === "/Image" && only === "/DCTDecode";
}
