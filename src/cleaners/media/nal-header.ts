import type { SeiCodec } from "./sei.js";

/** A NAL unit's type, from the first byte of its header (H.264: its low 5 bits; HEVC: 6 bits after the forbidden bit). */
export function nalType(first: number, codec: SeiCodec): number {
  return codec === "h264" ? first & 0x1f : (first >> 1) & 0x3f;
}

/**
 * Whether a NAL unit is SEI (H.264 type 6; HEVC prefix and suffix, 39 and 40) or a parameter set
 * (H.264 SPS and PPS; HEVC VPS, SPS and PPS), by its header's first byte.
 */
export function isSeiOrParameterSet(first: number, codec: SeiCodec): boolean {
  return (codec === "h264" ? [6, 7, 8] : [32, 33, 34, 39, 40]).includes(nalType(first, codec));
}
