import { START_CODE_PREFIX, payloadEnd } from "./start-codes.js";

/**
 * What MPEG-1 and MPEG-2 video (ISO/IEC 11172-2, 13818-2) carry besides the pictures, inside the
 * stream itself, so that a remux keeps it:
 * - user data units (start code 00 00 01 B2, 13818-2 6.2.2.2.2), free bytes after a sequence,
 *   GOP or picture header: an encoder's or a camera's name, a tool's settings, any text;
 * - bytes after a start code that no decoder reads (a reserved code, or a system one, which has
 *   no place inside video), where a writer can put anything just as well;
 * - the time code of every GOP header (start code 00 00 01 B8, 6.2.2.6), which a camcorder set
 *   to "free run" and a broadcaster's encoder fill with the time of day of the recording.
 *
 * Some user data is content that players show or act on, and its structure stays: closed
 * captions (ATSC A/53 "GA94" with its bar data, SCTE 20, a DVD's "CC"), the active format
 * description ("DTG1") and the stereo 3D format ("JP3D"); these are what ffmpeg's decoder reads
 * (libavcodec/mpeg12dec.c, mpeg_decode_user_data and mpeg_decode_a53_cc). Bytes a writer put
 * after that structure become zeros, the stuffing allowed before a start code, which ends every
 * reader's count of caption words where it ended before. ffmpeg also reads one encoder's
 * signature: TMPGEnc's "\0TMPGEXS\0" in the first bytes changes how it decodes DC coefficients,
 * so that much stays. Every other payload byte becomes 0xFF, which cannot make a start code and
 * which no decoder reads; the unit keeps its length. A time code becomes 00:00:00:00; the GOP's
 * closed and broken-link flags, which decoding needs, stay.
 */

export const USER_DATA = 0xb2;
export const GROUP_OF_PICTURES = 0xb8;

/** A payload shorter than this can name nothing and is left alone. */
const MIN_PAYLOAD = 4;

/**
 * Start codes of units no MPEG-1/2 video decoder reads: reserved (B0, B1, B6), sequence error
 * (B4), sequence end (B7, which has no payload) and the system codes (B9-FF), which belong to
 * program streams, not inside video.
 */
export function isStrayCode(code: number): boolean {
  return code === 0xb0 || code === 0xb1 || code === 0xb4 || code === 0xb6 || code === 0xb7 || code >= 0xb9;
}

/**
 * The length of the structure a player reads at the start of a user data payload (see above),
 * null when it starts with none. Each is cut to the payload's length.
 */
function playerStructure(p: Buffer): number | null {
  if (startsWith(p, "GA94") && p[4] === 0x03 && p.length >= 6) return 8 + (p[5]! & 0x1f) * 3; // cc_data: flags, em_data, the words, marker bits
  if (startsWith(p, "GA94") && p[4] === 0x06 && p.length >= 6) return 6 + 2 * bitCount(p[5]! >> 4); // bar_data: flags, then a bar per flag
  if (startsWith(p, "DTG1") && p.length >= 5) return 5 + (p[4]! & 0x80 ? 2 : 0) + (p[4]! & 0x40 ? 1 : 0); // flags, event id, AFD
  if (startsWith(p, "JP3D") && p[4] === 0x03) return 5 + 3;
  // SCTE 20: type and flags, then 5 bits of count and 26 bits a caption word.
  if (p[0] === 0x03 && p.length >= 3 && (p[1]! & 0x7f) === 0x01) return 2 + Math.ceil((5 + 26 * (p[2]! >> 3)) / 8);
  if (startsWith(p, "CC\x01\xf8") && p.length >= 5) {
    // A DVD's caption blocks, counted as ffmpeg counts them, and the extra word the flags announce.
    let end = 5;
    while (end + 6 <= p.length && (p[end]! & 0xfe) === 0xfe) end += 6;
    return end + (p[4]! & 1 ? 3 : 0);
  }
  return null;
}

function bitCount(n: number): number {
  let count = 0;
  for (let v = n; v > 0; v >>= 1) count += v & 1;
  return count;
}

const TMPGEXS = Buffer.from("\0TMPGEXS\0", "latin1");
/** ffmpeg looks for TMPGEnc's signature at the first 20 offsets of a payload. */
const TMPGEXS_OFFSETS = 20;

function startsWith(p: Buffer, text: string): boolean {
  if (p.length < text.length) return false;
  for (let i = 0; i < text.length; i++) if (p[i] !== text.charCodeAt(i)) return false;
  return true;
}

/** What stays of a user data payload: its first `kept` bytes; the rest becomes `fill`. */
interface Keep {
  kept: number;
  fill: number;
}

function keepOf(payload: Buffer): Keep {
  const structure = playerStructure(payload);
  if (structure != null) return { kept: Math.min(structure, payload.length), fill: 0 };
  const at = payload.subarray(0, TMPGEXS_OFFSETS - 1 + TMPGEXS.length).indexOf(TMPGEXS);
  return { kept: at < 0 ? 0 : at + TMPGEXS.length, fill: 0xff };
}

/** Whether a user data payload holds anything past what stays (and is long enough to). */
function userDataHoldsText(payload: Buffer): boolean {
  if (payload.length < MIN_PAYLOAD) return false;
  const { kept, fill } = keepOf(payload);
  for (let i = kept; i < payload.length; i++) if (payload[i] !== fill) return true;
  return false;
}

/** A copy of a user data payload with what stays kept and the rest filled. */
export function blankedUserData(payload: Buffer): Buffer {
  const out = Buffer.from(payload);
  const { kept, fill } = keepOf(payload);
  out.fill(fill, kept);
  return out;
}

/** Whether a stray unit's payload holds anything but 0xFF (and is long enough to). */
function strayHoldsText(payload: Buffer): boolean {
  return payload.length >= MIN_PAYLOAD && payload.some((b) => b !== 0xff);
}

/** A unit's payload cleaned: a user data unit's as above, a stray unit's all 0xFF. */
export function blankedPayload(code: number, payload: Buffer): Buffer {
  return code === USER_DATA ? blankedUserData(payload) : Buffer.alloc(payload.length, 0xff);
}

export type UnitKind = "userData" | "timeCode";

/**
 * Calls `each` for every user data or stray unit of `buf` that holds text (kind "userData", `end`:
 * where its payload ends, without the zeros before the next start code) and every GOP header with
 * a time code (`end`: after its four bytes of fields). A unit runs to the next start code, or,
 * when `final`, to the end of `buf`; otherwise the walk stops at the first unit that may run on
 * past it. Returns where the bytes it could not judge start.
 */
export function walkUnits(buf: Buffer, final: boolean, each: (kind: UnitKind, at: number, end: number) => void): number {
  for (let at = buf.indexOf(START_CODE_PREFIX); at >= 0 && at + 3 < buf.length; at = buf.indexOf(START_CODE_PREFIX, at + 3)) {
    const code = buf[at + 3];
    const payload = at + 4;
    if (code === GROUP_OF_PICTURES) {
      if (payload + 4 <= buf.length) {
        if (withoutTimeCode(buf.readUInt32BE(payload)) != null) each("timeCode", at, payload + 4);
      } else if (!final) return at;
    } else if (code === USER_DATA || isStrayCode(code!)) {
      const next = buf.indexOf(START_CODE_PREFIX, payload);
      if (next < 0 && !final) return at;
      const end = payloadEnd(buf, payload, next < 0 ? buf.length : next);
      const bytes = buf.subarray(payload, end);
      if (code === USER_DATA ? userDataHoldsText(bytes) : strayHoldsText(bytes)) each("userData", at, end);
    }
  }
  // A start code may begin in the last three bytes.
  return final ? buf.length : Math.max(0, buf.length - 3);
}

/** Blanks the user data and stray units and zeroes the time codes of `buf` (a codec configuration, whole) in place; returns how many of each. */
export function cleanUnitsInPlace(buf: Buffer): Record<UnitKind, number> {
  const counts = { userData: 0, timeCode: 0 };
  walkUnits(buf, true, (kind, at, end) => {
    counts[kind]++;
    if (kind === "userData") blankedPayload(buf[at + 3]!, buf.subarray(at + 4, end)).copy(buf, at + 4);
    else buf.writeUInt32BE(withoutTimeCode(buf.readUInt32BE(at + 4))!, at + 4);
  });
  return counts;
}

/** The time code's marker bit, which must be 1, among the 25 bits of a GOP header's time code. */
const MARKER = 1 << 12;

/**
 * The first four bytes of a GOP header's payload with its time code zeroed (the marker bit set),
 * the closed-GOP and broken-link flags and the stuffing bits after them as they were; null when
 * the time code is already zero.
 */
export function withoutTimeCode(header: number): number | null {
  const timeCode = header >>> 7;
  if ((timeCode & ~MARKER) === 0) return null;
  return ((MARKER << 7) | (header & 0x7f)) >>> 0;
}
