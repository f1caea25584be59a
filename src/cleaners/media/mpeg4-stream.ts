import { BadFileError, TooComplexError } from "../errors.js";
import type { MediaSource } from "./ffmpeg.js";
import { blankUnit, holdsText, type UserDataUnit, userDataUnits } from "./mpeg4-user-data.js";
import type { PieceSource } from "./patch-pieces.js";
import type { StreamSpec } from "./sei.js";
import { START_CODE_PREFIX } from "./start-codes.js";
import { DistinctPatches, readStreamCopy } from "./stream-copy.js";

/** A unit longer than this is not user data an encoder writes: refused as too complex. */
const MAX_UNIT = 64 * 1024;
/** Different units in one stream (real encoders repeat one or two on every key frame). */
const MAX_DISTINCT = 4096;

/**
 * The user_data units of one MPEG-4 Part 2 stream as ffmpeg reads it from `src`: the codec
 * configuration (extradata, put before every key frame by `dump_extra`) and the packets. Calls
 * `each` with every unit (start code included, trailing zeros left out) that holds text.
 */
function forEachUnit(src: MediaSource, stream: StreamSpec, codecTag: string, workDir: string, each: (unit: Buffer) => void): Promise<void> {
  const copy = {
    format: "m4v",
    extraArgs: ["-bsf:0", "dump_extra=freq=keyframe"],
    workDir,
    scan: "MPEG-4 user data scan",
    damaged: "The video stream is damaged and could not be read.",
  };
  return readStreamCopy(src, stream, copy, (window, final) =>
    walkUserDataWindow(window, final, codecTag, (unit) => each(window.subarray(unit.at, unit.payloadEnd))),
  );
}

/**
 * Calls `each` with every user_data unit of one window of a stream that holds text, a unit longer
 * than MAX_UNIT refused as too complex. A unit may run on into the next window: from its start
 * code, the rest waits for more bytes. Returns where the bytes it could not judge start.
 */
export function walkUserDataWindow(window: Buffer, final: boolean, codecTag: string, each: (unit: UserDataUnit) => void): number {
  let keepFrom = final ? window.length : Math.max(0, window.length - 3);
  for (const unit of userDataUnits(window)) {
    if (!final && window.indexOf(START_CODE_PREFIX, unit.payloadStart) < 0) {
      keepFrom = unit.at;
      break;
    }
    if (unit.payloadEnd - unit.at > MAX_UNIT) throw unitTooLong();
    if (holdsText(window, unit, codecTag)) each(unit);
  }
  if (window.length - keepFrom > MAX_UNIT + 4) throw unitTooLong();
  return keepFrom;
}

function unitTooLong(): TooComplexError {
  return new TooComplexError(`an MPEG-4 user-data unit of more than ${MAX_UNIT} bytes`);
}

/**
 * Blanks the user data of one MPEG-4 Part 2 stream of `output`, read from `source` (the same
 * stream before the remux), where `pieces` says the output's container keeps that stream; then
 * reads the copy's stream again: no unit with text may be left. Resolves to the number of units
 * blanked in the copy (a configuration's unit once, where the container keeps it).
 */
export async function removeMpeg4UserData(
  source: MediaSource,
  sourceStream: StreamSpec,
  output: MediaSource,
  outputStream: StreamSpec,
  pieces: () => Promise<PieceSource>,
  codecTag: string,
  workDir: string,
): Promise<number> {
  const patches = new DistinctPatches(MAX_DISTINCT, "different MPEG-4 user-data units in one stream");
  await forEachUnit(source, sourceStream, codecTag, workDir, (unit) =>
    patches.add(unit, (to) => blankUnit(to, { at: 0, payloadStart: 4, payloadEnd: to.length }, codecTag)),
  );
  if (patches.size === 0) return 0;
  const units = await patches.applyTo(output.file, await pieces());
  let left = 0;
  await forEachUnit(output, outputStream, codecTag, workDir, () => left++);
  if (left > 0) {
    throw new BadFileError(
      "The video stream's encoder information could not be removed.",
      new Error(`${left} MPEG-4 user-data unit(s) left in stream ${outputStream} of the copy`),
    );
  }
  return units;
}
