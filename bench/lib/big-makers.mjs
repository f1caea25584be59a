// @ts-check
import fs from "node:fs";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import zlib from "node:zlib";

/**
 * Big files of each streaming type, written by hand in seconds (ImageMagick would take minutes
 * at that size): valid headers and metadata (a marker in a block the cleaner drops), then `bytes`
 * of picture or sound data the cleaner must copy. See test/helpers/make-big-files.ts.
 */

const MiB = 2 ** 20;

/** @param {string} file @param {Buffer} head @param {Buffer} block @param {number} count @param {Buffer} tail */
async function writeRepeated(file, head, block, count, tail) {
  async function* parts() {
    yield head;
    for (let i = 0; i < count; i++) yield block;
    yield tail;
  }
  await pipeline(Readable.from(parts()), fs.createWriteStream(file));
}

/** @param {string} type @param {Buffer} data */
function pngChunk(type, data) {
  const b = Buffer.alloc(12 + data.length);
  b.writeUInt32BE(data.length, 0);
  b.write(type, 4, "latin1");
  data.copy(b, 8);
  b.writeUInt32BE(zlib.crc32(b.subarray(4, 8 + data.length)), 8 + data.length);
  return b;
}

/** A greyscale PNG whose IDAT chunks hold 1 MiB each of a stored (uncompressed) zlib stream. @param {string} file @param {number} bytes */
export async function bigPng(file, bytes) {
  const width = 4095;
  const row = Buffer.alloc(width + 1);
  for (let x = 0; x < width; x++) row[x + 1] = x & 0xff;
  const payload = Buffer.concat(Array.from({ length: 15 }, () => row));
  const stored = Buffer.alloc(5);
  stored.writeUInt16LE(payload.length, 1);
  stored.writeUInt16LE(~payload.length & 0xffff, 3);
  const idat = pngChunk("IDAT", Buffer.concat(Array.from({ length: 16 }, () => [stored, payload]).flat()));
  const count = Math.max(1, Math.round(bytes / idat.length));
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(count * 16 * 15, 4);
  ihdr[8] = 8;
  const head = Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk("IHDR", ihdr),
    pngChunk("tEXt", Buffer.from("Comment\0bench marker", "latin1")),
    pngChunk("IDAT", Buffer.from([0x78, 0x01])),
  ]);
  // The Adler-32 is not computed: no reader in the bench inflates the picture.
  const end = Buffer.from([1, 0, 0, 0xff, 0xff, 0, 0, 0, 1]);
  await writeRepeated(file, head, idat, count, Buffer.concat([pngChunk("IDAT", end), pngChunk("IEND", Buffer.alloc(0))]));
}

/** A 16-bit stereo WAV of silence with a LIST/INFO title. @param {string} file @param {number} bytes */
export async function bigWav(file, bytes) {
  const count = Math.max(1, Math.round(bytes / MiB));
  const fmt = Buffer.alloc(24);
  fmt.write("fmt ", 0, "latin1");
  fmt.writeUInt32LE(16, 4);
  fmt.writeUInt16LE(1, 8);
  fmt.writeUInt16LE(2, 10);
  fmt.writeUInt32LE(44100, 12);
  fmt.writeUInt32LE(44100 * 4, 16);
  fmt.writeUInt16LE(4, 20);
  fmt.writeUInt16LE(16, 22);
  const list = Buffer.from("LIST\x18\0\0\0INFOINAM\x0c\0\0\0bench marker", "latin1");
  const data = Buffer.from("data\0\0\0\0", "latin1");
  data.writeUInt32LE(count * MiB, 4);
  const riff = Buffer.from("RIFF\0\0\0\0WAVE", "latin1");
  riff.writeUInt32LE(4 + fmt.length + list.length + data.length + count * MiB, 4);
  await writeRepeated(file, Buffer.concat([riff, fmt, list, data]), Buffer.alloc(MiB), count, Buffer.alloc(0));
}

/**
 * A JPEG whose entropy-coded data is lengthened with zero bytes (no marker can occur in them):
 * `small` (a real JPEG) with its scan run long, then EOI.
 * @param {string} file @param {Buffer} small @param {number} bytes
 */
export async function bigJpeg(file, small, bytes) {
  const eoi = small.lastIndexOf(Buffer.from([0xff, 0xd9]));
  await writeRepeated(file, small.subarray(0, eoi), Buffer.alloc(MiB), Math.max(1, Math.round(bytes / MiB)), Buffer.from([0xff, 0xd9]));
}

/** An uncompressed 8-bit greyscale TIFF in strips of 1 MiB, with an Artist field. @param {string} file @param {number} bytes */
export async function bigTiff(file, bytes) {
  const strips = Math.max(1, Math.round(bytes / MiB));
  const width = 1024;
  const rowsPerStrip = 1024;
  const artist = Buffer.from("bench marker\0", "latin1");
  /** @type {[number, number, number, number | Buffer][]} tag, type, count, value */
  const fields = [];
  const n = 10;
  const ifdAt = 8;
  const after = ifdAt + 2 + n * 12 + 4;
  const offsetsAt = after;
  const countsAt = offsetsAt + strips * 4;
  const artistAt = countsAt + strips * 4;
  const dataAt = artistAt + artist.length + (artist.length % 2);
  fields.push([256, 3, 1, width], [257, 4, 1, strips * rowsPerStrip], [258, 3, 1, 8], [259, 3, 1, 1], [262, 3, 1, 1],
    [273, 4, strips, offsetsAt], [277, 3, 1, 1], [278, 4, 1, rowsPerStrip], [279, 4, strips, countsAt], [315, 2, artist.length, artistAt]);
  const head = Buffer.alloc(dataAt);
  head.write("II", 0, "latin1");
  head.writeUInt16LE(42, 2);
  head.writeUInt32LE(ifdAt, 4);
  head.writeUInt16LE(n, ifdAt);
  fields.forEach(([tag, type, count, value], i) => {
    const at = ifdAt + 2 + i * 12;
    head.writeUInt16LE(tag, at);
    head.writeUInt16LE(type, at + 2);
    head.writeUInt32LE(count, at + 4);
    if (type === 3 && count === 1) head.writeUInt16LE(/** @type {number} */ (value), at + 8);
    else head.writeUInt32LE(/** @type {number} */ (value), at + 8);
  });
  for (let i = 0; i < strips; i++) {
    head.writeUInt32LE(dataAt + i * MiB, offsetsAt + i * 4);
    head.writeUInt32LE(MiB, countsAt + i * 4);
  }
  artist.copy(head, artistAt);
  await writeRepeated(file, head, Buffer.alloc(MiB, 0x80), strips, Buffer.alloc(0));
}

/**
 * `small` (an MP3 or FLAC with its tags) with its audio repeated to about `bytes`: the frames
 * between its leading tags and its trailing ID3v1 (`tail` bytes) are self-delimiting, so a run of
 * them is still a run of frames to walk and copy.
 * @param {string} file @param {Buffer} small @param {number} audioStart @param {number} tail @param {number} bytes
 */
export async function repeatAudio(file, small, audioStart, tail, bytes) {
  const audio = small.subarray(audioStart, small.length - tail);
  await writeRepeated(file, small.subarray(0, audioStart), audio, Math.max(1, Math.round(bytes / audio.length)), small.subarray(small.length - tail));
}

/** Where an MP3's audio starts: after its ID3v2 tag. @param {Buffer} b */
export function mp3AudioStart(b) {
  if (b.toString("latin1", 0, 3) !== "ID3") return 0;
  return 10 + ((b[6] ?? 0) << 21 | (b[7] ?? 0) << 14 | (b[8] ?? 0) << 7 | (b[9] ?? 0));
}

/** Where a FLAC's frames start: after its last metadata block. @param {Buffer} b */
export function flacAudioStart(b) {
  let at = 4;
  for (let last = false; !last; ) {
    last = ((b[at] ?? 0x80) & 0x80) !== 0;
    at += 4 + b.readUIntBE(at + 1, 3);
  }
  return at;
}

