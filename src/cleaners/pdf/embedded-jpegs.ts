import fsp from "node:fs/promises";
import path from "node:path";
import type { CleanContext } from "../types.js";
import type { PdfDict, QpdfDocument, QpdfObject } from "./scrub-objects.js";

/**
 * A JPEG image XObject (`/Filter /DCTDecode`) stores a whole JPEG file, with whatever EXIF
 * (GPS, camera serial...), XMP and comments the camera put in it. Each one is handed to the JPEG
 * cleaner through `cleanNested` and written back in place of the original bytes. One that is an
 * image by its dictionary and a JPEG by its bytes was read already, with its tags counted, by
 * ExifTool's `-ee` read of the PDF (which reads the DCT images of the pages): it is cleaned as a
 * JPEG without a read of its own (so an image only an annotation or a thumbnail shows is cleaned
 * but its tags are not counted). Anything else that starts like a JPEG is read and detected first.
 *
 * `doc` is the dump read with `--json-stream-data=file`; `update` is the edit being built, whose
 * entries for these objects get the cleaned data file. `attached` are the keys of attached files'
 * streams, cleaned as files of their own (`attachments.ts`) even when they are JPEGs.
 */
export async function cleanEmbeddedJpegs(doc: QpdfDocument, update: QpdfDocument, ctx: CleanContext, attached: ReadonlySet<string>): Promise<void> {
  const changes = update.qpdf[1];
  let n = 0;
  for (const [key, obj] of Object.entries(doc.qpdf[1])) {
    if (!("stream" in obj) || attached.has(key)) continue;
    const source = obj.stream.datafile;
    if (source == null) continue;
    const jpegBytes = await startsLikeJpeg(source);
    const jpegImage = isJpegImage(obj.stream.dict);
    if (!jpegImage && !jpegBytes) continue;
    const cleaned = path.resolve(ctx.workDir, `jpeg-${n++}`);
    if (!(await ctx.cleanNested(source, cleaned, jpegImage && jpegBytes ? { fileType: "JPEG" } : undefined))) continue;
    const prior: QpdfObject | undefined = changes[key];
    const dict = prior != null && "stream" in prior ? prior.stream.dict : obj.stream.dict;
    changes[key] = { stream: { dict, datafile: cleaned } };
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
