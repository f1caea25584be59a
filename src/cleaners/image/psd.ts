import { RangeWriter } from "../range-writer.js";
import type { CleanContext, CleanOutcome, Cleaner } from "../types.js";
import { cleanLayerSection } from "./psd-layers.js";
import { imageDataEnd } from "./psd-image-data.js";
import { keptResources } from "./psd-resources.js";
import { readLayout, readSections } from "./psd-structure.js";
import { isPsdStructural } from "./psd-tags.js";

/**
 * Photoshop documents (PSD, and PSB for large ones), written by hand: the file is four
 * sections, each prefixed with its length. The header and colour mode data are copied; the image
 * resources rebuilt with only those that show the document (psd-resources.ts); the layer and
 * mask section rewritten with only the layer information that draws the document, the smart
 * objects' embedded files cleaned (psd-layers.ts, psd-block-policy.ts), the layers' pixels
 * copied byte for byte; the composite image copied byte for byte (nothing is addressed by file
 * offset, so shorter sections move nothing that matters); bytes after it go.
 */
export const psdCleaner: Cleaner = {
  name: "psd",
  fileTypes: ["PSD", "PSB"],
  async clean(ctx: CleanContext): Promise<CleanOutcome> {
    const keepIcc = ctx.keep.has("colorProfile");
    const hidden: Record<string, number> = {};
    await RangeWriter.rewrite(ctx.input, ctx.output, "wx", async (src, out) => {
      const layout = await readLayout(src);
      const { resourcesAt, resources, layersAt } = await readSections(src);
      const kept = await keptResources(src, resources[0], resources[1], keepIcc);
      out.copy(0, resourcesAt);
      const length = Buffer.alloc(4);
      length.writeUInt32BE(kept.reduce((n, r) => n + r.length, 0));
      out.bytes(length);
      for (const r of kept) {
        out.bytes(r.head);
        if (Buffer.isBuffer(r.data)) out.bytes(r.data);
        else out.copy(r.data[0], r.data[1]);
        if (r.pad) out.bytes(Buffer.alloc(1));
      }
      const layers = await cleanLayerSection({ src, big: layout.big, le: false, ctx, count: { blocks: 0 }, rewrites: { values: 0 }, hidden }, layersAt);
      await layers.section.writeTo(out);
      out.copy(layers.end, await imageDataEnd(src, layout, layers.end));
    });
    return Object.keys(hidden).length > 0 ? { hidden } : {};
  },
  isStructural: isPsdStructural,
};
