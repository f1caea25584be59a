import fsp from "node:fs/promises";
import { hiddenOf } from "../hidden-counts.js";
import type { CleanContext, CleanOutcome, Cleaner } from "../types.js";
import { checkSameRtfText } from "./final-text.js";
import { cleanPictures } from "./pictures.js";
import { rewriteRtf } from "./rewrite.js";

/**
 * RTF documents (Word, WordPad, LibreOffice), rewritten by our own token walk (rewrite.ts):
 * ExifTool cannot write RTF. The document properties and custom properties, the revision
 * authors' and save-session tables, every save-session id, the writing program's name, the
 * template's path, document variables and Word's data store go (rules.ts), and so does every
 * ignorable destination not known to carry layout or content, and every shape property that
 * names a file or a person (destinations.ts); so do review
 * comments and tracked changes unless `keep` asks for them (insertions accepted, deleted text
 * gone; kept ones lose their authors' names and dates). With `keep=copyright` the document's
 * author stays (the contract's rights fields: for RTF, `{\info{\author}}`). Embedded OLE
 * objects, whole files of other programs with their own properties, are replaced by the picture
 * of them the document shows. JPEG and PNG pictures are cleaned by their own cleaners, EMF and
 * WMF drawings lose their descriptions and comments; a picture that still holds EXIF, XMP or
 * Photoshop data makes the document refused (pictures.ts). The copy must read the same final
 * text as the original (final-text.ts).
 */
export const rtfCleaner: Cleaner = {
  name: "rtf",
  fileTypes: ["RTF"],
  async clean(ctx: CleanContext): Promise<CleanOutcome> {
    const bytes = await fsp.readFile(ctx.input);
    const { out, pictures, counts } = rewriteRtf(bytes, {
      dropComments: !ctx.keep.has("comments"),
      dropChanges: !ctx.keep.has("trackedChanges"),
      keepAuthor: ctx.keep.has("copyright"),
    });
    const metafileText = await cleanPictures(ctx, pictures, out);
    const cleaned = Buffer.concat(out.pieces);
    checkSameRtfText(bytes, cleaned);
    await fsp.writeFile(ctx.output, cleaned, { flag: "wx" });
    const hidden = hiddenOf({ ...counts, metafileText });
    return { hidden };
  },
  isStructural: () => false,
};
