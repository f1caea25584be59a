import fs from "node:fs/promises";
import path from "node:path";
import { CONVERT, run } from "./tools.js";

/**
 * A TIFF of old-style JPEG compression (6), which no current tool writes (libtiff only reads it):
 * built here around a baseline JPEG of ImageMagick's, the way such writers laid it out: the whole
 * JPEG stream is both the JPEG interchange format stream (tags 513/514, where the decoder finds
 * its headers and tables) and the page's only strip. Artist holds `marker`.
 */
export interface OldJpegOptions {
  /** A comment segment holding this text, written into the stream after its start of image. */
  streamComment?: string;
  /** A JPEGQTables field (519), as writers that also stored the tables apart left. */
  qTables?: boolean;
}

const WIDTH = 64;
const HEIGHT = 48;

export async function makeOldJpegTiff(dir: string, marker: string, options: OldJpegOptions = {}): Promise<string> {
  const jpegFile = path.join(dir, `old-jpeg-${Date.now()}.jpg`);
  // Quality 90: ImageMagick then keeps every chroma sample (4:4:4), which the subsampling field says.
  await run(CONVERT, ["-size", `${WIDTH}x${HEIGHT}`, "gradient:red-blue", "-quality", "90", "-strip", jpegFile]);
  let jpeg = await fs.readFile(jpegFile);
  if (options.streamComment != null) {
    const text = Buffer.from(options.streamComment, "latin1");
    const segment = Buffer.concat([Buffer.from([0xff, 0xfe, 0, text.length + 2]), text]);
    jpeg = Buffer.concat([jpeg.subarray(0, 2), segment, jpeg.subarray(2)]);
  }
  const stream = 8;
  const ifd = stream + jpeg.length + (jpeg.length % 2);
  const artist = Buffer.from(`${marker}\0`, "latin1");
  type Field = [tag: number, type: number, count: number, value: number | Buffer];
  const fields: Field[] = [
    [256, 3, 1, WIDTH], [257, 3, 1, HEIGHT], [258, 3, 3, shorts([8, 8, 8])], [259, 3, 1, 6], [262, 3, 1, 6],
    [273, 4, 1, stream], [277, 3, 1, 3], [278, 3, 1, HEIGHT], [279, 4, 1, jpeg.length], [315, 2, artist.length, artist],
    [512, 3, 1, 1], [513, 4, 1, stream], [514, 4, 1, jpeg.length], [530, 3, 2, shorts([1, 1])],
  ];
  // Three offsets to 64-byte tables, pointing into the stream's own DQT (where they would lie).
  if (options.qTables === true) fields.push([519, 4, 3, longs([stream + 2, stream + 2, stream + 2])]);
  fields.sort((a, b) => a[0] - b[0]);
  const table = Buffer.alloc(2 + fields.length * 12 + 4);
  table.writeUInt16LE(fields.length, 0);
  const outOfLine: Buffer[] = [];
  let next = ifd + table.length;
  for (const [i, [tag, type, count, value]] of fields.entries()) {
    const e = 2 + i * 12;
    table.writeUInt16LE(tag, e);
    table.writeUInt16LE(type, e + 2);
    table.writeUInt32LE(count, e + 4);
    if (typeof value === "number") {
      if (type === 3) table.writeUInt16LE(value, e + 8);
      else table.writeUInt32LE(value, e + 8);
    } else if (value.length <= 4) value.copy(table, e + 8);
    else {
      table.writeUInt32LE(next, e + 8);
      const padded = value.length % 2 === 0 ? value : Buffer.concat([value, Buffer.alloc(1)]);
      outOfLine.push(padded);
      next += padded.length;
    }
  }
  const header = Buffer.from([0x49, 0x49, 42, 0, 0, 0, 0, 0]);
  header.writeUInt32LE(ifd, 4);
  const file = path.join(dir, `old-jpeg-${Date.now()}.tif`);
  await fs.writeFile(file, Buffer.concat([header, jpeg, Buffer.alloc(jpeg.length % 2), table, ...outOfLine]));
  return file;
}

function shorts(values: readonly number[]): Buffer {
  const b = Buffer.alloc(values.length * 2);
  values.forEach((v, i) => b.writeUInt16LE(v, i * 2));
  return b;
}

function longs(values: readonly number[]): Buffer {
  const b = Buffer.alloc(values.length * 4);
  values.forEach((v, i) => b.writeUInt32LE(v, i * 4));
  return b;
}
