import fs from "node:fs/promises";
import path from "node:path";
import { insertBeforeStartCodes } from "./start-codes.js";
import { ffmpegQuiet, run } from "./tools.js";

/**
 * MPEG-1/2 videos as camcorders, DVD recorders and broadcast encoders leave them: ffmpeg's
 * encoder with a time code in every GOP header (`-timecode`), and user data units (start code
 * 00 00 01 B2) planted in the raw stream where the standard puts them: after each sequence header
 * (an encoder's name), after each GOP header, and after each picture's headers (a camera's note,
 * longer than a program stream's 2 KB packets, so that every one of them is cut over two),
 * beside an ATSC A/53 caption unit ("GA94", two caption bytes pairs) and an active format
 * description ("DTG1"), which players show or act on and which must stay. Two more hiding places
 * hold the marker in every GOP: a caption unit with text after its structure, and a unit of a
 * reserved start code (B0), which no decoder reads.
 */

export type Mpeg2Container = "ts" | "vob" | "mpeg1" | "mkv" | "mov" | "mp4" | "avi";

const TIME_CODE = "10:11:12:13";

const MUX: Record<Mpeg2Container, { video: "mpeg1video" | "mpeg2video"; audio: string[]; format: string; ext: string }> = {
  ts: { video: "mpeg2video", audio: ["-c:a", "mp2"], format: "mpegts", ext: "ts" },
  vob: { video: "mpeg2video", audio: ["-c:a", "ac3"], format: "vob", ext: "vob" },
  mpeg1: { video: "mpeg1video", audio: ["-c:a", "mp2"], format: "mpeg", ext: "mpg" },
  mkv: { video: "mpeg2video", audio: ["-c:a", "mp2"], format: "matroska", ext: "mkv" },
  mov: { video: "mpeg2video", audio: ["-c:a", "pcm_s16le"], format: "mov", ext: "mov" },
  mp4: { video: "mpeg2video", audio: ["-c:a", "mp2"], format: "mp4", ext: "mp4" },
  avi: { video: "mpeg2video", audio: ["-c:a", "mp2"], format: "avi", ext: "avi" },
};

/** An A/53 caption unit's payload: two byte pairs of line 21 field 1 ("HI"), valid. */
export const CAPTION = Buffer.from([0x47, 0x41, 0x39, 0x34, 0x03, 0x42, 0xff, 0xfc, 0x94, 0x20, 0xfc, 0xc8, 0x49, 0xff]);
/** An active format description: 16:9 picture. */
export const AFD = Buffer.from([0x44, 0x54, 0x47, 0x31, 0x41, 0xfa]);

/** The camera's note planted in every picture. */
export function pictureNote(marker: string): string {
  return `Camera ${marker} picture, ${"notes ".repeat(400)}`;
}

/** A caption unit's payload with the marker written after the caption structure. */
export function captionWithText(marker: string): Buffer {
  return Buffer.concat([CAPTION, Buffer.from(` after the captions ${marker}`, "latin1")]);
}

function unit(payload: Buffer | string, code = 0xb2): Buffer {
  return Buffer.concat([Buffer.from([0, 0, 1, code]), typeof payload === "string" ? Buffer.from(payload, "latin1") : payload]);
}

/**
 * Two seconds of a bare video stream (GOPs of 12 pictures, with B-pictures), `marker` planted as
 * above, written to `name` in `dir`: what a DVD authoring tool or a capture card leaves, and what
 * a muxer is given.
 */
export async function makeBareMpegVideo(dir: string, name: string, codec: "mpeg1video" | "mpeg2video", marker: string): Promise<string> {
  const raw = path.join(dir, `plain-${name}`);
  await run("ffmpeg", [
    ...ffmpegQuiet, "-f", "lavfi", "-i", "testsrc=size=176x144:rate=25:duration=2",
    "-c:v", codec, "-g", "12", "-bf", "2", "-timecode", TIME_CODE, "-f", codec, raw,
  ]);
  const planted = path.join(dir, name);
  await fs.writeFile(planted, plantUserData(await fs.readFile(raw), marker));
  return planted;
}

/** Two seconds of video and sound, MARKER planted as above. */
export async function makeMpeg2Video(dir: string, container: Mpeg2Container, marker: string): Promise<string> {
  const mux = MUX[container];
  const planted = await makeBareMpegVideo(dir, `planted-${container}.m2v`, mux.video, marker);
  const file = path.join(dir, `mpeg2-${container}.${mux.ext}`);
  await run("ffmpeg", [
    ...ffmpegQuiet, "-fflags", "+genpts", "-r", "25", "-f", "mpegvideo", "-i", planted, "-f", "lavfi", "-i", "sine=frequency=440:duration=2:sample_rate=48000",
    "-map", "0", "-map", "1", "-c:v", "copy", ...mux.audio, "-f", mux.format, file,
  ]);
  return file;
}

/** The stream with user data units put in: see the module's comment. */
export function plantUserData(stream: Buffer, marker: string): Buffer {
  return insertBeforeStartCodes(stream, (code, previous) =>
    code === 0xb8 ? unit(`Encoder ${marker} v1.0`)
    : code === 0x00 && previous === 0xb8 ? Buffer.concat([unit(`GOP of ${marker}`), unit(captionWithText(marker)), unit(`Stray ${marker}`, 0xb0)])
    : code === 0x01 && previous !== 0x01 ? Buffer.concat([unit(CAPTION), unit(AFD), unit(pictureNote(marker))])
    : null,
  );
}

export interface StreamUnits {
  /** The payloads of the user data units, in order. */
  userData: Buffer[];
  /** The time codes of the GOP headers, as hh:mm:ss:ff. */
  timeCodes: string[];
}

/** What the video stream of `file` holds, as ffmpeg copies it out raw (its codec configuration before each key frame). */
export async function streamUnits(file: string, dir: string): Promise<StreamUnits> {
  const out = path.join(dir, `units-${path.basename(file)}.m2v`);
  await run("ffmpeg", [...ffmpegQuiet, "-i", file, "-map", "0:V", "-c", "copy", "-bsf:0", "dump_extra=freq=keyframe", "-f", "mpeg2video", "-y", out]);
  const bytes = await fs.readFile(out);
  await fs.rm(out);
  const found: StreamUnits = { userData: [], timeCodes: [] };
  const starts: number[] = [];
  for (let i = bytes.indexOf(Buffer.from([0, 0, 1])); i >= 0; i = bytes.indexOf(Buffer.from([0, 0, 1]), i + 3)) starts.push(i);
  for (const [k, at] of starts.entries()) {
    if (bytes[at + 3] === 0xb2) {
      let end = starts[k + 1] ?? bytes.length;
      while (end > at + 4 && bytes[end - 1] === 0) end--;
      found.userData.push(bytes.subarray(at + 4, end));
    }
    if (bytes[at + 3] === 0xb8) {
      const tc = bytes.readUInt32BE(at + 4) >>> 7;
      const two = (n: number): string => String(n).padStart(2, "0");
      found.timeCodes.push(`${two((tc >> 19) & 31)}:${two((tc >> 13) & 63)}:${two((tc >> 6) & 63)}:${two(tc & 63)}`);
    }
  }
  return found;
}
