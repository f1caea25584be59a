import fsp from "node:fs/promises";
import { BadFileError, TooComplexError } from "../errors.js";
import { blankEmf, blankWmf } from "../legacy-office/embedded-metafile.js";
import type { CleanContext, CleanOutcome, Cleaner } from "../types.js";

/** Drawings are small: one larger than this is not read into memory. */
const MAX_BYTES = 64 * 1024 * 1024;

/**
 * EMF and WMF drawings on their own, as Word, PowerPoint and LibreOffice store them in DOCX,
 * PPTX and ODF files (`word/media/image1.emf`) and as clip art is shared. ExifTool reads
 * neither, so what they carry besides the drawing is cleaned as in Office 97-2003 documents
 * (legacy-office/embedded-metafile.ts): an EMF's description (the program, often the picture's
 * file name), its private comment records and EMF+ comments, a WMF's comment escapes become
 * zeros, every drawing record stays byte for byte; bytes after the end-of-file record go.
 * Verification is proof/metafile-proof.ts, a walk of its own.
 */
export const metafileCleaner: Cleaner = {
  name: "metafile",
  fileTypes: ["EMF", "WMF"],
  async clean(ctx: CleanContext): Promise<CleanOutcome> {
    const { size } = await fsp.stat(ctx.input);
    if (size > MAX_BYTES) throw new TooComplexError(`metafile of ${size} bytes`);
    const bytes = await fsp.readFile(ctx.input);
    let result;
    try {
      result = ctx.fileType === "EMF" ? blankEmf(bytes) : blankWmf(bytes);
    } catch (err) {
      if (err instanceof BadFileError) throw new BadFileError("The drawing (EMF or WMF) is damaged: its records could not be read through.", err);
      throw err;
    }
    await fsp.writeFile(ctx.output, bytes.subarray(0, result.end), { flag: "wx" });
    return result.blanked > 0 ? { hidden: { metafileText: result.blanked } } : {};
  },
  isStructural: () => false,
};
