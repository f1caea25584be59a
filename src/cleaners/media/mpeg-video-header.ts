import { GROUP_OF_PICTURES, USER_DATA, blankedUserData, withoutTimeCode } from "./mpeg-video-units.js";
import { START_CODE_PREFIX } from "./start-codes.js";

/**
 * The codec configuration of MPEG-1/MPEG-2 video: the headers before its first picture (ffmpeg's
 * extract_extradata keeps everything from the sequence header up to the first GOP or picture start
 * code), which ffmpeg's MOV muxer writes as a `glbl` box. They are units after a start code
 * 00 00 01 xx (ISO/IEC 13818-2 6.2): a sequence header (B3, 6.2.2.1), its extensions (B5: sequence,
 * display and quant matrix, 6.2.2.3, 6.2.2.4, 6.2.3.2), a GOP header (B8, 6.2.2.6) and user data
 * (B2, 6.2.2.2.2), which is free text: camera makers' and encoders' names, a tool's settings.
 *
 * The cleaned copy is the same length: each user data unit's payload becomes 0xFF bytes but for
 * what players need of it (`mpeg-video-units.ts`), a GOP header's time code becomes zero, and
 * every byte between a unit's last field and the next start code becomes zero, the stuffing the
 * standard allows there (`next_start_code()`, 5.2.3), so decoders read the same numbers. Any
 * other unit makes it no such header: null.
 */

const SEQUENCE_HEADER = 0xb3;
const EXTENSION = 0xb5;

/** A quant matrix: 64 values of 8 bits. */
const MATRIX_BITS = 64 * 8;

export interface CleanedHeader {
  /** The same bytes but for the user data and the bytes past each unit's fields. */
  record: Buffer;
  /** User data units with a payload, blanked. */
  userData: number;
}

/** `record` cleaned as above, or null when it is not made of those units alone. */
export function cleanMpegVideoHeader(record: Buffer): CleanedHeader | null {
  const starts = startCodes(record);
  // Zero bytes may come before the first start code (stuffing); nothing else may.
  if (starts.length === 0 || record.subarray(0, starts[0]).some((b) => b !== 0)) return null;
  const out = Buffer.from(record);
  let userData = 0;
  for (const [i, at] of starts.entries()) {
    const payload = at + 4;
    const end = starts[i + 1] ?? record.length;
    if (payload > end) return null;
    if (record[at + 3] === USER_DATA) {
      const cleaned = blankedUserData(record.subarray(payload, end));
      if (!cleaned.equals(record.subarray(payload, end))) userData++;
      cleaned.copy(out, payload);
      continue;
    }
    const bits = fieldBits(record, record[at + 3]!, payload, end);
    if (bits == null || payload + Math.ceil(bits / 8) > end) return null;
    // The last field's byte keeps its bits; the bits after them in that byte are stuffing too.
    const last = payload + Math.ceil(bits / 8);
    if (bits % 8 !== 0) out[last - 1] = out[last - 1]! & (0xff << (8 - (bits % 8)));
    out.fill(0, last, end);
    const timeCode = record[at + 3] === GROUP_OF_PICTURES ? withoutTimeCode(out.readUInt32BE(payload)) : null;
    if (timeCode != null) out.writeUInt32BE(timeCode, payload);
  }
  return { record: out, userData };
}

/** Where the start codes (00 00 01) of `buf` are, in order. */
function startCodes(buf: Buffer): number[] {
  const at: number[] = [];
  for (let i = buf.indexOf(START_CODE_PREFIX); i >= 0 && i + 3 < buf.length; i = buf.indexOf(START_CODE_PREFIX, i + 3)) at.push(i);
  return at;
}

/** The length in bits of the fields of a unit of type `code` whose payload is `buf[from, to)`, or null for a unit not listed. */
function fieldBits(buf: Buffer, code: number, from: number, to: number): number | null {
  const bit = (n: number): number | null => (from + (n >> 3) < to ? (buf[from + (n >> 3)]! >> (7 - (n & 7))) & 1 : null);
  if (code === GROUP_OF_PICTURES) return 27; // time code (25), closed_gop, broken_link
  // Size, aspect, frame rate, bit rate, marker, VBV size, constrained flag (62 bits), then two matrices.
  if (code === SEQUENCE_HEADER) return withMatrices(bit, 62, 2);
  if (code !== EXTENSION || from >= to) return null;
  switch (buf[from]! >> 4) {
    case 1: // sequence extension: profile and level, progressive, chroma, size and bit rate extensions, marker, VBV, low delay, frame rate extension
      return 48;
    case 2: {
      // sequence display extension: video format, then (flag) primaries, transfer, matrix, then the display size
      const colour = bit(7);
      return colour == null ? null : 8 + colour * 24 + 29;
    }
    case 3: // quant matrix extension: four matrices
      return withMatrices(bit, 4, 4);
    default:
      return null;
  }
}

/** The bits up to the end of `count` optional quant matrices from bit `n` on: each a flag, then its 64 values when set. */
function withMatrices(bit: (n: number) => number | null, n: number, count: number): number | null {
  for (let matrix = 0; matrix < count; matrix++) {
    const load = bit(n);
    if (load == null) return null;
    n += 1 + load * MATRIX_BITS;
  }
  return n;
}
