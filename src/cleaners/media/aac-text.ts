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
 * A program config element (PCE, Table 4.2), which describes an unusual channel layout in the
 * AudioSpecificConfig or at the start of a frame, ends with a comment field; ffmpeg's encoder
 * writes "Lavc60.31.102" there too (`put_pce`). No decoder acts on it: its text bytes become
 * zeros, its length stays.
 *
 * Only the elements before the first channel element are reached: what follows a channel
 * element can only be found by decoding its spectral data. Encoders put their name first.
 */

import { TooComplexError } from "../errors.js";

const ID_DSE = 4;
const ID_PCE = 5;
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
export const LIBFAAC = /^libfaac[\t-\r ]*[+-]?\d+\.[\t-\r ]*[+-]?\d+/;

/** Where text can be: a fill element, or a program config element's comment; in bits of the buffer it was found in. */
export interface TextElement {
  kind: "fill" | "comment";
  /** The element's first bit (its id). */
  start: number;
  /** A fill's extension type's first bit (its payload proper starts 4 bits later); a comment's length byte. */
  payload: number;
  /** The bit after the element (or after the frame, for a fill claiming more than the frame holds). */
  end: number;
  /** A fill's extension type (-1 for a comment). */
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
 * A program config element from `pos` (after its id, if it has one) up to bit `end`: where its
 * comment is (the length byte, then the text). Null when it does not fit. Its byte alignment is
 * counted from bit `alignFrom`: the AudioSpecificConfig's start, or in a frame the buffer's start
 * (as ffmpeg's decoder counts it, from the packet's start).
 */
function programConfig(buf: Buffer, pos: number, end: number, alignFrom = 0): { comment: number; end: number } | null {
  // element_instance_tag, object_type, sampling_frequency_index, then the element counts.
  if (pos + 31 > end) return null;
  const front = readBits(buf, pos + 10, 4);
  const side = readBits(buf, pos + 14, 4);
  const back = readBits(buf, pos + 18, 4);
  const lfe = readBits(buf, pos + 22, 2);
  const assoc = readBits(buf, pos + 24, 3);
  const cc = readBits(buf, pos + 27, 4);
  pos += 31;
  // Mono and stereo mixdown (an element number each), matrix mixdown (an index and a flag).
  for (const extra of [4, 4, 3]) {
    if (pos + 1 > end) return null;
    pos += 1 + (readBits(buf, pos, 1) === 1 ? extra : 0);
  }
  pos += 5 * (front + side + back) + 4 * lfe + 4 * assoc + 5 * cc;
  pos = alignFrom + Math.ceil((pos - alignFrom) / 8) * 8;
  if (pos + 8 > end) return null;
  const stop = pos + 8 + 8 * readBits(buf, pos, 8);
  return stop <= end ? { comment: pos, end: stop } : null;
}

/**
 * The fill elements and program config comments among the leading elements of the raw data
 * block `buf[from, to)` (a frame's first block), in order. Data stream elements between them
 * are stepped over; the walk stops at the first channel or coupling element, at END, or where
 * an element does not fit in the frame. More than MAX_LEADING elements in front are refused as
 * too complex (no encoder writes them, and text behind them would be left).
 */
export function leadingTextElements(buf: Buffer, from: number, to: number): TextElement[] {
  return leadingTextElementsAt(buf, from * 8, to * 8);
}

/** `leadingTextElements` of a raw data block that starts at bit `from` and ends at bit `end` (in LATM, at any bit). */
export function leadingTextElementsAt(buf: Buffer, from: number, end: number): TextElement[] {
  const found: TextElement[] = [];
  let pos = from;
  for (let n = 0; pos + 3 <= end; n++) {
    const start = pos;
    const id = readBits(buf, pos, 3);
    if (n === MAX_LEADING && (id === ID_FIL || id === ID_DSE || id === ID_PCE)) {
      throw new TooComplexError(`an AAC frame with more than ${MAX_LEADING} fill, data or program config elements in front`);
    }
    pos += 3;
    if (id === ID_PCE) {
      const pce = programConfig(buf, pos, end);
      if (pce == null) break;
      found.push({ kind: "comment", start, payload: pce.comment, end: pce.end, type: -1, overruns: false });
      pos = pce.end;
    } else if (id === ID_FIL) {
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
      found.push({ kind: "fill", start, payload: pos, end: overruns ? end : pos + 8 * count, type: readBits(buf, pos, 4), overruns });
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
  return found;
}

/** How many payload bits (after the extension type) ffmpeg's decoder acts on: libfaac's version. */
function decoderBits(buf: Buffer, fill: TextElement): number {
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
 * Whether an element holds anything but padding beyond what decoders need: a comment any text; a
 * fill element text, or any bits of a payload of a padding type, or anything at all when it
 * overruns its frame (no decoder reads that frame, so the whole rest of it is fair game).
 */
export function holdsText(buf: Buffer, fill: TextElement): boolean {
  if (fill.kind === "comment") return !isZero(buf, fill.payload + 8, fill.end);
  const from = fill.payload + 4;
  if (fill.overruns) return !isZero(buf, from, fill.end);
  if (fill.type === EXT_FILL_DATA) return !isFillData(buf, from, fill.end);
  if (fill.type !== EXT_FIL) return false;
  const keep = decoderBits(buf, fill);
  return !isZero(buf, from + keep, fill.end) && (keep > 0 || !isFillData(buf, from, fill.end));
}

/** Blanks an element in `buf` where it is; returns whether anything changed. */
export function blankElement(buf: Buffer, fill: TextElement): boolean {
  if (!holdsText(buf, fill)) return false;
  if (fill.kind === "comment") {
    for (let p = fill.payload + 8; p < fill.end; p++) writeBit(buf, p, 0);
    return true;
  }
  const from = fill.payload + 4;
  if (fill.type === EXT_FILL_DATA && !fill.overruns) {
    for (let p = from; p < fill.end; p++) writeBit(buf, p, p < from + 4 ? 0 : (FILL_BYTE >> (7 - ((p - from - 4) & 7))) & 1);
  } else {
    for (let p = from + (fill.overruns ? 0 : decoderBits(buf, fill)); p < fill.end; p++) writeBit(buf, p, 0);
  }
  return true;
}

/**
 * Blanks the leading text elements of the raw data block `buf[from, to)` in place. Resolves to
 * how many changed and the byte after the last bit written (`from` when none).
 */
export function blankLeadingText(buf: Buffer, from: number, to: number): { elements: number; through: number } {
  let elements = 0;
  let through = from;
  for (const element of leadingTextElements(buf, from, to)) {
    if (!blankElement(buf, element)) continue;
    elements++;
    through = Math.ceil(element.end / 8);
  }
  return { elements, through };
}

/** The leading elements of `buf[from, to)` that still hold text. */
export function leadingWithText(buf: Buffer, from: number, to: number): TextElement[] {
  return leadingTextElements(buf, from, to).filter((e) => holdsText(buf, e));
}

/** The same element, `bits` further on (`bits` negative: nearer), in a buffer cut out of the one it was found in. */
export function shifted(element: TextElement, bits: number): TextElement {
  return { ...element, start: element.start + bits, payload: element.payload + bits, end: element.end + bits };
}

/** Audio object types whose frames are raw data blocks (Main, LC, SSR, LTP); SBR and PS carry one of these as their core. */
const RAW_BLOCK_TYPES = new Set([1, 2, 3, 4]);
const SBR_TYPES = new Set([5, 29]);

/** What an AudioSpecificConfig says (see `audioSpecificConfig`). */
export interface AscReading {
  /** The (core) audio object type. */
  objectType: number;
  /** The program config element's comment (channel configuration 0). */
  comment: TextElement | null;
  /** The bit after the config, when its object type is one whose config is read to its end. */
  end: number | null;
}

/**
 * An AudioSpecificConfig (ISO/IEC 14496-3 1.6.2.1) in the bits `[from, to)` of `buf`, read as far
 * as the GASpecificConfig of the object types with raw data blocks goes (its program config
 * comment included); other object types are read up to their type. Null when it is cut short.
 * Without a length of its own (LATM's version 0), a config ends there, as ffmpeg reads it.
 */
export function audioSpecificConfig(buf: Buffer, from = 0, to = buf.length * 8): AscReading | null {
  let pos = from;
  const bits = (n: number): number | null => {
    if (pos + n > to) return null;
    const v = readBits(buf, pos, n);
    pos += n;
    return v;
  };
  const objectType = (): number | null => {
    const t = bits(5);
    if (t !== 31) return t;
    const escaped = bits(6);
    return escaped == null ? null : 32 + escaped;
  };
  const frequency = (): boolean => {
    const index = bits(4);
    return index != null && (index !== 15 || bits(24) != null);
  };
  let type = objectType();
  if (type == null || !frequency()) return null;
  const channels = bits(4);
  if (channels == null) return null;
  if (SBR_TYPES.has(type)) {
    // Explicit SBR/PS signalling: the SBR sampling frequency, then the core's type.
    if (!frequency()) return null;
    type = objectType();
    if (type == null) return null;
  }
  if (!RAW_BLOCK_TYPES.has(type)) return { objectType: type, comment: null, end: null };
  // GASpecificConfig: frameLengthFlag, dependsOnCoreCoder (and its delay), extensionFlag.
  const flags = bits(2);
  if (flags == null || ((flags & 1) === 1 && bits(14) == null)) return null;
  const extension = bits(1);
  if (extension == null) return null;
  let comment: TextElement | null = null;
  if (channels === 0) {
    const pce = programConfig(buf, pos, to, from);
    if (pce == null) return null;
    comment = { kind: "comment", start: pos, payload: pce.comment, end: pce.end, type: -1, overruns: false };
    pos = pce.end;
  }
  // extensionFlag3, for these object types the only field an extension adds.
  if (extension === 1 && bits(1) == null) return null;
  return { objectType: type, comment, end: pos };
}

/** Whether an audio object type's frames are raw data blocks, where text elements are looked for. */
export function hasRawBlocks(objectType: number): boolean {
  return RAW_BLOCK_TYPES.has(objectType);
}
