import { nalType } from "./nal-header.js";
import type { SeiCodec } from "./sei.js";

/**
 * NAL units no decoder reads, whatever container carries them: filler data (H.264 12, HEVC 38,
 * whose bytes are meant to be all ones), the types the standards reserve (H.264 17, 18, 22 and 23;
 * HEVC's reserved picture types 10-15 and 22-31 and other types 41-47), which decoders must
 * ignore, and the types they leave unspecified (H.264 0 and 24-31, HEVC 48-63), which decoders
 * ignore too and which RTP gives its packet types in transit, never in a stored stream. A writer
 * can leave anything in them, and every stream copy keeps them. Of the unspecified types, those
 * Dolby Vision carries its metadata and enhancement layer in stay (H.264 28 and 30, HEVC 62 and
 * 63): its players read them.
 */
const RESERVED_TYPES: Readonly<Record<SeiCodec, readonly number[]>> = {
  h264: [17, 18, 22, 23],
  hevc: [10, 11, 12, 13, 14, 15, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 41, 42, 43, 44, 45, 46, 47],
};
const UNSPECIFIED_TYPES: Readonly<Record<SeiCodec, readonly number[]>> = {
  h264: [0, 24, 25, 26, 27, 29, 31],
  hevc: [48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61],
};
const FILLER: Readonly<Record<SeiCodec, number>> = { h264: 12, hevc: 38 };

const UNREAD: Readonly<Record<SeiCodec, ReadonlySet<number>>> = {
  h264: new Set([...RESERVED_TYPES.h264, ...UNSPECIFIED_TYPES.h264, FILLER.h264]),
  hevc: new Set([...RESERVED_TYPES.hevc, ...UNSPECIFIED_TYPES.hevc, FILLER.hevc]),
};

/**
 * Whether the NAL unit whose header starts with `header` is one no decoder reads: of those types,
 * or of any type with its forbidden_zero_bit set (decoders drop such a unit as invalid).
 */
export function isUnread(header: number, codec: SeiCodec): boolean {
  return (header & 0x80) !== 0 || UNREAD[codec].has(nalType(header, codec));
}

/** Whether the bytes of a unit past its `header` bytes are filler's: ones, then the stop bit. */
function isBlank(nal: Buffer, header: number): boolean {
  for (let i = header; i < nal.length - 1; i++) if (nal[i] !== 0xff) return false;
  return nal[nal.length - 1] === 0x80;
}

const headerBytes = (codec: SeiCodec): number => (codec === "h264" ? 1 : 2);

/**
 * A unit no decoder reads (trailing zero bytes cut) with its header kept and its bytes made
 * filler's: ones, then the stop bit. Null for any other unit, and when they are filler's already,
 * so that a walk of a cleaned copy finds nothing.
 */
export function blankedUnit(nal: Buffer, codec: SeiCodec): Buffer | null {
  const header = headerBytes(codec);
  if (nal.length <= header || !isUnread(nal[0]!, codec) || isBlank(nal, header)) return null;
  const blank = Buffer.from(nal);
  blank.fill(0xff, header, blank.length - 1);
  blank[blank.length - 1] = 0x80;
  return blank;
}

/** Whether a unit is filler data holding nothing but filler's bytes, as encoders write it. */
export function isTrueFiller(nal: Buffer, codec: SeiCodec): boolean {
  return nal.length > 0 && nalType(nal[0]!, codec) === FILLER[codec] && (nal.length <= headerBytes(codec) || isBlank(nal, headerBytes(codec)));
}
