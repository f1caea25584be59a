import crypto from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import { ffmpegQuiet, run } from "./tools.js";

/** An ID3v2.3 APIC frame holding `picture` (a JPEG) as the front cover, its body neither unsynchronised nor compressed. */
export function apicFrame(picture: Buffer): Buffer {
  const body = Buffer.concat([Buffer.from([0]), Buffer.from("image/jpeg\0", "latin1"), Buffer.from([3]), Buffer.from("front\0", "latin1"), picture]);
  const head = Buffer.alloc(10);
  head.write("APIC", 0, "latin1");
  head.writeUInt32BE(body.length, 4);
  return Buffer.concat([head, body]);
}

/** The 10-byte head of an ID3v2.3 tag whose frames take `size` bytes (`flags`: 0x80 for a tag written unsynchronised). */
export function id3v23Head(size: number, flags = 0): Buffer {
  return Buffer.from([0x49, 0x44, 0x33, 3, 0, flags, (size >> 21) & 0x7f, (size >> 14) & 0x7f, (size >> 7) & 0x7f, size & 0x7f]);
}

/** Half a second of MP3 sound with no tag, to put a hand-made ID3v2 tag before. */
export async function bareMp3(dir: string): Promise<Buffer> {
  const file = path.join(dir, `bare-${crypto.randomUUID()}.mp3`);
  await run("ffmpeg", [...ffmpegQuiet, "-f", "lavfi", "-i", "sine=d=0.5", "-c:a", "libmp3lame", "-write_id3v2", "0", "-write_xing", "0", file]);
  const bytes = await fs.readFile(file);
  await fs.rm(file);
  return bytes;
}

/** An MP3 whose ID3v2.3 tag holds `pictures` in this order, each in an APIC frame of its own ("picture 1", ... to the service). */
export async function mp3WithPictures(dir: string, pictures: readonly Buffer[]): Promise<Buffer> {
  const frames = Buffer.concat(pictures.map(apicFrame));
  return Buffer.concat([id3v23Head(frames.length), frames, await bareMp3(dir)]);
}

/** A FLAC file of half a second whose metadata blocks end with `pictures` (JPEGs), each in a PICTURE block of its own. */
export async function flacWithPictures(dir: string, pictures: readonly Buffer[]): Promise<Buffer> {
  const file = path.join(dir, `bare-${crypto.randomUUID()}.flac`);
  await run("ffmpeg", [...ffmpegQuiet, "-f", "lavfi", "-i", "sine=d=0.5", "-c:a", "flac", file]);
  const flac = await fs.readFile(file);
  await fs.rm(file);
  const blocks: Array<{ type: number; body: Buffer }> = [];
  let at = 4;
  for (let last = false; !last; ) {
    last = (flac[at]! & 0x80) !== 0;
    const length = flac.readUIntBE(at + 1, 3);
    blocks.push({ type: flac[at]! & 0x7f, body: flac.subarray(at + 4, at + 4 + length) });
    at += 4 + length;
  }
  const u32 = (n: number): Buffer => Buffer.from([n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff]);
  const mime = Buffer.from("image/jpeg", "latin1");
  // Picture type 3 (front cover), the MIME type, no description, 8x8 pixels of 24 bits, then the data.
  for (const picture of pictures) blocks.push({ type: 6, body: Buffer.concat([u32(3), u32(mime.length), mime, u32(0), u32(8), u32(8), u32(24), u32(0), u32(picture.length), picture]) });
  const heads = blocks.map(({ type, body }, i) => Buffer.concat([Buffer.from([(i === blocks.length - 1 ? 0x80 : 0) | type]), u32(body.length).subarray(1), body]));
  return Buffer.concat([flac.subarray(0, 4), ...heads, flac.subarray(at)]);
}
