import crypto from "node:crypto";
import fs from "node:fs";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { riffChunk, storedWavHeader } from "./make-av-formats.js";
import { pngChunk } from "./make-images.js";
import { DXGI_R8G8B8A8_UNORM, ddsHeader, patternBytes } from "./make-dds.js";

/**
 * Files of hundreds of megabytes, written by hand in a second or two (ImageMagick and ffmpeg take
 * minutes at that size): each is a valid file of its type whose bulk is picture or sound data the
 * cleaner must copy, with `marker` in a metadata block it must drop.
 */

const MiB = 1024 * 1024;

/** Writes `count` copies of `block`, then `tail`, after `head`. */
async function writeRepeated(file: string, head: Buffer, block: Buffer, count: number, tail: Buffer): Promise<void> {
  async function* parts(): AsyncGenerator<Buffer> {
    yield head;
    for (let i = 0; i < count; i++) yield block;
    yield tail;
  }
  await pipeline(Readable.from(parts()), fs.createWriteStream(file));
}

/** A 16-bit stereo PCM WAV of silence, about `mb` MiB, with the marker in a LIST/INFO title. */
export async function makeBigWav(file: string, marker: string, mb: number): Promise<void> {
  const fmt = Buffer.alloc(8 + 16);
  fmt.write("fmt ", 0, "latin1");
  fmt.writeUInt32LE(16, 4);
  fmt.writeUInt16LE(1, 8); // PCM
  fmt.writeUInt16LE(2, 10);
  fmt.writeUInt32LE(44100, 12);
  fmt.writeUInt32LE(44100 * 4, 16);
  fmt.writeUInt16LE(4, 20);
  fmt.writeUInt16LE(16, 22);
  const title = Buffer.from(`${marker}\0`, "latin1");
  const padded = Buffer.concat([title, Buffer.alloc(title.length % 2)]);
  const list = Buffer.concat([Buffer.from("LIST\0\0\0\0INFOINAM\0\0\0\0", "latin1"), padded]);
  list.writeUInt32LE(list.length - 8, 4);
  list.writeUInt32LE(title.length, 16);
  const dataSize = mb * MiB;
  const dataHead = Buffer.from("data\0\0\0\0", "latin1");
  dataHead.writeUInt32LE(dataSize, 4);
  const riff = Buffer.from("RIFF\0\0\0\0WAVE", "latin1");
  riff.writeUInt32LE(4 + fmt.length + list.length + dataHead.length + dataSize, 4);
  await writeRepeated(file, Buffer.concat([riff, fmt, list, dataHead]), Buffer.alloc(MiB), mb, Buffer.alloc(0));
}

/** A 16-bit stereo AIFF of silence, about `mb` MiB, with the marker in a NAME chunk before its samples. */
export async function makeBigAiff(file: string, marker: string, mb: number): Promise<void> {
  const dataSize = mb * MiB;
  const comm = Buffer.alloc(8 + 18);
  comm.write("COMM", 0, "latin1");
  comm.writeUInt32BE(18, 4);
  comm.writeUInt16BE(2, 8);
  comm.writeUInt32BE(dataSize / 4, 10);
  comm.writeUInt16BE(16, 14);
  // 44,100 as an 80-bit extended float: exponent 16398, mantissa 0xAC44 << 48.
  comm.set([0x40, 0x0e, 0xac, 0x44, 0, 0, 0, 0, 0, 0], 16);
  const title = Buffer.from(marker, "latin1");
  const name = Buffer.concat([Buffer.from("NAME\0\0\0\0", "latin1"), title, Buffer.alloc(title.length % 2)]);
  name.writeUInt32BE(title.length, 4);
  const ssndHead = Buffer.from("SSND\0\0\0\0\0\0\0\0\0\0\0\0", "latin1");
  ssndHead.writeUInt32BE(8 + dataSize, 4);
  const form = Buffer.from("FORM\0\0\0\0AIFF", "latin1");
  form.writeUInt32BE(4 + comm.length + name.length + ssndHead.length + dataSize, 4);
  await writeRepeated(file, Buffer.concat([form, comm, name, ssndHead]), Buffer.alloc(MiB), mb, Buffer.alloc(0));
}


const ADLER_BASE = 65521;

function adler32(data: Buffer): number {
  let a = 1;
  let b = 0;
  for (const byte of data) {
    a = (a + byte) % ADLER_BASE;
    b = (b + a) % ADLER_BASE;
  }
  return ((b << 16) | a) >>> 0;
}

/** The Adler-32 of two byte runs joined, from each one's checksum and the second's length (zlib's adler32_combine). */
function adler32Combine(first: number, second: number, secondLength: number): number {
  const rem = secondLength % ADLER_BASE;
  let a = (first & 0xffff) + (second & 0xffff) + ADLER_BASE - 1;
  let b = ((rem * (first & 0xffff)) % ADLER_BASE) + (first >>> 16) + (second >>> 16) + ADLER_BASE - rem;
  a %= ADLER_BASE;
  b %= ADLER_BASE;
  return ((b << 16) | a) >>> 0;
}

/**
 * An 8-bit greyscale PNG of about `mb` MiB that decodes: a gradient whose rows are deflated
 * without compression (stored blocks of 15 rows), in identical IDAT chunks of 16 blocks, so that
 * each chunk's CRC and the stream's Adler-32 are computed once. The marker is in a tEXt chunk.
 */
export async function makeBigPng(file: string, marker: string, mb: number): Promise<void> {
  const width = 4095;
  const rowsPerBlock = 15;
  const blocksPerChunk = 16;
  const row = Buffer.alloc(width + 1);
  for (let x = 0; x < width; x++) row[x + 1] = x & 0xff;
  const payload = Buffer.concat(Array.from({ length: rowsPerBlock }, () => row));
  const stored = Buffer.alloc(5);
  stored.writeUInt16LE(payload.length, 1);
  stored.writeUInt16LE(~payload.length & 0xffff, 3);
  const idat = pngChunk("IDAT", Buffer.concat(Array.from({ length: blocksPerChunk }, () => [stored, payload]).flat()));
  const chunks = Math.max(1, Math.round((mb * MiB) / idat.length));
  const blockAdler = adler32(payload);
  let adler = 1;
  for (let i = 0; i < chunks * blocksPerChunk; i++) adler = adler32Combine(adler, blockAdler, payload.length);
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(chunks * blocksPerChunk * rowsPerBlock, 4);
  ihdr[8] = 8; // bit depth, greyscale
  const head = Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk("IHDR", ihdr),
    pngChunk("tEXt", Buffer.from(`Comment\0${marker}`, "latin1")),
    // The zlib header (deflate, 32K window, no dictionary) in a chunk of its own.
    pngChunk("IDAT", Buffer.from([0x78, 0x01])),
  ]);
  const end = Buffer.alloc(9);
  end[0] = 1; // the final block: stored, empty
  end.writeUInt16LE(0xffff, 3);
  end.writeUInt32BE(adler, 5);
  await writeRepeated(file, head, idat, chunks, Buffer.concat([pngChunk("IDAT", end), pngChunk("IEND", Buffer.alloc(0))]));
}

/**
 * A JPEG of about `mb` MiB: `small` (a real baseline JPEG) with a comment and an XMP packet
 * holding the marker, and its entropy-coded data lengthened with zero bytes (no marker can
 * occur in them, so the scan runs to EOI as the format requires; a decoder reads them as
 * flat blocks).
 */
export async function makeBigJpeg(file: string, small: Buffer, marker: string, mb: number): Promise<void> {
  const eoi = small.lastIndexOf(Buffer.from([0xff, 0xd9]));
  const segment = (code: number, payload: Buffer): Buffer => {
    const head = Buffer.from([0xff, code, 0, 0]);
    head.writeUInt16BE(payload.length + 2, 2);
    return Buffer.concat([head, payload]);
  };
  const xmp = Buffer.from(`http://ns.adobe.com/xap/1.0/\0<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/" dc:source="${marker}"/></rdf:RDF></x:xmpmeta>`, "latin1");
  const head = Buffer.concat([small.subarray(0, 2), segment(0xfe, Buffer.from(marker, "latin1")), segment(0xe1, xmp), small.subarray(2, eoi)]);
  await writeRepeated(file, head, Buffer.alloc(MiB), mb, Buffer.from([0xff, 0xd9]));
}

/**
 * A Monkey's Audio file (format 3.99) of about `mb` MiB: frames of one MiB of zeros each (the
 * cleaner copies them, it does not decode them), with the marker in the LIST/INFO chunk of its
 * stored WAV header, in the `id3 ` chunk of its stored WAV trailer and in an ID3v1 tag after the
 * stream. Its MD5 is right, so the cleaner has to bring it up to date.
 */
export async function makeBigApe(file: string, marker: string, mb: number): Promise<void> {
  const frames = mb;
  const blocks = MiB / 4;
  const trailer = riffChunk("id3 ", Buffer.from(`TAG ${marker}`, "latin1"));
  const dataBytes = frames * MiB;
  const wavHeader = storedWavHeader(marker, dataBytes, trailer.length);
  const descriptor = Buffer.alloc(52);
  descriptor.write("MAC ", 0, "latin1");
  descriptor.writeUInt16LE(3990, 4);
  descriptor.writeUInt32LE(52, 8);
  descriptor.writeUInt32LE(24, 12);
  descriptor.writeUInt32LE(frames * 4, 16);
  descriptor.writeUInt32LE(wavHeader.length, 20);
  descriptor.writeUInt32LE(dataBytes, 24);
  descriptor.writeUInt32LE(trailer.length, 32);
  const header = Buffer.alloc(24);
  header.writeUInt16LE(2000, 0);
  header.writeUInt32LE(blocks, 4);
  header.writeUInt32LE(blocks, 8);
  header.writeUInt32LE(frames, 12);
  header.writeUInt16LE(16, 16);
  header.writeUInt16LE(2, 18);
  header.writeUInt32LE(44100, 20);
  const firstFrame = 52 + 24 + frames * 4 + wavHeader.length;
  const seekTable = Buffer.alloc(frames * 4);
  for (let i = 0; i < frames; i++) seekTable.writeUInt32LE(firstFrame + i * MiB, i * 4);
  const frame = Buffer.alloc(MiB);
  const md5 = crypto.createHash("md5").update(wavHeader);
  for (let i = 0; i < frames; i++) md5.update(frame);
  md5.update(trailer).update(header).update(seekTable).digest().copy(descriptor, 36);
  const id3v1 = Buffer.alloc(128);
  id3v1.write("TAG", 0, "latin1");
  id3v1.write(marker.slice(0, 30), 3, "latin1");
  await writeRepeated(file, Buffer.concat([descriptor, header, seekTable, wavHeader]), frame, frames, Buffer.concat([trailer, id3v1]));
}

/** 24-bit rows of 8192 pixels: the pictures below are `mb` MiB of them (a gradient, repeated). */
const BIG_WIDTH = 8192;

/**
 * A 24-bit BMP (BITMAPINFOHEADER) of about `mb` MiB with the marker between its header and its
 * pixels (where bfOffBits leaves room) and again after them.
 */
export async function makeBigBmp(file: string, marker: string, mb: number): Promise<void> {
  const rowBytes = BIG_WIDTH * 3;
  const rows = Math.floor((mb * MiB) / rowBytes);
  const gap = Buffer.from(`${marker}\0`, "latin1");
  const pixelsAt = 14 + 40 + gap.length;
  const trailer = Buffer.from(marker, "latin1");
  const head = Buffer.alloc(14 + 40);
  head.write("BM", 0, "latin1");
  head.writeUInt32LE(pixelsAt + rows * rowBytes + trailer.length, 2);
  head.writeUInt32LE(pixelsAt, 10);
  head.writeUInt32LE(40, 14);
  head.writeInt32LE(BIG_WIDTH, 18);
  head.writeInt32LE(rows, 22);
  head.writeUInt16LE(1, 26);
  head.writeUInt16LE(24, 28);
  head.writeUInt32LE(rows * rowBytes, 34);
  const row = Buffer.alloc(rowBytes);
  for (let i = 0; i < rowBytes; i++) row[i] = (i >> 5) & 0xff;
  await writeRepeated(file, Buffer.concat([head, gap]), row, rows, trailer);
}

/**
 * An uncompressed 24-bit Targa picture (version 2) of about `mb` MiB with the marker in its image
 * ID and in the author field of its extension area, found by the footer.
 */
export async function makeBigTga(file: string, marker: string, mb: number): Promise<void> {
  const rowBytes = BIG_WIDTH * 3;
  const rows = Math.min(0xffff, Math.floor((mb * MiB) / rowBytes));
  const id = Buffer.from(marker, "latin1");
  const head = Buffer.alloc(18);
  head[0] = id.length;
  head[2] = 2; // true colour, uncompressed
  head.writeUInt16LE(BIG_WIDTH, 12);
  head.writeUInt16LE(rows, 14);
  head[16] = 24;
  const extension = Buffer.alloc(495);
  extension.writeUInt16LE(495, 0);
  extension.write(marker, 2, "latin1");
  const footer = Buffer.alloc(26);
  footer.writeUInt32LE(head.length + id.length + rows * rowBytes, 0);
  footer.write("TRUEVISION-XFILE.\0", 8, "latin1");
  const row = Buffer.alloc(rowBytes);
  for (let i = 0; i < rowBytes; i++) row[i] = (i >> 5) & 0xff;
  await writeRepeated(file, Buffer.concat([head, id]), row, rows, Buffer.concat([extension, footer]));
}

/**
 * A DX10 RGBA DirectDraw Surface texture of about `mb` MiB (8192 pixels wide, 32 rows a MiB) with
 * the marker in its header's reserved DWORDs, where writers sign, and after its pixels.
 */
export async function makeBigDds(file: string, marker: string, mb: number): Promise<void> {
  const width = 8192;
  const rowsPerMiB = MiB / (width * 4);
  const head = ddsHeader({ width, height: mb * rowsPerMiB, dxgiFormat: DXGI_R8G8B8A8_UNORM, arraySize: 1 });
  head.write(marker, 32, 44, "latin1");
  await writeRepeated(file, head, patternBytes(MiB, 5), mb, Buffer.from(`appended ${marker}`, "latin1"));
}

/** Rows of a 32-bit picture `BIG_WIDTH` pixels wide: `mb` MiB of them, and one (a gradient) to repeat. */
function bigRows32(mb: number): { rows: number; row: Buffer } {
  const row = Buffer.alloc(BIG_WIDTH * 4);
  for (let i = 0; i < row.length; i++) row[i] = (i >> 5) & 0xff;
  return { rows: Math.floor((mb * MiB) / row.length), row };
}

/** A 40-byte info header of a 32-bit picture `BIG_WIDTH` pixels wide and `height` high. */
function infoHeader32(height: number): Buffer {
  const info = Buffer.alloc(40);
  info.writeUInt32LE(40, 0);
  info.writeInt32LE(BIG_WIDTH, 4);
  info.writeInt32LE(height, 8);
  info.writeUInt16LE(1, 12);
  info.writeUInt16LE(32, 14);
  return info;
}

/**
 * A Windows icon of about `mb` MiB: one 32-bit bitmap entry (its rows, then its 1-bit mask), with
 * the marker between the directory and the image and again after it.
 */
export async function makeBigIco(file: string, marker: string, mb: number): Promise<void> {
  const { rows, row } = bigRows32(mb);
  const gap = Buffer.from(`${marker}\0`, "latin1");
  const mask = Buffer.alloc((BIG_WIDTH / 8) * rows);
  const directory = Buffer.alloc(6 + 16);
  directory.writeUInt16LE(1, 2); // icon
  directory.writeUInt16LE(1, 4);
  directory.writeUInt16LE(1, 6 + 4); // planes
  directory.writeUInt16LE(32, 6 + 6);
  directory.writeUInt32LE(40 + rows * row.length + mask.length, 6 + 8);
  directory.writeUInt32LE(directory.length + gap.length, 6 + 12);
  // An icon's bitmap states twice its height: the colour rows and the mask's.
  await writeRepeated(file, Buffer.concat([directory, gap, infoHeader32(2 * rows)]), row, rows, Buffer.concat([mask, Buffer.from(marker, "latin1")]));
}

/**
 * An OS/2 bitmap array ("BA") of about `mb` MiB: one entry, a 32-bit bitmap whose pixels its
 * offset puts after a gap holding the marker, and the marker again after them.
 */
export async function makeBigOs2Array(file: string, marker: string, mb: number): Promise<void> {
  const { rows, row } = bigRows32(mb);
  const gap = Buffer.from(`${marker}\0`, "latin1");
  const head = Buffer.alloc(14 + 14);
  head.write("BA", 0, "latin1");
  head.writeUInt32LE(14, 2);
  head.write("BM", 14, "latin1");
  const pixelsAt = head.length + 40 + gap.length;
  head.writeUInt32LE(14 + 40 + gap.length + rows * row.length, 14 + 2);
  head.writeUInt32LE(pixelsAt, 14 + 10);
  await writeRepeated(file, Buffer.concat([head, infoHeader32(rows), gap]), row, rows, Buffer.from(marker, "latin1"));
}
