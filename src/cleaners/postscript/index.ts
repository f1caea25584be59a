import fsp from "node:fs/promises";
import path from "node:path";
import { BadFileError } from "../errors.js";
import { tiffCleaner } from "../image/tiff.js";
import type { CleanContext, CleanOutcome, Cleaner, FoundTag } from "../types.js";
import { isDosEps, joinDosEps, splitDosEps } from "./dos-eps.js";
import { rewritePostScript } from "./dsc-rewrite.js";

/**
 * What ExifTool reads from a clean PostScript file that the document needs: its size and page
 * count from the header, Photoshop's `%ImageData` line (how its picture data is laid out), and
 * the cleaned TIFF preview of a DOS binary EPS.
 */
const STRUCTURAL_TAGS: ReadonlySet<string> = new Set(["BoundingBox", "Pages", "ImageData", "TIFFPreview"]);

/**
 * EPS and PostScript, rewritten by our own line-level pass (dsc-rewrite.ts): ExifTool's `-all=`
 * leaves the DSC header comments (%%Creator, %%Title, %%For, %%CreationDate...) and an emptied
 * XMP block behind, so it is not used. The drawing program is copied byte for byte, but for the
 * strings of its document information pdfmarks (counted under `documentInfo`). A DOS binary
 * EPS keeps its TIFF preview, cleaned by the TIFF cleaner, and loses its Windows metafile
 * preview, which nothing here can clean (counted under `previews`).
 */
export const postscriptCleaner: Cleaner = {
  name: "postscript",
  fileTypes: ["EPS", "PS"],
  async clean(ctx: CleanContext): Promise<CleanOutcome> {
    const bytes = await fsp.readFile(ctx.input);
    const keepProfile = ctx.keep.has("colorProfile");
    if (!isDosEps(bytes)) {
      const { bytes: program, privateData, documentInfo } = rewritePostScript(bytes, keepProfile);
      await fsp.writeFile(ctx.output, program);
      return { hidden: { privateData, documentInfo } };
    }
    const dos = splitDosEps(bytes);
    const tiff = dos.tiff != null ? await cleanPreview(ctx, dos.tiff) : null;
    const dropped = (dos.metafile != null ? 1 : 0) + (dos.tiff != null && tiff == null ? 1 : 0);
    const { bytes: program, privateData, documentInfo } = rewritePostScript(dos.postscript, keepProfile);
    await fsp.writeFile(ctx.output, joinDosEps(program, tiff));
    return { hidden: { previews: dropped, privateData, documentInfo } };
  },
  isStructural: (t: FoundTag) => (t.group === "PostScript" && STRUCTURAL_TAGS.has(t.tag)) || tiffCleaner.isStructural(t),
};

/** The TIFF preview through the TIFF cleaner; null (the preview dropped) when it cannot be cleaned. */
async function cleanPreview(ctx: CleanContext, tiff: Buffer): Promise<Buffer | null> {
  const input = path.join(ctx.workDir, "preview");
  const output = path.join(ctx.workDir, "preview-clean");
  await fsp.writeFile(input, tiff);
  try {
    return (await ctx.cleanNested(input, output)) ? await fsp.readFile(output) : null;
  } catch (err) {
    if (err instanceof BadFileError) return null;
    throw err;
  }
}
