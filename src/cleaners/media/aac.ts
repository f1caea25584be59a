import { BadFileError } from "../errors.js";
import type { FileBytes } from "../file-bytes.js";
import { RangeWriter } from "../range-writer.js";
import type { CleanContext, Cleaner, FoundTag } from "../types.js";
import { blankLeadingText, leadingWithText, LIBFAAC } from "./aac-text.js";
import { adtsFrameAt, type AdtsFrame, startsHeader } from "./adts.js";
import { endOfAudio, id3v2Length } from "./audio-tags.js";
import { isMediaStructural } from "./structural.js";
import { anyOf, structuralTags } from "./structural-lists.js";

/** The longest ADTS frame (its 13-bit length). */
const MAX_FRAME = 8191;

/**
 * What ExifTool reads from the first frame's header: how to decode, not who made it. Of the
 * encoder's text in the first frame's fill element (its `Encoder` tag), only libfaac's version
 * stays, which ffmpeg's decoder acts on (aac-text.ts).
 */
const isAdtsHeader = structuralTags({ AAC: ["ProfileType", "SampleRate", "Channels"] });
const isDecoderHint = (tag: FoundTag): boolean => tag.group === "AAC" && tag.tag === "Encoder" && LIBFAAC.test(String(tag.value));

/**
 * Raw AAC in ADTS frames (`.aac`), written by hand like MP3 (mp3.ts): the file is a run of
 * self-delimiting frames, with ID3v2 tags some recorders put before them and ID3v1/APE tags after.
 *
 * Kept: every frame, in order, byte for byte, except that the text an encoder writes into the
 * fill elements at the start of a frame ("Lavc60.31.102") is blanked in place (aac-text.ts), so
 * the decoded sound is the same. Dropped: the tags, and any bytes between frames.
 */
export const aacCleaner: Cleaner = {
  name: "aac",
  fileTypes: ["AAC"],

  async clean(ctx: CleanContext) {
    const aacText = await RangeWriter.rewrite(ctx.input, ctx.output, "wx", copyFrames);
    return { hidden: { aacText } };
  },

  isStructural: anyOf(isMediaStructural, isAdtsHeader, isDecoderHint),
};

/** Copies the file's frames in order, their text blanked; resolves to how many text elements were blanked. */
async function copyFrames(src: FileBytes, out: RangeWriter): Promise<number> {
  let pos = 0;
  for (let tag = await id3v2Length(src, pos); tag > 0; tag = await id3v2Length(src, pos)) pos += tag;
  const end = await endOfAudio(src, pos);
  let frames = 0;
  let blanked = 0;
  // Where a frame is due: at the audio's start, and where the last kept frame ends.
  let inStep = true;

  while (pos < end) {
    const frame = await keptFrame(src, pos, end, inStep);
    inStep = frame != null;
    if (frame == null) {
      const tag = await id3v2Length(src, pos);
      pos = tag > 0 ? pos + tag : await nextSync(src, pos + 1, end);
      continue;
    }
    const bytes = frame.bytes.subarray(0, frame.end - frame.at);
    if (leadingWithText(bytes, frame.block - frame.at, bytes.length).length > 0) {
      const copy = Buffer.from(bytes);
      blanked += blankLeadingText(copy, frame.block - frame.at, copy.length).elements;
      out.bytes(copy);
    } else {
      out.copy(frame.at, frame.end);
    }
    frames++;
    pos = frame.end;
    if (out.full) await out.flush();
  }
  if (frames === 0) throw new BadFileError("The AAC file holds no ADTS audio frames.");
  return blanked;
}

/**
 * The frame at `at`, with its bytes (read from `at`), when one is there and either it is where a
 * frame is due (`inStep`) or another frame follows it (a header found while searching is only
 * believed then, as a decoder regains sync); null otherwise. A frame cut short by the end of the
 * file is not one: its last bytes are missing.
 */
async function keptFrame(src: FileBytes, at: number, end: number, inStep: boolean): Promise<(AdtsFrame & { bytes: Buffer }) | null> {
  const bytes = await src.read(at, Math.min(2 * MAX_FRAME, end - at));
  const frame = adtsFrameAt(bytes, 0);
  if (frame == null) return null;
  if (!inStep && at + frame.end < end && !startsHeader(bytes, frame.end)) return null;
  return { at, block: at + frame.block, end: at + frame.end, bytes };
}

/** The next offset from `from` where a sync byte is, or `end`. */
async function nextSync(src: FileBytes, from: number, end: number): Promise<number> {
  const at = await src.indexOf(0xff, from);
  return at < 0 || at > end ? end : at;
}
