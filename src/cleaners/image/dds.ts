import { RangeWriter } from "../range-writer.js";
import type { CleanContext, Cleaner } from "../types.js";
import { DDS_HEADER, DX10_HEADER, cleanDdsHeader, readDdsLayout } from "./dds-layout.js";

/**
 * DirectDraw Surface textures (DDS) hold no metadata fields that ExifTool or any reader shows:
 * what a writer leaves is its name in the header's eleven reserved DWORDs (NVIDIA Texture Tools,
 * GIMP, ImageMagick sign there), bits and fields no reader uses, and bytes after the last mip
 * level, face or slice. The copy is the header with all of those zeroed (dds-layout.ts), then
 * exactly the pixel data the header declares, copied byte for byte by offset; a header whose
 * pixels the cleaner cannot size, or that declares more than the file holds, is refused.
 */
export const ddsCleaner: Cleaner = {
  name: "dds",
  fileTypes: ["DDS"],
  async clean(ctx: CleanContext): Promise<void> {
    await RangeWriter.rewrite(ctx.input, ctx.output, "wx", async (src, out) => {
      const head = await src.read(0, DDS_HEADER + DX10_HEADER);
      const layout = readDdsLayout(head, src.size);
      out.bytes(cleanDdsHeader(head, layout));
      out.copy(layout.dataAt, layout.dataAt + layout.dataSize);
    });
  },
  isStructural: () => false,
};
