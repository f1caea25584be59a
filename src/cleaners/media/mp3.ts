import fsp from "node:fs/promises";
import { BadFileError } from "../errors.js";
import type { CleanContext, Cleaner } from "../types.js";
import { endOfAudio, id3v2Length } from "./audio-tags.js";
import { mpegFrameLength } from "./mpeg-frames.js";
import { isMediaStructural } from "./structural.js";

/**
 * MP3, written by hand rather than with ffmpeg: an MP3 is a run of self-delimiting frames with
 * tags before and after, so keeping exactly the frames is simple and exact, whereas ffmpeg's MP3
 * muxer rewrites the Xing/LAME header frame (and with it the encoder delay that decoders trim).
 *
 * Kept: every MPEG audio frame, in order, byte for byte. Dropped: ID3v2 tags (wherever they
 * are, cover art included), ID3v1, APE and Lyrics3 tags at the end, and any other bytes between
 * frames. A frame counts only when the next one follows where its length says (or the audio
 * ends there), so bytes inside a tag that happen to look like a frame header are not kept.
 */
export const mp3Cleaner: Cleaner = {
  name: "mp3",
  fileTypes: ["MP3"],

  async clean(ctx: CleanContext): Promise<void> {
    const buf = await fsp.readFile(ctx.input);
    const frames = audioFrames(buf);
    if (frames.length === 0) throw new BadFileError("The MP3 file holds no MPEG audio frames.");
    const fh = await fsp.open(ctx.output, "wx");
    try {
      await fh.writev(frames.map(([from, to]) => buf.subarray(from, to)));
    } finally {
      await fh.close();
    }
  },

  isStructural: isMediaStructural,
};

/** Byte ranges [from, to) of the file's audio frames; adjacent frames are merged into one range. */
function audioFrames(buf: Buffer): Array<[number, number]> {
  let pos = 0;
  for (let tag = id3v2Length(buf, pos); tag > 0; tag = id3v2Length(buf, pos)) pos += tag;
  const end = endOfAudio(buf, pos);
  const ranges: Array<[number, number]> = [];

  while (pos < end) {
    const len = mpegFrameLength(buf, pos);
    if (len > 0 && isConfirmed(buf, pos + len, end)) {
      const to = Math.min(pos + len, end);
      const last = ranges[ranges.length - 1];
      if (last != null && last[1] === pos) last[1] = to;
      else ranges.push([pos, to]);
      pos = to;
      continue;
    }
    const tag = id3v2Length(buf, pos);
    pos = tag > 0 ? pos + tag : resync(buf, pos + 1, end);
  }
  return ranges;
}

/**
 * A frame is real when the audio ends right after it, or another frame starts there. A last
 * frame cut short by the end of the file is kept as it is: a decoder still plays what it has.
 */
function isConfirmed(buf: Buffer, next: number, end: number): boolean {
  if (next >= end) return true;
  return mpegFrameLength(buf, next) > 0;
}

/** The next offset from `from` where a confirmed frame starts, or `end`. */
function resync(buf: Buffer, from: number, end: number): number {
  for (let i = buf.indexOf(0xff, from); i >= 0 && i < end; i = buf.indexOf(0xff, i + 1)) {
    const len = mpegFrameLength(buf, i);
    if (len > 0 && i + len < end && mpegFrameLength(buf, i + len) > 0) return i;
  }
  return end;
}
