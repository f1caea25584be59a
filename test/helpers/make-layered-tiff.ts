import fs from "node:fs/promises";
import path from "node:path";
import { makeLayeredPsd } from "./make-psd-layers.js";
import { CONVERT, exiftool, run } from "./tools.js";

/**
 * Layered TIFFs as Photoshop saves them (big-endian, "Macintosh" byte order): the picture in the
 * TIFF's strips, the layers in tag 37724 (ImageSourceData, Adobe Photoshop TIFF Technical Notes):
 * "Adobe Photoshop Document Data Block\0", then the PSD's layer info in a `Layr` block and its
 * global blocks. Built from a layered PSD of make-psd-layers.ts, which writes the picture too.
 */
export const DOCUMENT_DATA_SIGNATURE = "Adobe Photoshop Document Data Block\0";

/** A layer and mask section's layer info, as a `Layr` block, and its global blocks, behind the signature. */
export function documentDataOf(psd: Buffer): Buffer {
  const resourcesAt = 26 + 4 + psd.readUInt32BE(26);
  const sectionAt = resourcesAt + 4 + psd.readUInt32BE(resourcesAt);
  const sectionEnd = sectionAt + 4 + psd.readUInt32BE(sectionAt);
  const infoAt = sectionAt + 8;
  const infoEnd = infoAt + psd.readUInt32BE(sectionAt + 4);
  const globalsAt = infoEnd + 4 + psd.readUInt32BE(infoEnd);
  const info = psd.subarray(infoAt, infoEnd);
  const pad = (4 - (info.length % 4)) % 4;
  const head = Buffer.alloc(12);
  head.write("8BIMLayr", 0, "latin1");
  head.writeUInt32BE(info.length + pad, 8);
  return Buffer.concat([Buffer.from(DOCUMENT_DATA_SIGNATURE, "latin1"), head, info, Buffer.alloc(pad), psd.subarray(globalsAt, sectionEnd)]);
}

/**
 * The layers' channel image data (their pixels) in tag 37724's value: what follows the layer
 * records in the `Layr` block, walked by the records' fields.
 */
export function layerPixelData(value: Buffer): Buffer {
  const block = value.indexOf("8BIMLayr", 0, "latin1");
  if (block < 0) throw new Error("no Layr block");
  const info = value.subarray(block + 12, block + 12 + value.readUInt32BE(block + 8));
  let at = 2;
  let pixels = 0;
  for (let i = Math.abs(info.readInt16BE(0)); i > 0; i--) {
    const channels = info.readUInt16BE(at + 16);
    for (let c = 0; c < channels; c++) pixels += info.readUInt32BE(at + 18 + c * 6 + 2);
    const blend = at + 18 + channels * 6;
    at = blend + 16 + info.readUInt32BE(blend + 12);
  }
  return info.subarray(at, at + pixels);
}

/**
 * A big-endian TIFF of a layered PSD (makeLayeredPsd's, `perLayer` and `global` blocks planted):
 * its picture, uncompressed, and its layers in tag 37724; `marker` in the TIFF's own Artist,
 * ImageDescription and XMP.
 */
export async function makeLayeredTiff(dir: string, marker: string, perLayer: (i: number) => Buffer, global: Buffer): Promise<string> {
  const psd = await makeLayeredPsd(dir, marker, perLayer, global);
  const tiff = path.join(dir, "layered.tif");
  await run(CONVERT, [`${psd}[0]`, "-define", "tiff:endian=msb", "-compress", "none", tiff]);
  const value = path.join(dir, "image-source-data.bin");
  await fs.writeFile(value, documentDataOf(await fs.readFile(psd)));
  await exiftool(["-q", "-overwrite_original", `-Artist=${marker}`, `-ImageDescription=${marker}`, `-XMP-dc:Creator=${marker}`, `-ImageSourceData<=${value}`, tiff]);
  return tiff;
}
