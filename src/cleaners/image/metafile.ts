import fsp from "node:fs/promises";
import { BadFileError, TooComplexError } from "../errors.js";
import { DRAWING_PICTURE_METADATA, holdsPictureMetadata } from "./pictures-in-place.js";
import { blankEmf } from "./metafile-emf.js";
import { blankWmf } from "./metafile-wmf.js";
import { tiffCleaner } from "./tiff.js";
import type { CleanContext, CleanOutcome, Cleaner } from "../types.js";

/** Drawings are small: one larger than this is not read into memory. */
const MAX_BYTES = 64 * 1024 * 1024;
/**
 * What ExifTool reads of a picture cleaned in place (pictures-in-place.ts) in an EMF's first
 * kilobyte, where it looks for a JPEG in a file it does not know: the JFIF header's version and
 * density, kept, and its emptied segments as a comment of zeros, which says nothing; of a TIFF
 * there, its layout as the TIFF cleaner's own copy keeps it and its orientation, which the
 * in-place cleaning keeps as part of how the picture is shown.
 */
const JFIF_FIELDS = new Set(["JFIFVersion", "ResolutionUnit", "XResolution", "YResolution"]);
const DAMAGED = "The drawing (EMF or WMF) is damaged: its records could not be read through.";

/**
 * EMF and WMF drawings on their own, as Word, PowerPoint and LibreOffice store them in DOCX,
 * PPTX and ODF files (`word/media/image1.emf`) and as clip art is shared. ExifTool reads
 * neither, so what they carry besides the drawing is cleaned here, as in Office 97-2003 and RTF
 * documents, by an allow-list of what readers draw (metafile-emf.ts, metafile-wmf.ts): an EMF's
 * description (the program, often the picture's file name), its private comment records and EMF+
 * comments, a WMF's comment escapes become zeros; records of types no reader draws, escapes to
 * printers, and bytes after the end-of-file record go; bytes past a record's fields become zeros;
 * JPEG and PNG pictures inside (EMF+ images, JPEG or PNG bitmaps) lose their metadata in place.
 * Verification is proof/metafile-proof.ts, a walk of its own, and for an EMF ExifTool's re-read
 * beside it (see `proofStandsIn`).
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
      if (err instanceof BadFileError) throw new BadFileError(DAMAGED, err);
      throw err;
    }
    // A drawing cut short before its end-of-file record is damaged: its copy could not be proved whole.
    if (!result.ended) throw new BadFileError(DAMAGED, new Error("metafile: no end-of-file record"));
    const cleaned = bytes.subarray(0, result.end);
    // A picture inside that the in-place cleaning could not walk (a TIFF, a damaged JPEG) would
    // keep its EXIF or XMP, and the proof (a walk of records) does not look into pictures: refused
    // rather than handed back.
    if (holdsPictureMetadata(cleaned)) {
      throw new BadFileError(DRAWING_PICTURE_METADATA, new Error("metafile: EXIF, XMP or Photoshop data left in a picture inside"));
    }
    await fsp.writeFile(ctx.output, cleaned, { flag: "wx" });
    return result.blanked > 0 ? { hidden: { metafileText: result.blanked } } : {};
  },
  isStructural: (t) => (t.group === "JFIF" && JFIF_FIELDS.has(t.tag)) || (t.group === "File" && t.tag === "Comment" && /^\0*$/.test(String(t.value))) || tiffCleaner.isStructural(t) || (t.group === "EXIF" && t.tag === "Orientation"),
};
