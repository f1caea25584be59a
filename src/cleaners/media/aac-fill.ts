/**
 * Encoder identification inside AAC frames: ffmpeg's AAC encoder writes "Lavc60.31.102" into a
 * fill element (FIL, ISO/IEC 14496-3 4.4.2.1 Table 4.11) at the start of the raw data block of
 * its first frame and of every 256th after it (libavcodec/aacenc.c `put_bitstream_info`); libfaac
 * writes "libfaac 1.28" the same way. A fill element's payload (`extension_payload`, Table 4.57)
 * of the types EXT_FIL and EXT_FILL_DATA is padding that decoders skip, so it can be overwritten
 * in place, bit for bit, without moving anything: EXT_FIL's with zero bits, EXT_FILL_DATA's with
 * the padding the standard prescribes (a zero nibble, then bytes 10100101). The element's
 * header and extension type stay, so every decoder still skips the same number of bits.
 *
 * One decoder reads the text: ffmpeg (`decode_fill` in libavcodec/aacdec_template.c) skips the
 * first 1024 samples of a stream whose fill says "libfaac %d.%d". That part is kept, as the
 * versions MPEG-4 Part 2 decoders act on are (`mpeg4-user-data.ts`); the rest goes.
 *
 * Only the elements before the first channel element are reached: what follows a channel
 * element can only be found by decoding its spectral data. Encoders put their name first.
 */

import { TooComplexError } from "../errors.js";

const ID_DSE = 4;
const ID_FIL = 6;
const EXT_FIL = 0;
const EXT_FILL_DATA = 1;
/** EXT_FILL_DATA's padding byte (Table 4.57: "must be 10100101"). */
const FILL_BYTE = 0xa5;

/** Leading elements looked at, at most (real streams have one or two); a frame with more is refused. */
const MAX_LEADING = 64;
/**
 * Bytes of a raw data block that hold its leading elements at most: MAX_LEADING of the largest
 * (a data stream element of 3 + 510 bytes; a fill element is at most 272). A frame's head this
 * long is all a walk needs to read.
 */
export const HEAD_BYTES = 36 * 1024;

/** What ffmpeg's decoder reads of an EXT_FIL payload: 13 bits on, up to 255 bytes. */
const DECODER_SKIP_BITS = 13;
const DECODER_MIN_BITS = 13 + 7 * 8;
const DECODER_BUFFER = 255;
// sscanf's "libfaac %d.%d": white space (the format's space, and %d's own), a sign, digits.
const LIBFAAC = /^libfaac[\t-\r ]*[+-]?\d+\.[\t-\r ]*[+-]?\d+/;

/** A fill element of a raw data block, in bits of the buffer it was found in. */
export interface FillElement {
  /** The element's first bit (its id). */
  start: number;
  /** The extension type's first bit; the payload proper starts 4 bits later. */
  payload: number;
  /** The bit after the element (or after the frame, for one claiming more than the frame holds). */
  end: number;
  /** The extension type. */
  type: number;
  /** The element claims more bits than the frame has: the frame is broken for every decoder. */
  overruns: boolean;
}

function readBits(buf: Buffer, pos: number, n: number): number {
  let v = 0;
  for (let i = 0; i < n; i++) v = (v << 1) | ((buf[(pos + i) >> 3]! >> (7 - ((pos + i) & 7))) & 1);
  return v >>> 0;
}

function writeBit(buf: Buffer, pos: number, bit: number): void {
  const mask = 1 << (7 - (pos & 7));
  const at = pos >> 3;
  buf[at] = bit !== 0 ? buf[at]! | mask : buf[at]! & ~mask;
}

/**
 * The fill elements among the leading elements of the raw data block `buf[from, to)` (a frame's
 * first block), in order. Data stream elements between them are stepped over; the walk stops
 * at the first channel, coupling or program config element, at END, or where an element does
 * not fit in the frame. More than MAX_LEADING fill and data elements in front are refused as
 * too complex (no encoder writes them, and text behind them would be left).
 */
export function leadingFills(buf: Buffer, from: number, to: number): FillElement[] {
  const end = to * 8;
  const fills: FillElement[] = [];
  let pos = from * 8;
  for (let n = 0; pos + 3 <= end; n++) {
    const start = pos;
    const id = readBits(buf, pos, 3);
    if (n === MAX_LEADING && (id === ID_FIL || id === ID_DSE)) throw new TooComplexError(`an AAC frame with more than ${MAX_LEADING} fill or data elements in front`);
    pos += 3;
    if (id === ID_FIL) {
      if (pos + 4 > end) break;
      let count = readBits(buf, pos, 4);
      pos += 4;
      if (count === 15) {
        if (pos + 8 > end) break;
        count += readBits(buf, pos, 8) - 1;
        pos += 8;
      }
      if (count === 0) continue;
      if (pos + 4 > end) break;
      const overruns = pos + 8 * count > end;
      fills.push({ start, payload: pos, end: overruns ? end : pos + 8 * count, type: readBits(buf, pos, 4), overruns });
      if (overruns) break;
      pos += 8 * count;
    } else if (id === ID_DSE) {
      // element_instance_tag, data_byte_align_flag, count (escaped), the bytes.
      if (pos + 13 > end) break;
      const align = readBits(buf, pos + 4, 1);
      let count = readBits(buf, pos + 5, 8);
      pos += 13;
      if (count === 255) {
        if (pos + 8 > end) break;
        count += readBits(buf, pos, 8);
        pos += 8;
      }
      if (align === 1) pos = (pos + 7) & ~7;
      pos += 8 * count;
      if (pos > end) break;
    } else break;
  }
  return fills;
}

/** How many payload bits (after the extension type) ffmpeg's decoder acts on: libfaac's version. */
function decoderBits(buf: Buffer, fill: FillElement): number {
  const from = fill.payload + 4;
  const bits = fill.end - from;
  if (fill.type !== EXT_FIL || bits < DECODER_MIN_BITS) return 0;
  const bytes: number[] = [];
  for (let p = from + DECODER_SKIP_BITS; bytes.length < DECODER_BUFFER && p + 8 <= fill.end; p += 8) {
    const b = readBits(buf, p, 8);
    if (b === 0) break;
    bytes.push(b);
  }
  const match = LIBFAAC.exec(Buffer.from(bytes).toString("latin1"));
  return match == null ? 0 : DECODER_SKIP_BITS + 8 * match[0].length;
}

/** Whether the payload bits `[from, end)` are the standard padding: a zero nibble, then 10100101 bytes. */
function isFillData(buf: Buffer, from: number, end: number): boolean {
  if (end - from < 4 || readBits(buf, from, 4) !== 0) return false;
  let p = from + 4;
  for (; p + 8 <= end; p += 8) if (readBits(buf, p, 8) !== FILL_BYTE) return false;
  return p === end;
}

function isZero(buf: Buffer, from: number, end: number): boolean {
  for (let p = from; p < end; p++) if (readBits(buf, p, 1) !== 0) return false;
  return true;
}

/**
 * Whether a fill element holds anything but padding beyond what decoders need: text, or any
 * bits of a payload of a padding type, or anything at all in an element that overruns its frame
 * (no decoder reads that frame, so the whole rest of it is fair game).
 */
export function holdsText(buf: Buffer, fill: FillElement): boolean {
  const from = fill.payload + 4;
  if (fill.overruns) return !isZero(buf, from, fill.end);
  if (fill.type === EXT_FILL_DATA) return !isFillData(buf, from, fill.end);
  if (fill.type !== EXT_FIL) return false;
  const keep = decoderBits(buf, fill);
  return !isZero(buf, from + keep, fill.end) && (keep > 0 || !isFillData(buf, from, fill.end));
}

/** Blanks a fill element in `buf` where it is; returns whether anything changed. */
export function blankFill(buf: Buffer, fill: FillElement): boolean {
  if (!holdsText(buf, fill)) return false;
  const from = fill.payload + 4;
  if (fill.type === EXT_FILL_DATA && !fill.overruns) {
    for (let p = from; p < fill.end; p++) writeBit(buf, p, p < from + 4 ? 0 : (FILL_BYTE >> (7 - ((p - from - 4) & 7))) & 1);
  } else {
    for (let p = from + (fill.overruns ? 0 : decoderBits(buf, fill)); p < fill.end; p++) writeBit(buf, p, 0);
  }
  return true;
}

/**
 * Blanks the leading fill elements of the raw data block `buf[from, to)` in place. Resolves to
 * how many changed and the byte after the last bit written (`from` when none).
 */
export function blankLeadingFills(buf: Buffer, from: number, to: number): { elements: number; through: number } {
  let elements = 0;
  let through = from;
  for (const fill of leadingFills(buf, from, to)) {
    if (!blankFill(buf, fill)) continue;
    elements++;
    through = Math.ceil(fill.end / 8);
  }
  return { elements, through };
}

/** The leading fill elements of `buf[from, to)` that still hold text. */
export function fillsWithText(buf: Buffer, from: number, to: number): number {
  return leadingFills(buf, from, to).filter((f) => holdsText(buf, f)).length;
}
