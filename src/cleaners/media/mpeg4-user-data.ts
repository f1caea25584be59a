import { START_CODE_PREFIX, payloadEnd } from "./start-codes.js";

/**
 * Encoder identification inside MPEG-4 Part 2 video (what ffmpeg's `mpeg4` encoder, DivX and Xvid
 * write): `user_data` units (start code 00 00 01 B2, ISO/IEC 14496-2 6.2.2.1) in the headers of
 * the stream ("Lavc59.37.100", "DivX503b1393p", "XviD0069"), in the codec configuration (MP4's
 * DecoderSpecificInfo, Matroska's codec private data) and in the key frames. A unit runs up to
 * the next start code, so its payload can be overwritten in place with bytes of the same length
 * that hold no zero and so cannot make a start code: 0xFF, which no decoder reads as anything.
 *
 * Decoders do read some of these strings, to work around old encoders' bugs: ffmpeg's
 * (`decode_user_data`, `ff_mpeg4_workaround_bugs` in libavcodec/mpeg4videodec.c) and Xvid's pick
 * the Xvid IDCT for "XviD%d", DivX's packed B-frames and workarounds for "DivX%db%d%c", and
 * workarounds for old libavcodec builds; an MP4 of Xvid video decodes to other pixels without its
 * "XviD0069". So the part of a unit that a decoder parses is kept when it changes decoding (the
 * DivX and Xvid version, an old or affected libavcodec build, or any libavcodec build in a stream
 * whose fourcc would otherwise make ffmpeg assume Xvid or DivX) and only the rest goes; every
 * other unit is blanked whole. The pictures decode the same.
 */

export const USER_DATA_START_CODE = 0xb2;

/**
 * A payload shorter than this is left alone: it can name nothing, and the streams' patch by
 * content (`mpeg4-stream.ts`) must not hit the same few bytes elsewhere in a file.
 */
export const MIN_PAYLOAD = 4;

/** What the decoder parses of a unit: its first 255 bytes, up to a NUL (ffmpeg's buffer). */
const DECODER_BUFFER = 255;

/** One user_data unit in a buffer: where its start code is and where its payload ends (trailing zeros, which belong to the next start code, left out). */
export interface UserDataUnit {
  at: number;
  payloadStart: number;
  payloadEnd: number;
}

/** The user_data units of the bitstream bytes `buf[from, to)`. */
export function* userDataUnits(buf: Buffer, from = 0, to = buf.length): Generator<UserDataUnit> {
  // Searches stop at `to`: a sample is walked inside a window of many, and searching on to the
  // window's end for every sample made a 100 MB file's walk quadratic (~100 ms per removal).
  // The code byte is looked for alone (a one-byte search is the fastest there is), then the
  // prefix before it.
  const view = buf.subarray(0, to);
  for (let code = view.indexOf(USER_DATA_START_CODE, from + 3); code >= 0; ) {
    if (buf[code - 1] !== 1 || buf[code - 2] !== 0 || buf[code - 3] !== 0) {
      code = view.indexOf(USER_DATA_START_CODE, code + 1);
      continue;
    }
    const payloadStart = code + 1;
    const next = view.indexOf(START_CODE_PREFIX, payloadStart);
    const end = payloadEnd(buf, payloadStart, next < 0 ? to : next);
    yield { at: code - 3, payloadStart, payloadEnd: end };
    code = view.indexOf(USER_DATA_START_CODE, Math.max(payloadStart, end) + 3);
  }
}

/** Fourccs for which ffmpeg assumes Xvid or DivX 4 when no user data names the encoder. */
const ASSUMING_TAGS = new Set(["XVID", "XVIX", "RMP4", "ZMP4", "SIPP", "DIVX"]);

// sscanf's %d: optional white space, an optional sign, digits.
const INT = String.raw`[\t-\r ]*([+-]?\d+)`;
const DIVX_BUILD = new RegExp(`^DivX${INT}Build${INT}(p?)`);
const DIVX_B = new RegExp(`^DivX${INT}b${INT}(p?)`);
const OLD_FFMPEG = new RegExp(`^(FFmpe[^b]+b${INT}|FFmpeg v${INT}\\.${INT}\\.${INT} / libavcodec build: ${INT})`);
const LAVC = new RegExp(`^Lavc${INT}\\.${INT}\\.${INT}`);
const XVID = new RegExp(`^XviD${INT}`);

/** libavcodec builds (major << 16 | minor << 8 | micro) that ffmpeg's decoder works around. */
function lavcBuildMatters(major: number, minor: number, micro: number): boolean {
  const build = ((major & 0xff) << 16) + ((minor & 0xff) << 8) + (micro & 0xff);
  if (build <= 4712) return true;
  return (build & 0xff) >= 100 && build > 3621476 && build < 3752552 && (build < 3752037 || build > 3752191);
}

/**
 * How many leading bytes of a unit's payload decoders act on and must stay (0: none). `codecTag`
 * is the stream's fourcc where the container has one ("FMP4", "XVID"), else "".
 */
export function decoderPart(payload: Buffer, codecTag: string): number {
  const first = payload[0];
  // Only these letters start a string a decoder reads; the rest is not even decoded as text.
  if (first !== 0x44 && first !== 0x46 && first !== 0x66 && first !== 0x4c && first !== 0x58) return 0;
  let end = payload.indexOf(0);
  if (end < 0 || end > DECODER_BUFFER) end = Math.min(payload.length, DECODER_BUFFER);
  const text = payload.toString("latin1", 0, end);
  const divx = DIVX_BUILD.exec(text) ?? DIVX_B.exec(text);
  if (divx != null) return divx[0].length;
  const old = OLD_FFMPEG.exec(text);
  if (old != null) return old[0].length;
  if (text === "ffmpeg") return text.length;
  const lavc = LAVC.exec(text);
  if (lavc != null) {
    const [major, minor, micro] = [lavc[1], lavc[2], lavc[3]].map((n) => Number.parseInt(n!, 10)) as [number, number, number];
    return ASSUMING_TAGS.has(codecTag.toUpperCase()) || lavcBuildMatters(major, minor, micro) ? lavc[0].length : 0;
  }
  const xvid = XVID.exec(text);
  return xvid == null ? 0 : xvid[0].length;
}

/** Whether a unit still holds something beyond what decoders need (and is long enough to). */
export function holdsText(buf: Buffer, unit: UserDataUnit, codecTag: string): boolean {
  if (unit.payloadEnd - unit.payloadStart < MIN_PAYLOAD) return false;
  const payload = buf.subarray(unit.payloadStart, unit.payloadEnd);
  for (let i = decoderPart(payload, codecTag); i < payload.length; i++) if (payload[i] !== 0xff) return true;
  return false;
}

/**
 * Blanks a unit in `buf` where it is: every payload byte after the part decoders need becomes
 * 0xFF. Returns whether anything changed.
 */
export function blankUnit(buf: Buffer, unit: UserDataUnit, codecTag: string): boolean {
  if (!holdsText(buf, unit, codecTag)) return false;
  const keep = decoderPart(buf.subarray(unit.payloadStart, unit.payloadEnd), codecTag);
  buf.fill(0xff, unit.payloadStart + keep, unit.payloadEnd);
  return true;
}

/** Blanks every unit of `buf[from, to)` in place; returns how many changed. */
export function blankUserData(buf: Buffer, codecTag: string, from = 0, to = buf.length): number {
  let changed = 0;
  for (const unit of userDataUnits(buf, from, to)) if (blankUnit(buf, unit, codecTag)) changed++;
  return changed;
}

/** The units of `buf[from, to)` that still hold text. */
export function unitsWithText(buf: Buffer, codecTag: string, from = 0, to = buf.length): number {
  let n = 0;
  for (const unit of userDataUnits(buf, from, to)) if (holdsText(buf, unit, codecTag)) n++;
  return n;
}
