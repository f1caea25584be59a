import { BadFileError } from "../errors.js";
import { blankElement, holdsText, leadingTextElements, shifted, type TextElement } from "./aac-text.js";
import { adtsFrameAt } from "./adts.js";
import { latmTextElements, type LatmState, loasFrameAt } from "./latm.js";
import type { MediaSource } from "./ffmpeg.js";
import type { PieceSource } from "./patch-pieces.js";
import type { StreamSpec } from "./sei.js";
import { DistinctPatches, readStreamCopy } from "./stream-copy.js";
/** The longest frame: ADTS's is 8191 bytes, LOAS's 3 + 8191. */
const MAX_FRAME = 3 + 8191;
/** Different patches in one stream (ffmpeg repeats one fill every 256 frames). */
const MAX_DISTINCT = 4096;
/**
 * A patch of fill elements runs at least this far into its raw data block (when the block is that
 * long), so that what it looks for in the copy is the head of that frame and nothing else: a
 * short fill element alone could match elsewhere in the file.
 */
const MIN_PATCH = 16;

/** ffprobe's names of the AAC profiles whose frames are raw data blocks (not the ER ones: LD, ELD). */
const RAW_BLOCK_PROFILES = new Set(["Main", "LC", "SSR", "LTP", "HE-AAC", "HE-AACv2"]);

/**
 * How the frames of a stream of this codec and profile (ffprobe's names) are read for their text
 * elements: AAC as ADTS, LATM (`aac_latm`, in MPEG-TS) as the LOAS frames it came in; null for
 * the rest.
 */
export type AacFraming = "adts" | "latm";
export function aacFraming(codec: string, profile: string): AacFraming | null {
  if (!RAW_BLOCK_PROFILES.has(profile)) return null;
  return codec === "aac" ? "adts" : codec === "aac_latm" ? "latm" : null;
}

/**
 * Calls `each` with the text elements of every frame of one AAC stream as ffmpeg reads it from
 * `src` (with the frame, and the byte after it): the stream is copied out as ADTS (ffmpeg adds
 * the headers that give each frame's length), or as the LOAS frames LATM came in. Bytes that are
 * no frame are stepped over, as a decoder does.
 */
function forEachFrame(
  src: MediaSource,
  stream: StreamSpec,
  framing: AacFraming,
  workDir: string,
  each: (buf: Buffer, elements: TextElement[], end: number) => void,
): Promise<void> {
  const latm: LatmState = { configured: false };
  const copy = { format: framing, workDir, scan: "AAC text scan", damaged: "The audio stream is damaged and could not be read." };
  return readStreamCopy(src, stream, copy, (window, final) => {
    let pos = 0;
    while (pos < window.length) {
      if (framing === "adts") {
        const frame = adtsFrameAt(window, pos);
        if (frame != null) {
          each(window, leadingTextElements(window, frame.block, frame.end), frame.end);
          pos = frame.end;
          continue;
        }
      } else {
        const end = loasFrameAt(window, pos);
        if (end != null) {
          each(window, latmTextElements(window, pos, end, latm), end);
          pos = end;
          continue;
        }
      }
      // A frame cut by the chunk's end waits for the next chunk.
      if (!final && window.length - pos < MAX_FRAME) break;
      pos++;
    }
    return pos;
  });
}

/** Adds the patch that blanks `elements` (found in `buf`) in its bytes `[from, to)`. */
function addPatch(patches: DistinctPatches, buf: Buffer, from: number, to: number, elements: readonly TextElement[]): void {
  patches.add(buf.subarray(from, to), (after) => {
    for (const e of elements) blankElement(after, shifted(e, -8 * from));
  });
}

/**
 * Blanks the text elements (`aac-text.ts`) of one AAC stream of `output`, read from `source` (the
 * same stream before the remux), where `pieces` says the output's container keeps that stream:
 * - the leading fill elements of a frame, from the first one's first byte, as one patch;
 * - a program config comment, from its length byte: it is where the frame that carries it has
 *   it (LATM repeats it in its configurations), and also in the codec configuration
 *   (AudioSpecificConfig) that the containers but MPEG-TS keep in their headers (the ADTS written
 *   from it starts with it), so the whole file is searched for it as well.
 * LATM's bits fall anywhere in a byte: a patch covers the bytes its bits touch, whose other bits
 * are the same in the copy.
 * Then reads the copy's stream again: no element with text may be left. Resolves to the number
 * of elements blanked: those found in the source's frames, which the copy carries (a copy still
 * holding one is refused).
 */
export async function removeAacText(
  source: MediaSource,
  sourceStream: StreamSpec,
  output: MediaSource,
  outputStream: StreamSpec,
  pieces: () => Promise<PieceSource>,
  framing: AacFraming,
  workDir: string,
): Promise<number> {
  const patches = new DistinctPatches(MAX_DISTINCT, "different AAC frames with text in their leading elements");
  let elements = 0;
  await forEachFrame(source, sourceStream, framing, workDir, (buf, found, end) => {
    const withText = found.filter((e) => holdsText(buf, e));
    elements += withText.length;
    for (const comment of withText.filter((e) => e.kind === "comment")) addPatch(patches, buf, Math.floor(comment.payload / 8), Math.ceil(comment.end / 8), [comment]);
    const fills = withText.filter((e) => e.kind === "fill");
    if (fills.length === 0) return;
    const from = Math.floor(fills[0]!.start / 8);
    addPatch(patches, buf, from, Math.min(end, Math.max(Math.ceil(fills[fills.length - 1]!.end / 8), from + MIN_PATCH)), fills);
  });
  if (patches.size === 0) return 0;
  await patches.applyTo(output.file, await pieces());
  let left = 0;
  await forEachFrame(output, outputStream, framing, workDir, (buf, found) => {
    left += found.filter((e) => holdsText(buf, e)).length;
  });
  if (left > 0) {
    throw new BadFileError(
      "The audio stream's encoder information could not be removed.",
      new Error(`${left} AAC element(s) with text left in stream ${outputStream} of the copy`),
    );
  }
  return elements;
}
