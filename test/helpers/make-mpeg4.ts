import fs from "node:fs/promises";
import path from "node:path";
import { insertBeforeStartCodes } from "./start-codes.js";
import { ffmpegQuiet, run } from "./tools.js";

/**
 * MPEG-4 Part 2 videos as ffmpeg's `mpeg4` encoder (which writes its "Lavc..." user data) or Xvid
 * ("XviD0069") writes them, with a key frame every 5 pictures, and in every key frame a second
 * user_data unit (start code 00 00 01 B2) carrying `marker`, planted in the raw stream before the
 * picture: so it reaches the codec configuration (esds, codec private data) where the muxer takes
 * it from the first frame, and the samples. Muxed by ffmpeg with a sound track whose encoder writes
 * no identification of its own (ffmpeg's AAC encoder puts "Lavc..." in its first frame unless
 * bitexact), so that any "Lavc" left in the copy is the video's.
 */

export type Mpeg4Container = "mp4" | "mov" | "mkv" | "avi" | "ts" | "asf";
export type Mpeg4Encoder = "mpeg4" | "libxvid";

const AUDIO: Record<Mpeg4Container, string[]> = {
  mp4: ["-c:a", "aac", "-flags:a", "+bitexact"],
  mov: ["-c:a", "aac", "-flags:a", "+bitexact"],
  mkv: ["-c:a", "aac", "-flags:a", "+bitexact"],
  avi: ["-c:a", "libmp3lame"],
  ts: ["-c:a", "aac", "-flags:a", "+bitexact", "-f", "mpegts"],
  asf: ["-c:a", "wmav2", "-f", "asf"],
};

/** `flood`: more bytes (hostile runs of units) put before the first picture only. */
export async function makeMpeg4Video(dir: string, container: Mpeg4Container, encoder: Mpeg4Encoder, marker: string, flood?: Buffer): Promise<string> {
  const raw = path.join(dir, `plain-${encoder}-${container}.m4v`);
  await run("ffmpeg", [...ffmpegQuiet, "-f", "lavfi", "-i", "testsrc=size=64x48:rate=10:duration=1", "-c:v", encoder, "-g", "5", "-bf", "0", "-f", "m4v", raw]);
  const planted = path.join(dir, `planted-${encoder}-${container}.m4v`);
  await fs.writeFile(planted, plantUserData(await fs.readFile(raw), `Clip by ${marker} on camera 7`, flood));
  const file = path.join(dir, `${encoder}${flood == null ? "" : "-flood"}.${container}`);
  await run("ffmpeg", [
    ...ffmpegQuiet, "-r", "10", "-f", "m4v", "-i", planted, "-f", "lavfi", "-i", "sine=frequency=440:duration=1",
    "-map", "0", "-map", "1", "-c:v", "copy", ...AUDIO[container], file,
  ]);
  return file;
}

/** A user_data unit with `text` before every picture (VOP, 00 00 01 B6) that follows headers rather than another picture. */
export function plantUserData(stream: Buffer, text: string, flood: Buffer = Buffer.alloc(0)): Buffer {
  const unit = Buffer.concat([Buffer.from([0, 0, 1, 0xb2]), Buffer.from(text, "latin1")]);
  let first = true;
  return insertBeforeStartCodes(stream, (code, previous) => {
    if (code !== 0xb6 || previous === 0xb6) return null;
    const bytes = first ? Buffer.concat([flood, unit]) : unit;
    first = false;
    return bytes;
  });
}

/** `count` user_data units of `payload(i)` each, back to back. */
export function unitRun(count: number, payload: (i: number) => string): Buffer {
  const parts: Buffer[] = [];
  for (let i = 0; i < count; i++) parts.push(Buffer.from([0, 0, 1, 0xb2]), Buffer.from(payload(i), "latin1"));
  return Buffer.concat(parts);
}
