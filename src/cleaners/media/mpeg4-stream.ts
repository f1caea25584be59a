import fsp from "node:fs/promises";
import path from "node:path";
import { BadFileError, TooComplexError } from "../errors.js";
import { inputArgs, runFfmpeg, type MediaSource } from "./ffmpeg.js";
import { blankUnit, holdsText, userDataUnits } from "./mpeg4-user-data.js";
import { patchPieces, type Patch, type PieceSource, wholeFile } from "./patch-pieces.js";
import type { StreamSpec } from "./sei.js";

const START_CODE_PREFIX = Buffer.from([0, 0, 1]);
/** Bytes of the extracted stream scanned at a time. */
const CHUNK = 4 * 1024 * 1024;
/** A unit longer than this is not user data an encoder writes: refused as too complex. */
const MAX_UNIT = 64 * 1024;
/** Different units in one stream (real encoders repeat one or two on every key frame). */
const MAX_DISTINCT = 4096;

/**
 * The user_data units of one MPEG-4 Part 2 stream as ffmpeg reads it from `src`: the codec
 * configuration (extradata, put before every key frame by `dump_extra`) and the packets, as a raw
 * elementary stream in the work folder, read a chunk at a time. Calls `each` with every unit
 * (start code included, trailing zeros left out) that holds text.
 */
async function forEachUnit(src: MediaSource, stream: StreamSpec, codecTag: string, workDir: string, each: (unit: Buffer) => void): Promise<void> {
  const out = path.join(workDir, `mpeg4-${stream.replace(/[^0-9A-Za-z]/g, "_")}-${Date.now()}.m4v`);
  const r = await runFfmpeg([
    ...inputArgs(src), "-map", `0:${stream}`, "-c", "copy", "-bsf:0", "dump_extra=freq=keyframe", "-f", "m4v", "-y", `file:${path.resolve(out)}`,
  ]);
  try {
    if (r.code !== 0) {
      throw new BadFileError("The video stream is damaged and could not be read.", new Error(`ffmpeg (MPEG-4 user data scan) exited ${r.code}: ${r.stderr.slice(0, 2000)}`));
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
        // A unit may run on into the next chunk: from its start code, the rest waits for more bytes.
        let keepFrom = final ? window.length : Math.max(0, window.length - 3);
        for (const unit of userDataUnits(window)) {
          if (!final && window.indexOf(START_CODE_PREFIX, unit.payloadStart) < 0) {
            keepFrom = unit.at;
            break;
          }
          if (unit.payloadEnd - unit.at > MAX_UNIT) throw new TooComplexError(`an MPEG-4 user-data unit of more than ${MAX_UNIT} bytes`);
          if (holdsText(window, unit, codecTag)) each(window.subarray(unit.at, unit.payloadEnd));
        }
        if (window.length - keepFrom > MAX_UNIT + 4) throw new TooComplexError(`an MPEG-4 user-data unit of more than ${MAX_UNIT} bytes`);
        carry = Buffer.from(window.subarray(keepFrom));
        if (final) break;
      }
    } finally {
      await fh.close();
    }
  } finally {
    await fsp.rm(out, { force: true });
  }
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
  const patches = new Map<string, Patch>();
  await forEachUnit(source, sourceStream, codecTag, workDir, (unit) => {
    const key = unit.toString("latin1");
    if (patches.has(key)) return;
    if (patches.size >= MAX_DISTINCT) throw new TooComplexError(`more than ${MAX_DISTINCT} different MPEG-4 user-data units in one stream`);
    const to = Buffer.from(unit);
    blankUnit(to, { at: 0, payloadStart: 4, payloadEnd: to.length }, codecTag);
    patches.set(key, { from: Buffer.from(unit), to });
  });
  if (patches.size === 0) return 0;
  // Longest first: a unit that starts another longer one must not be matched inside it.
  const sorted = [...patches.values()].sort((a, b) => b.from.length - a.from.length);
  const layout = await pieces();
  let units = await patchPieces(output.file, layout, sorted);
  // Where the packets are cut (ASF, MPEG-TS), the codec configuration lies outside them, in the
  // header (ASF's stream properties): the whole file is searched for what is left whole.
  if (layout !== wholeFile) units += await patchPieces(output.file, wholeFile, sorted);
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
