import fsp from "node:fs/promises";
import path from "node:path";
import { BadFileError, TooComplexError } from "../errors.js";
import { blankElement, holdsText, leadingTextElements, shifted, type TextElement } from "./aac-text.js";
import { adtsFrameAt } from "./adts.js";
import { latmTextElements, type LatmState, loasFrameAt } from "./latm.js";
import { inputArgs, runFfmpeg, type MediaSource } from "./ffmpeg.js";
import { patchPieces, type Patch, type PieceSource, wholeFile } from "./patch-pieces.js";
import type { StreamSpec } from "./sei.js";

/** Bytes of the extracted stream read at a time. */
const CHUNK = 4 * 1024 * 1024;
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
 * `src` (with the frame, and the byte after it): the stream is written into the work folder as
 * ADTS (ffmpeg adds the headers that give each frame's length), or as the LOAS frames LATM came
 * in, and read back a chunk at a time. Bytes that are no frame are stepped over, as a decoder
 * does.
 */
async function forEachFrame(
  src: MediaSource,
  stream: StreamSpec,
  framing: AacFraming,
  workDir: string,
  each: (buf: Buffer, elements: TextElement[], end: number) => void,
): Promise<void> {
  const out = path.join(workDir, `aac-${stream.replace(/[^0-9A-Za-z]/g, "_")}-${Date.now()}.${framing}`);
  const r = await runFfmpeg([...inputArgs(src), "-map", `0:${stream}`, "-c", "copy", "-f", framing, "-y", `file:${path.resolve(out)}`]);
  const latm: LatmState = { configured: false };
  try {
    if (r.code !== 0) {
      throw new BadFileError("The audio stream is damaged and could not be read.", new Error(`ffmpeg (AAC text scan) exited ${r.code}: ${r.stderr.slice(0, 2000)}`));
    }
    const fh = await fsp.open(out, "r");
    try {
      let carry = Buffer.alloc(0);
      for (let at = 0; ; ) {
        const buf = Buffer.alloc(CHUNK);
        const { bytesRead } = await fh.read(buf, 0, CHUNK, at);
        at += bytesRead;
        const final = bytesRead === 0;
        const window = Buffer.concat([carry, buf.subarray(0, bytesRead)]);
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
        carry = Buffer.from(window.subarray(pos));
        if (final) break;
      }
    } finally {
      await fh.close();
    }
  } finally {
    await fsp.rm(out, { force: true });
  }
}

/** The patch that blanks `elements` (found in `buf`) in its bytes `[from, to)`. */
function patchFor(buf: Buffer, from: number, to: number, elements: readonly TextElement[]): Patch {
  const before = Buffer.from(buf.subarray(from, to));
  const after = Buffer.from(before);
  for (const e of elements) blankElement(after, shifted(e, -8 * from));
  return { from: before, to: after };
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
  const patches = new Map<string, Patch>();
  const add = (patch: Patch): void => {
    const key = patch.from.toString("latin1");
    if (patches.has(key)) return;
    if (patches.size >= MAX_DISTINCT) throw new TooComplexError(`more than ${MAX_DISTINCT} different AAC frames with text in their leading elements`);
    patches.set(key, patch);
  };
  let elements = 0;
  await forEachFrame(source, sourceStream, framing, workDir, (buf, found, end) => {
    const withText = found.filter((e) => holdsText(buf, e));
    elements += withText.length;
    for (const comment of withText.filter((e) => e.kind === "comment")) add(patchFor(buf, Math.floor(comment.payload / 8), Math.ceil(comment.end / 8), [comment]));
    const fills = withText.filter((e) => e.kind === "fill");
    if (fills.length === 0) return;
    const from = Math.floor(fills[0]!.start / 8);
    add(patchFor(buf, from, Math.min(end, Math.max(Math.ceil(fills[fills.length - 1]!.end / 8), from + MIN_PATCH)), fills));
  });
  if (patches.size === 0) return 0;
  // Longest first: a patch that starts another longer one must not be matched inside it.
  const sorted = [...patches.values()].sort((a, b) => b.from.length - a.from.length);
  const layout = await pieces();
  await patchPieces(output.file, layout, sorted);
  if (layout !== wholeFile) await patchPieces(output.file, wholeFile, sorted);
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
