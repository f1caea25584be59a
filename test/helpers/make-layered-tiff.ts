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
  const le = value.indexOf("MIB8ryaL", 0, "latin1") >= 0;
  const block = value.indexOf(le ? "MIB8ryaL" : "8BIMLayr", 0, "latin1");
  if (block < 0) throw new Error("no Layr block");
  const u32 = (b: Buffer, at: number): number => (le ? b.readUInt32LE(at) : b.readUInt32BE(at));
  const u16 = (b: Buffer, at: number): number => (le ? b.readUInt16LE(at) : b.readUInt16BE(at));
  const info = value.subarray(block + 12, block + 12 + u32(value, block + 8));
  let at = 2;
  let pixels = 0;
  for (let i = Math.abs((u16(info, 0) << 16) >> 16); i > 0; i--) {
    const channels = u16(info, at + 16);
    for (let c = 0; c < channels; c++) pixels += u32(info, at + 18 + c * 6 + 2);
    const blend = at + 18 + channels * 6;
    at = blend + 16 + u32(info, blend + 12);
  }
  return info.subarray(at, at + pixels);
}

/** `b` with its bytes [at, at + n) turned around: a big-endian number or four-letter code made little-endian. */
function turn(b: Buffer, at: number, n: number): void {
  b.subarray(at, at + n).reverse();
}

/** Turns the tagged blocks in [from, to) of `b` little-endian: heads, and the numbers of the blocks this suite plants. */
function turnBlocks(b: Buffer, from: number, to: number): void {
  for (let at = from; at + 12 <= to; ) {
    const key = b.toString("latin1", at + 4, at + 8);
    const size = b.readUInt32BE(at + 8);
    const data = at + 12;
    if (key === "Layr") turnLayerInfo(b, data, data + size);
    if (key === "luni") {
      for (let u = data + 4; u + 2 <= data + 4 + 2 * b.readUInt32BE(data); u += 2) turn(b, u, 2);
      turn(b, data, 4);
    }
    if (key === "lyid") turn(b, data, 4);
    if (key === "shmd") {
      // A count, then items: signature, key, flag and padding, length, data (a descriptor, left as it is).
      let item = data + 4;
      for (let i = b.readUInt32BE(data); i > 0; i--) {
        const length = b.readUInt32BE(item + 12);
        turn(b, item, 4);
        turn(b, item + 4, 4);
        turn(b, item + 12, 4);
        item += 16 + length + ((4 - (length % 4)) % 4);
      }
      turn(b, data, 4);
    }
    turn(b, at, 4);
    turn(b, at + 4, 4);
    turn(b, at + 8, 4);
    at = data + size;
  }
}

/** Turns layer info [from, to) little-endian: the count, each record's numbers and blocks (the channels' image data is left as it is). */
function turnLayerInfo(b: Buffer, from: number, to: number): void {
  let at = from + 2;
  for (let i = Math.abs(b.readInt16BE(from)); i > 0; i--) {
    const channels = b.readUInt16BE(at + 16);
    for (let k = 0; k < 4; k++) turn(b, at + 4 * k, 4);
    for (let c = 0; c < channels; c++) {
      turn(b, at + 18 + 6 * c, 2);
      turn(b, at + 20 + 6 * c, 4);
    }
    turn(b, at + 16, 2);
    const blend = at + 18 + 6 * channels;
    const extra = blend + 16;
    const end = extra + b.readUInt32BE(blend + 12);
    const ranges = extra + 4 + b.readUInt32BE(extra);
    const nameAt = ranges + 4 + b.readUInt32BE(ranges);
    for (let r = ranges + 4; r < nameAt; r += 4) turn(b, r, 4);
    const nameLength = b[nameAt]! + 1;
    turnBlocks(b, nameAt + nameLength + ((4 - (nameLength % 4)) % 4), end);
    for (const field of [blend, blend + 4, blend + 12, extra, ranges]) turn(b, field, 4);
    at = end;
  }
  turn(b, from, 2);
}

/**
 * Tag 37724's value as Photoshop for Windows writes it in a little-endian TIFF (Pillow's
 * tiff_adobe_deflate.tif): every number little-endian, every four-letter code turned around
 * ("MIB8ryaL").
 */
export function littleEndian(value: Buffer): Buffer {
  const b = Buffer.from(value);
  turnBlocks(b, DOCUMENT_DATA_SIGNATURE.length, b.length);
  return b;
}

/**
 * A big-endian TIFF (little-endian: `le`) of a layered PSD (makeLayeredPsd's, `perLayer` and
 * `global` blocks planted): its picture, uncompressed, and its layers in tag 37724; `marker` in
 * the TIFF's own Artist, ImageDescription and XMP.
 */
export async function makeLayeredTiff(dir: string, marker: string, perLayer: (i: number) => Buffer, global: Buffer, le = false): Promise<string> {
  const psd = await makeLayeredPsd(dir, marker, perLayer, global);
  const tiff = path.join(dir, "layered.tif");
  await run(CONVERT, [`${psd}[0]`, "-define", `tiff:endian=${le ? "lsb" : "msb"}`, "-compress", "none", tiff]);
  const value = path.join(dir, "image-source-data.bin");
  const data = documentDataOf(await fs.readFile(psd));
  await fs.writeFile(value, le ? littleEndian(data) : data);
  await exiftool(["-q", "-overwrite_original", `-Artist=${marker}`, `-ImageDescription=${marker}`, `-XMP-dc:Creator=${marker}`, `-ImageSourceData<=${value}`, tiff]);
  return tiff;
}
