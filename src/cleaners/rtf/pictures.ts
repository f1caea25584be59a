import fsp from "node:fs/promises";
import path from "node:path";
import { BadFileError } from "../errors.js";
import { blankEmf } from "../image/metafile-emf.js";
import { blankWmf } from "../image/metafile-wmf.js";
import { holdsPictureMetadata } from "../image/pictures-in-place.js";
import { innerRefusal } from "../inner-refusal.js";
import type { CleanContext } from "../types.js";
import { pictureBytes, pictureHex } from "./picture-data.js";
import type { PictureSlot } from "./rewrite.js";
import type { Sink } from "./sink.js";

/**
 * Fills the pictures' slots of the rewritten document: a JPEG or PNG goes through the cleaner
 * its bytes call for (`ctx.cleanNested`, which verifies it and counts what it removed) and is
 * written back as hex. An EMF or WMF drawing loses what it says besides the drawing (an EMF's
 * description, naming the program and often the picture's file; comment records; a WMF's
 * comment escapes: zeros in their place; records no reader draws go: image/metafile-emf.ts),
 * counted as `metafileText`; any other picture (a bitmap, a Mac PICT) is written back as it was.
 * A picture still holding EXIF, XMP or Photoshop data after that, which nothing here can take
 * out of it, makes the document refused. Resolves to the number of metafile texts blanked.
 */
export async function cleanPictures(ctx: CleanContext, pictures: readonly PictureSlot[], out: Sink): Promise<number> {
  let metafileText = 0;
  for (const [i, pic] of pictures.entries()) {
    const bytes = pictureBytes(pic.hex, pic.bin);
    if (!pic.cleaned) {
      const metafile = pic.format === "emfblip" ? blankEmf(bytes) : pic.format?.startsWith("wmetafile") === true ? blankWmf(bytes) : null;
      const blanked = metafile?.blanked ?? 0;
      if (holdsPictureMetadata(bytes)) {
        throw new BadFileError(
          "The document holds a picture that carries metadata of its own (camera, place, author) in a form this service cannot remove from inside RTF files.",
          new Error(`rtf: picture ${i + 1} (${pic.format ?? "no format"}) holds EXIF, XMP or Photoshop data`),
        );
      }
      metafileText += blanked;
      out.fill(pic.slot, metafile != null && blanked > 0 ? pictureHex(bytes.subarray(0, metafile.end)) : Buffer.concat(pic.raw));
      continue;
    }
    const input = path.join(ctx.workDir, `picture-${i}`);
    const output = path.join(ctx.workDir, `picture-${i}-clean`);
    await fsp.writeFile(input, bytes);
    if ((await ctx.cleanNested(input, output)) == null) {
      throw innerRefusal(ctx, "The document holds a picture", input, null, `rtf: picture ${i + 1} (${pic.format}) has no cleaner`);
    }
    out.fill(pic.slot, pictureHex(await fsp.readFile(output)));
    await Promise.all([fsp.rm(input), fsp.rm(output)]);
  }
  return metafileText;
}
