import { audioSpecificConfig, leadingTextElementsAt, type TextElement } from "./aac-text.js";

/**
 * LOAS frames carrying LATM (ISO/IEC 14496-3 1.7: AudioSyncStream, AudioMuxElement), as DVB
 * broadcasts and ffmpeg's `-mpegts_flags latm` carry AAC in MPEG-TS: each frame may repeat the
 * stream's configuration (StreamMuxConfig, with the AudioSpecificConfig inline), then gives the
 * payload's length and the raw data block itself, at whatever bit it falls on. Only the form with
 * one program, one layer and one subframe (what encoders write and ffmpeg decodes) is read.
 */

const SYNC = 0x2b7;

/** The frame at `buf[at]`: where it ends, when a sync word and a length that fits are there. */
export function loasFrameAt(buf: Buffer, at: number): number | null {
  if (at + 3 > buf.length || ((buf[at]! << 3) | (buf[at + 1]! >> 5)) !== SYNC) return null;
  const end = at + 3 + (((buf[at + 1]! & 0x1f) << 8) | buf[at + 2]!);
  return end <= buf.length ? end : null;
}

/** What a frame's configuration says that frames repeating none still need. */
export interface LatmState {
  /** A configuration was seen (a frame that uses the same one before any is skipped). */
  configured: boolean;
}

/**
 * The text elements of the LOAS frame `buf[at, end)`: the program config comment of its
 * AudioSpecificConfig, when it repeats the configuration, and the leading elements of its raw
 * data block (`aac-text.ts`). Frames in another form are stepped over (an empty list).
 */
export function latmTextElements(buf: Buffer, at: number, end: number, state: LatmState): TextElement[] {
  const stop = end * 8;
  let pos = (at + 3) * 8;
  const bits = (n: number): number | null => {
    if (pos + n > stop) return null;
    let v = 0;
    for (let i = 0; i < n; i++, pos++) v = v * 2 + ((buf[pos >> 3]! >> (7 - (pos & 7))) & 1);
    return v;
  };
  const found: TextElement[] = [];
  const sameStreamMux = bits(1);
  if (sameStreamMux == null) return [];
  if (sameStreamMux === 0) {
    // audioMuxVersion 0, allStreamsSameTimeFraming, numSubFrames, numProgram, numLayer.
    const version = bits(1);
    bits(1);
    const subFrames = bits(6);
    const programs = bits(4);
    const layers = bits(3);
    if (version !== 0 || subFrames !== 0 || programs !== 0 || layers !== 0) return [];
    const asc = audioSpecificConfig(buf, pos, stop);
    if (asc?.end == null) return [];
    if (asc.comment != null) found.push(asc.comment);
    pos = asc.end;
    // frameLengthType 0 (a payload length in bytes), latmBufferFullness.
    if (bits(3) !== 0 || bits(8) == null) return [];
    const otherData = bits(1);
    if (otherData == null) return [];
    if (otherData === 1) {
      for (let more = 1; more === 1; ) {
        more = bits(1) ?? 0;
        if (bits(8) == null) return [];
      }
    }
    const crc = bits(1);
    if (crc == null || (crc === 1 && bits(8) == null)) return [];
    state.configured = true;
  } else if (!state.configured) return [];
  // PayloadLengthInfo: bytes of 255 until one is less, added up.
  let length = 0;
  for (let b = 255; b === 255; length += b) {
    const next = bits(8);
    if (next == null) return found;
    b = next;
  }
  return [...found, ...leadingTextElementsAt(buf, pos, Math.min(stop, pos + 8 * length))];
}
