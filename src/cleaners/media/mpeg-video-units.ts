/**
 * What MPEG-1 and MPEG-2 video (ISO/IEC 11172-2, 13818-2) carry besides the pictures, inside the
 * stream itself, so that a remux keeps it:
 * - user data units (start code 00 00 01 B2, 13818-2 6.2.2.2.2), free bytes after a sequence,
 *   GOP or picture header: an encoder's or a camera's name, a tool's settings, any text;
 * - the time code of every GOP header (start code 00 00 01 B8, 6.2.2.6), which a camcorder set
 *   to "free run" and a broadcaster's encoder fill with the time of day of the recording.
 *
 * Some user data is content that players show or act on, and stays whole: closed captions (ATSC
 * A/53 "GA94" with its bar data, SCTE 20, a DVD's "CC", Dish Network's), the active format
 * description ("DTG1") and the stereo 3D format ("JP3D"); these are what ffmpeg's decoder reads
 * (libavcodec/mpeg12dec.c, mpeg_decode_user_data and mpeg_decode_a53_cc). It also reads one
 * encoder's signature: TMPGEnc's "\0TMPGEXS\0" in the first bytes changes how it decodes DC
 * coefficients, so that much stays. Every other payload byte becomes 0xFF, which cannot make a
 * start code and which no decoder reads, and the unit keeps its length. A time code becomes
 * 00:00:00:00; the GOP's closed and broken-link flags, which decoding needs, stay.
 */

export const USER_DATA = 0xb2;
export const GROUP_OF_PICTURES = 0xb8;

/** A payload shorter than this can name nothing and is left alone. */
export const MIN_PAYLOAD = 4;

/** The first bytes of payloads kept whole (see above). */
const KEPT_WHOLE: ReadonlyArray<(p: Buffer) => boolean> = [
  (p) => startsWith(p, "GA94") && (p[4] === 0x03 || p[4] === 0x06),
  (p) => startsWith(p, "DTG1"),
  (p) => startsWith(p, "JP3D") && p[4] === 0x03,
  (p) => p[0] === 0x03 && p.length >= 2 && (p[1]! & 0x7f) === 0x01,
  (p) => startsWith(p, "CC\x01\xf8"),
  (p) => p[0] === 0x05 && p[1] === 0x02,
];

const TMPGEXS = Buffer.from("\0TMPGEXS\0", "latin1");
/** ffmpeg looks for TMPGEnc's signature at the first 20 offsets of a payload longer than 29 bytes. */
const TMPGEXS_OFFSETS = 20;
const TMPGEXS_MIN_PAYLOAD = 30;

function startsWith(p: Buffer, text: string): boolean {
  if (p.length < text.length) return false;
  for (let i = 0; i < text.length; i++) if (p[i] !== text.charCodeAt(i)) return false;
  return true;
}

/** How many leading bytes of a user data payload stay as they are: all of a kept kind, TMPGEnc's signature, or none. */
export function keptPart(payload: Buffer): number {
  if (KEPT_WHOLE.some((kept) => kept(payload))) return payload.length;
  if (payload.length >= TMPGEXS_MIN_PAYLOAD) {
    const at = payload.subarray(0, TMPGEXS_OFFSETS - 1 + TMPGEXS.length).indexOf(TMPGEXS);
    if (at >= 0) return at + TMPGEXS.length;
  }
  return 0;
}

/** Whether a user data payload holds anything past what stays (and is long enough to). */
export function userDataHoldsText(payload: Buffer): boolean {
  if (payload.length < MIN_PAYLOAD) return false;
  for (let i = keptPart(payload); i < payload.length; i++) if (payload[i] !== 0xff) return true;
  return false;
}

/** A copy of a user data payload with every byte past what stays made 0xFF. */
export function blankedUserData(payload: Buffer): Buffer {
  const out = Buffer.from(payload);
  out.fill(0xff, keptPart(payload));
  return out;
}

const START_CODE_PREFIX = Buffer.from([0, 0, 1]);

export type UnitKind = "userData" | "timeCode";

/**
 * Calls `each` for every user data unit of `buf` that holds text (`end`: where its payload ends,
 * without the zeros before the next start code) and every GOP header with a time code (`end`:
 * after its four bytes of fields). A unit runs to the next start code, or, when `final`, to the
 * end of `buf`; otherwise the walk stops at the first unit that may run on past it. Returns where
 * the bytes it could not judge start.
 */
export function walkUnits(buf: Buffer, final: boolean, each: (kind: UnitKind, at: number, end: number) => void): number {
  for (let at = buf.indexOf(START_CODE_PREFIX); at >= 0 && at + 3 < buf.length; at = buf.indexOf(START_CODE_PREFIX, at + 3)) {
    const code = buf[at + 3];
    const payload = at + 4;
    if (code === GROUP_OF_PICTURES) {
      if (payload + 4 <= buf.length) {
        if (withoutTimeCode(buf.readUInt32BE(payload)) != null) each("timeCode", at, payload + 4);
      } else if (!final) return at;
    } else if (code === USER_DATA) {
      const next = buf.indexOf(START_CODE_PREFIX, payload);
      if (next < 0 && !final) return at;
      const end = payloadEnd(buf, payload, next < 0 ? buf.length : next);
      if (userDataHoldsText(buf.subarray(payload, end))) each("userData", at, end);
    }
  }
  // A start code may begin in the last three bytes.
  return final ? buf.length : Math.max(0, buf.length - 3);
}

/** Where a unit's payload `buf[from, to)` ends without the zeros that belong to the next start code. */
export function payloadEnd(buf: Buffer, from: number, to: number): number {
  let end = to;
  while (end > from && buf[end - 1] === 0) end--;
  return end;
}

/** Blanks the user data and zeroes the time codes of `buf` (a codec configuration, whole) in place; returns how many of each. */
export function cleanUnitsInPlace(buf: Buffer): Record<UnitKind, number> {
  const counts = { userData: 0, timeCode: 0 };
  walkUnits(buf, true, (kind, at, end) => {
    counts[kind]++;
    if (kind === "userData") blankedUserData(buf.subarray(at + 4, end)).copy(buf, at + 4);
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
