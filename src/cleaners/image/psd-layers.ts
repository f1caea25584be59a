import { BadFileError } from "../errors.js";
import { Assembly } from "./psd-assembly.js";
import { cleanBlocks, type LayerCleaning } from "./psd-block-policy.js";
import { layerCount, readLayerRecord, readLayerSection } from "./psd-layer-structure.js";
import { DAMAGED, lengthBytes } from "./psd-structure.js";

/**
 * The layer and mask section at `at` (its length field), rewritten: layer records keep their
 * geometry, channels, blending, mask and name, and of their additional information only what
 * psd-block-policy.ts keeps; the layers' pixels (channel image data) and the global mask are
 * copied byte for byte (an empty one written where the section had none); the global blocks
 * after them go through the same policy. Resolves to the section with its new length field, and
 * where the source's section ends.
 */
export async function cleanLayerSection(c: LayerCleaning, at: number): Promise<{ section: Assembly; end: number }> {
  const { src, big } = c;
  const s = await readLayerSection(src, big, at);
  const body = new Assembly();
  if (s.end > at + s.lengthSize) {
    const info = s.infoEnd > s.infoAt ? await cleanLayerInfo(c, s.infoAt, s.infoEnd) : new Assembly();
    body.bytes(lengthBytes(info.length, big)).add(info);
    if (s.noMask) body.bytes(Buffer.alloc(4));
    else body.copy(s.infoEnd, s.maskEnd);
    body.add(await cleanBlocks(c, s.maskEnd, s.end, true));
  }
  return { section: new Assembly().bytes(lengthBytes(body.length, big)).add(body), end: s.end };
}

/**
 * The layer info [from, to): a layer count, the layer records, then every layer's channel image
 * data (copied as it is), as in the section or inside an `Lr16`/`Lr32`/`Layr` block.
 */
export async function cleanLayerInfo(c: LayerCleaning, from: number, to: number): Promise<Assembly> {
  const { src, big } = c;
  const layers = await layerCount(src, from, to, c.le);
  const out = new Assembly().copy(from, from + 2);
  let at = from + 2;
  let pixels = 0;
  for (let i = 0; i < layers; i++) {
    const record = await readLayerRecord(src, big, at, to, c.le);
    const extra = new Assembly().copy(record.lengthAt + 4, record.blocksAt).add(await cleanBlocks(c, record.blocksAt, record.end, false));
    out.copy(at, record.lengthAt).bytes(lengthBytes(extra.length, false, c.le)).add(extra);
    pixels += record.pixels;
    at = record.end;
  }
  if (at + pixels > to) throw new BadFileError(DAMAGED);
  return out.copy(at, to);
}
