import crypto from "node:crypto";
import { BadFileError, TooComplexError } from "../errors.js";
import { extradata } from "./extradata.js";
import type { MediaSource } from "./ffmpeg.js";
import { GROUP_OF_PICTURES, USER_DATA, type UnitKind, blankedPayload, cleanUnitsInPlace, isStrayCode, walkUnits, withoutTimeCode } from "./mpeg-video-units.js";
import { type Patch, type PieceSource, type Rule, patchInPlace, patchPieces } from "./patch-pieces.js";
import { START_CODE_PREFIX, payloadEnd } from "./start-codes.js";
import { readStreamCopy } from "./stream-copy.js";

/** A unit longer than this is not user data an encoder writes: refused as too complex. */
const MAX_UNIT = 64 * 1024;
/** Different user data units to blank in one stream (encoders repeat one or two). */
const MAX_UNITS = 100_000;
/** Different GOP headers in one stream: one a picture for 11 hours of intra-only video at 25 frames a second. */
const MAX_TIME_CODES = 1_000_000;
const DAMAGED = "The video stream is damaged and could not be read.";
const LEFT = "The video stream's encoder information could not be removed.";

export type MpegVideoCodec = "mpeg1video" | "mpeg2video";

export function isMpegVideoCodec(codec: string): codec is MpegVideoCodec {
  return codec === "mpeg1video" || codec === "mpeg2video";
}

export interface MpegVideoRemoval {
  /** User data units blanked. */
  userData: number;
  /** GOP headers whose time code was zeroed. */
  timeCodes: number;
}

interface Visitor {
  /** A user data or stray unit holding text, from its start code to the end of its payload. */
  unit(bytes: Buffer): void;
  /** The first four bytes of a GOP header's payload, whose time code is not zero. */
  timeCode(header: number): void;
}

/**
 * `walkUnits` over one window of a stream read a window at a time, a unit longer than MAX_UNIT
 * refused as too complex (one still open at the window's end too, so that a window never grows
 * past it). Returns where the bytes it could not judge start.
 */
export function walkStreamWindow(window: Buffer, final: boolean, each: (kind: UnitKind, at: number, end: number) => void): number {
  const keepFrom = walkUnits(window, final, (kind, at, end) => {
    if (kind === "userData" && end - at > MAX_UNIT) throw unitTooLong();
    each(kind, at, end);
  });
  if (window.length - keepFrom > MAX_UNIT + 4) throw unitTooLong();
  return keepFrom;
}

function unitTooLong(): TooComplexError {
  return new TooComplexError(`an MPEG video user data unit of more than ${MAX_UNIT} bytes`);
}

/** Walks stream `index` of `src` as ffmpeg copies it out as raw MPEG-1/2 video (its pictures). */
function visit(src: MediaSource, index: number, codec: MpegVideoCodec, workDir: string, visitor: Visitor): Promise<void> {
  const copy = { format: codec, workDir, scan: "MPEG video user data scan", damaged: DAMAGED };
  return readStreamCopy(src, String(index), copy, (window, final) =>
    walkStreamWindow(window, final, (kind, at, end) => {
      if (kind === "timeCode") visitor.timeCode(window.readUInt32BE(at + 4));
      else visitor.unit(window.subarray(at, end));
    }),
  );
}

/**
 * Cleans the codec configuration of stream `index` (a Matroska track's private data, an MP4's
 * decoder information, an AVI's stream format) where the copy keeps it, as a whole: its last unit
 * ends where the configuration does, not at the next start code found in the file.
 */
async function cleanConfiguration(copy: MediaSource, index: number): Promise<MpegVideoRemoval> {
  const config = await extradata(copy, index, DAMAGED);
  const cleaned = Buffer.from(config);
  const counts = cleanUnitsInPlace(cleaned);
  if (!cleaned.equals(config) && (await patchInPlace(copy.file, [{ from: config, to: cleaned }])) === 0) {
    throw new BadFileError(LEFT, new Error(`the codec configuration of output stream ${index} was not found in the copy`));
  }
  return { userData: counts.userData, timeCodes: counts.timeCode };
}

/** Units up to this long are their own key; longer ones are keyed by a digest. */
const SHORT_UNIT = 64;

/** A key for a unit's bytes that stays small however long the unit is. */
function digest(unit: Buffer): string {
  return unit.length <= SHORT_UNIT ? `=${unit.toString("latin1")}` : `#${crypto.createHash("sha256").update(unit).digest("base64")}`;
}

/**
 * Blanks the user data and zeroes the GOP time codes (`mpeg-video-units.ts`) of MPEG-1/2 video
 * stream `index` of `copy`, in place: in its codec configuration, and in its pictures where
 * `pieces` says the container keeps them; then reads both again: nothing of either may be left.
 */
export async function removeMpegVideoData(
  copy: MediaSource,
  index: number,
  pieces: () => Promise<PieceSource>,
  codec: MpegVideoCodec,
  workDir: string,
): Promise<MpegVideoRemoval> {
  const removed = await cleanConfiguration(copy, index);
  const units = new Set<string>();
  const timeCodes = new Set<number>();
  await visit(copy, index, codec, workDir, {
    unit(bytes) {
      units.add(digest(bytes));
      if (units.size > MAX_UNITS) throw new TooComplexError(`more than ${MAX_UNITS} different MPEG video user data units in one stream`);
    },
    timeCode(header) {
      timeCodes.add(header);
      if (timeCodes.size > MAX_TIME_CODES) throw new TooComplexError(`more than ${MAX_TIME_CODES} different GOP headers in one stream`);
    },
  });
  if (units.size > 0 || timeCodes.size > 0) await patchPictures(copy.file, await pieces(), units, timeCodes, removed);

  const left = cleanUnitsInPlace(await extradata(copy, index, DAMAGED));
  let inPictures = 0;
  await visit(copy, index, codec, workDir, { unit: () => inPictures++, timeCode: () => inPictures++ });
  if (inPictures + left.userData + left.timeCode > 0) {
    throw new BadFileError(
      LEFT,
      new Error(`${inPictures} MPEG video user data unit(s) or time code(s) left in stream ${index} of the copy, ${left.userData + left.timeCode} in its configuration`),
    );
  }
  return removed;
}

/**
 * Patches the units and GOP headers a first read of the stream found, where `layout` says it
 * lies, and adds what it changed to `removed`. They are found by what that read found, not by
 * start codes alone: a search of a whole Matroska or AVI file also meets the other streams'
 * bytes, where 00 00 01 B8 can occur by chance; only a unit or GOP header that the stream holds
 * byte for byte is changed.
 */
async function patchPictures(file: string, layout: PieceSource, units: ReadonlySet<string>, timeCodes: ReadonlySet<number>, removed: MpegVideoRemoval): Promise<void> {
  // One rule for every start code: a search for each kind of unit would be a pass per code.
  const rule: Rule = {
    prefix: START_CODE_PREFIX,
    maxLength: MAX_UNIT,
    patchAt(bytes): Patch | null {
      const code = bytes[3];
      if (code === GROUP_OF_PICTURES) {
        const header = bytes.length >= 8 ? bytes.readUInt32BE(4) : null;
        if (header == null || !timeCodes.has(header)) return null;
        removed.timeCodes++;
        const to = Buffer.from(bytes.subarray(0, 8));
        to.writeUInt32BE(withoutTimeCode(header)!, 4);
        return { from: Buffer.from(bytes.subarray(0, 8)), to };
      }
      if (code !== USER_DATA && (code == null || !isStrayCode(code))) return null;
      const next = bytes.indexOf(START_CODE_PREFIX, 4);
      const unit = bytes.subarray(0, payloadEnd(bytes, 4, next < 0 ? bytes.length : next));
      if (!units.has(digest(unit))) return null;
      removed.userData++;
      return { from: Buffer.from(unit), to: Buffer.concat([unit.subarray(0, 4), blankedPayload(code, unit.subarray(4))]) };
    },
  };
  await patchPieces(file, layout, [], [rule]);
}
