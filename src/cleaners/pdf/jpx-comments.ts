import fsp from "node:fs/promises";
import path from "node:path";
import { isJ2cHead } from "../image/j2c-screen.js";
import { COM, walkCodestream, Window } from "../image/jp2-codestream.js";
import { blankCodestreamComments } from "../image/jp2-codestream-comments.js";
import { readHead } from "../file-bytes.js";
import type { CleanContext } from "../types.js";
import type { ObjectView } from "./object-view.js";
import type { PdfDict } from "./scrub-objects.js";

const JP2_SIGNATURE = Buffer.from("0000000c6a5020200d0a870a", "hex");

/**
 * A JPEG 2000 picture (`/Filter /JPXDecode`) carries comment segments (COM) as a JP2 file does:
 * an encoder's name and version (OpenJPEG writes one in every codestream), a user's text. Each
 * picture stored as the JPEG 2000 data itself is written back without them:
 *
 * - a JP2 file: its comments blanked in place (`jp2-codestream-comments.ts`, as for a JP2 file
 *   of its own: ExifTool does not read them there);
 * - a bare codestream (pdf.js' bug_jpx.pdf, issue5567.pdf), whose comments ExifTool's `-ee` read of
 *   the PDF finds: cleaned as a file of its own by the J2C cleaner (`j2c.ts`: cut, tile-part
 *   lengths fixed) and verified, as embedded JPEGs are; one without comments stays as it is.
 *
 * A picture behind other filters (Flate before the JPX) is left as it is: where ExifTool reads a
 * comment there, the verification refuses the file. `attached`: keys of attached files' streams,
 * cleaned as files of their own. Resolves to the number of pictures written back.
 */
export async function cleanJpxComments(view: ObjectView, ctx: CleanContext, attached: ReadonlySet<string>): Promise<number> {
  const written = view.reachable();
  const changes = view.changes;
  let cleaned = 0;
  for (const [key, obj] of Object.entries(view.doc.qpdf[1])) {
    if (!("stream" in obj) || attached.has(key) || !written.has(key)) continue;
    const current = view.object(key);
    const source = obj.stream.datafile;
    // A step before this one wrote the stream's data anew (a JPEG cleaned): not the picture stored.
    if (current == null || !("stream" in current) || source == null || current.stream.datafile !== source || !isJpxOnly(current.stream.dict)) continue;
    const out = path.resolve(ctx.workDir, `jpx-${cleaned}`);
    if (!(await withoutComments(source, out, ctx))) {
      await fsp.rm(out, { force: true });
      continue;
    }
    changes[key] = { stream: { ...current.stream, datafile: out } };
    cleaned++;
  }
  return cleaned;
}

function isJpxOnly(dict: PdfDict): boolean {
  const filter = dict["/Filter"];
  const only = Array.isArray(filter) && filter.length === 1 ? filter[0] : filter;
  return only === "/JPXDecode";
}

/** Writes `source`'s picture without comments into `out`; false when it holds none (or is no JPEG 2000 data). */
async function withoutComments(source: string, out: string, ctx: CleanContext): Promise<boolean> {
  const head = await readHead(source, JP2_SIGNATURE.length);
  if (head.equals(JP2_SIGNATURE)) {
    await fsp.copyFile(source, out);
    return (await blankCodestreamComments(out)) > 0;
  }
  if (!isJ2cHead(head) || !(await holdsComments(source))) return false;
  return (await ctx.cleanNested(source, out, { fileType: "J2C" })) != null;
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
