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

/** An MP3 whose ID3v2.3 tag holds `pictures` in this order, each in an APIC frame of its own (as "picture 1", ...). */
export async function mp3WithPictures(dir: string, pictures: readonly Buffer[]): Promise<Buffer> {
  const frames = Buffer.concat(pictures.map(apicFrame));
  return Buffer.concat([id3v23Head(frames.length), frames, await bareMp3(dir)]);
}
