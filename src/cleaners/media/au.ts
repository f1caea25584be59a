import { AU_HEADER, AU_UNKNOWN_SIZE, auHeaderOf } from "../../metadata/au-fields.js";
import { BadFileError } from "../errors.js";
import { RangeWriter } from "../range-writer.js";
import type { CleanContext, Cleaner } from "../types.js";
import { isMediaStructural } from "./structural.js";

/** The annotation the copy has: eight zero bytes, as ffmpeg writes when it has nothing to say (the format asks for at least four). */
const EMPTY_ANNOTATION = 8;

const damaged = (why: string): BadFileError => new BadFileError(`The AU file is damaged: ${why}.`);

/**
 * Sun/NeXT audio (.au, .snd), which ExifTool does not read: the fixed header (encoding, sample
 * rate, channels), an empty annotation in place of the writer's, and the samples the header
 * counts, copied byte for byte a window at a time. A data size the writer did not know stays
 * unknown, the samples running to the end of the file; a known one that runs past the end keeps
 * what is there, under its real size. Bytes after the samples go.
 */
export const auCleaner: Cleaner = {
  name: "au",
  fileTypes: ["AU"],

  async clean(ctx: CleanContext): Promise<void> {
    await RangeWriter.rewrite(ctx.input, ctx.output, "wx", async (src, out) => {
      const head = Buffer.from(await src.read(0, AU_HEADER));
      const header = auHeaderOf(head);
      if (header == null) throw damaged("it does not start with an AU header");
      if (header.dataOffset > src.size) throw damaged("its samples start past the end of the file");
      const unknown = header.dataSize === AU_UNKNOWN_SIZE;
      const end = unknown ? src.size : Math.min(src.size, header.dataOffset + header.dataSize);
      head.writeUInt32BE(AU_HEADER + EMPTY_ANNOTATION, 4);
      head.writeUInt32BE(unknown ? AU_UNKNOWN_SIZE : end - header.dataOffset, 8);
      out.bytes(head);
      out.bytes(Buffer.alloc(EMPTY_ANNOTATION));
      out.copy(header.dataOffset, end);
    });
  },

  isStructural: isMediaStructural,
};
