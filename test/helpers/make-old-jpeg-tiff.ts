import fs from "node:fs/promises";
import path from "node:path";
import { CONVERT, run } from "./tools.js";

/**
 * A TIFF of old-style JPEG compression (6), which no current tool writes (libtiff only reads it):
 * built here around a baseline JPEG of ImageMagick's, the way such writers laid it out: the whole
 * JPEG stream is both the JPEG interchange format stream (tags 513/514, where the decoder finds
 * its headers and tables) and the page's only strip. Artist holds `marker`. Other writers left
 * no interchange format stream: the strip is the whole stream (`layout: "strip"`), or only the
 * coded data with the tables stored apart (`layout: "tablesApart"`: JPEGQTables, JPEGDCTables and
 * JPEGACTables point at each component's tables, which libtiff builds the headers from). Kofax's
 * scanner software points at the stream and leaves its length out (`layout: "interchangeNoLength"`).
 */
export interface OldJpegOptions {
  /** A comment segment holding this text, written into the stream after its start of image. */
  streamComment?: string;
  /** A JPEGQTables field (519) pointing into the interchange format stream's own tables. */
  qTables?: boolean;
  layout?: "interchange" | "interchangeNoLength" | "strip" | "tablesApart";
  /** Bytes written between the tables stored apart (where a hostile writer could hide text). */
  betweenTables?: string;
  /** The stream without its start of image (libtiff reads a strip's headers without it). */
  headless?: boolean;
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
  if (options.headless === true) jpeg = jpeg.subarray(2);
  const stream = 8;
  const layout = options.layout ?? "interchange";
  const apart = layout === "tablesApart" ? tablesApart(jpeg, Buffer.from(options.betweenTables ?? "", "latin1")) : null;
  // Tables apart: the coded data, then the tables (at even offsets).
  const strip = apart?.coded ?? jpeg;
  const tablesAt = stream + strip.length + (strip.length % 2);
  const ifd = apart == null ? tablesAt : tablesAt + apart.bytes.length;
  const artist = Buffer.from(`${marker}\0`, "latin1");
  type Field = [tag: number, type: number, count: number, value: number | Buffer];
  const fields: Field[] = [
    [256, 3, 1, WIDTH], [257, 3, 1, HEIGHT], [258, 3, 3, shorts([8, 8, 8])], [259, 3, 1, 6], [262, 3, 1, 6],
    [273, 4, 1, stream], [277, 3, 1, 3], [278, 3, 1, HEIGHT], [279, 4, 1, strip.length], [315, 2, artist.length, artist],
    [512, 3, 1, 1], [530, 3, 2, shorts([1, 1])],
  ];
  if (layout === "interchange") fields.push([513, 4, 1, stream], [514, 4, 1, jpeg.length]);
  if (layout === "interchangeNoLength") fields.push([513, 4, 1, stream]);
  if (apart != null) {
    for (const [tag, offsets] of [[519, apart.q], [520, apart.dc], [521, apart.ac]] as const) {
      fields.push([tag, 4, 3, longs(offsets.map((o) => tablesAt + o))]);
    }
  }
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
  await fs.writeFile(file, Buffer.concat([header, strip, Buffer.alloc(strip.length % 2), ...(apart == null ? [] : [apart.bytes]), table, ...outOfLine]));
  return file;
}

/**
 * A baseline JPEG's tables as old-style JPEG stores them apart (a quantization table is its 64
 * values, a Huffman table its 16 counts and its values), each component's offsets into `bytes`
 * (Y uses tables 0, Cb and Cr tables 1, as ImageMagick's SOS says), and its coded data.
 */
function tablesApart(jpeg: Buffer, between: Buffer): { bytes: Buffer; q: number[]; dc: number[]; ac: number[]; coded: Buffer } {
  const q = new Map<number, Buffer>();
  const huffman = new Map<number, Buffer>();
  let at = 2;
  for (;;) {
    const marker = jpeg[at + 1]!;
    const length = jpeg.readUInt16BE(at + 2);
    const body = jpeg.subarray(at + 4, at + 2 + length);
    if (marker === 0xda) {
      const coded = jpeg.subarray(at + 2 + length, jpeg.length - 2);
      const parts: Buffer[] = [];
      let size = 0;
      const place = (b: Buffer): number => {
        const offset = size;
        const padded = Buffer.concat([b, Buffer.alloc(b.length % 2), between, Buffer.alloc(between.length % 2)]);
        parts.push(padded);
        size += padded.length;
        return offset;
      };
      const [q0, q1] = [place(q.get(0)!), place(q.get(1)!)];
      const [dc0, dc1, ac0, ac1] = [0x00, 0x01, 0x10, 0x11].map((id) => place(huffman.get(id)!)) as [number, number, number, number];
      return { bytes: Buffer.concat(parts), q: [q0, q1, q1], dc: [dc0, dc1, dc1], ac: [ac0, ac1, ac1], coded };
    }
    if (marker === 0xdb) {
      for (let i = 0; i < body.length; i += 65) q.set(body[i]! & 0x0f, body.subarray(i + 1, i + 65));
    } else if (marker === 0xc4) {
      for (let i = 0; i < body.length; ) {
        const counts = body.subarray(i + 1, i + 17);
        const n = counts.reduce((a, b) => a + b, 0);
        huffman.set(body[i]!, body.subarray(i + 1, i + 17 + n));
        i += 17 + n;
      }
    }
    at += 2 + length;
  }
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
