import { BadFileError } from "../errors.js";
import type { FileBytes } from "../file-bytes.js";
import { RangeWriter } from "../range-writer.js";
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
    await RangeWriter.rewrite(ctx.input, ctx.output, "wx", async (src, out) => {
      if (!(await copyFrames(src, out))) throw new BadFileError("The MP3 file holds no MPEG audio frames.");
    });
  },

  isStructural: isMediaStructural,
};

/** Copies the file's audio frames in order, adjacent ones as one range; false when there is none. */
async function copyFrames(src: FileBytes, out: RangeWriter): Promise<boolean> {
  let pos = 0;
  for (let tag = await id3v2Length(src, pos); tag > 0; tag = await id3v2Length(src, pos)) pos += tag;
  const end = await endOfAudio(src, pos);
  let any = false;

  while (pos < end) {
    const len = peekFrame(src, pos) ?? (await frameLength(src, pos));
    if (len > 0 && (await isConfirmed(src, pos + len, end))) {
      const to = Math.min(pos + len, end);
      out.copy(pos, to);
      any = true;
      pos = to;
      if (out.full) await out.flush();
      continue;
    }
    const tag = await id3v2Length(src, pos);
    pos = tag > 0 ? pos + tag : await resync(src, pos + 1, end);
  }
  return any;
}

/**
 * A frame is real when the audio ends right after it, or another frame starts there. A last
 * frame cut short by the end of the file is kept as it is: a decoder still plays what it has.
 */
async function isConfirmed(src: FileBytes, next: number, end: number): Promise<boolean> {
  if (next >= end) return true;
  return (peekFrame(src, next) ?? (await frameLength(src, next))) > 0;
}

/** Room kept after a scanned candidate so that its frame and the next one's header are in the same window. */
const MAX_FRAME = 4096;

/** The next offset from `from` where a confirmed frame starts, or `end`. */
async function resync(src: FileBytes, from: number, end: number): Promise<number> {
  for (let at = from; at < end; ) {
    const chunk = await src.from(at, 4 * MAX_FRAME);
    if (chunk.length === 0) break;
    // Candidates near the window's end are scanned again from the next window.
    const limit = at + chunk.length >= src.size ? chunk.length : chunk.length - 2 * MAX_FRAME;
    for (let i = chunk.indexOf(0xff); i >= 0 && i < limit && at + i < end; i = chunk.indexOf(0xff, i + 1)) {
      const p = at + i;
      const len = peekFrame(src, p) ?? (await frameLength(src, p));
      if (len > 0 && p + len < end && (peekFrame(src, p + len) ?? (await frameLength(src, p + len))) > 0) return p;
    }
    at += limit;
  }
  return end;
}

/** The length of the frame at `at` when the current window holds its header (no read), else undefined. */
function peekFrame(src: FileBytes, at: number): number | undefined {
  const head = src.peek(at, 4);
  return head == null ? undefined : mpegFrameLength(head, 0);
}

async function frameLength(src: FileBytes, at: number): Promise<number> {
  return mpegFrameLength(await src.read(at, 4), 0);
}
