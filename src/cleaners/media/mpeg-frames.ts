/**
 * MPEG audio frame headers (ISO 11172-3 / 13818-3): enough to know whether a frame starts at an
 * offset and how long it is. Free-format frames (bitrate index 0) state no length and are not
 * recognised.
 */

const BITRATES_KBPS: Record<string, readonly number[]> = {
  // version 1, layers I, II, III
  "1-1": [0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448],
  "1-2": [0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384],
  "1-3": [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320],
  // versions 2 and 2.5
  "2-1": [0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256],
  "2-2": [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
  "2-3": [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
};

const SAMPLE_RATES: Record<number, readonly number[]> = {
  3: [44100, 48000, 32000], // MPEG-1
  2: [22050, 24000, 16000], // MPEG-2
  0: [11025, 12000, 8000], // MPEG-2.5
};

/** Length in bytes of the frame whose header starts at `at`, or 0 when no valid header is there. */
export function mpegFrameLength(buf: Buffer, at: number): number {
  if (at + 4 > buf.length) return 0;
  const b1 = buf[at + 1]!;
  const b2 = buf[at + 2]!;
  if (buf[at] !== 0xff || (b1 & 0xe0) !== 0xe0) return 0;
  const version = (b1 >> 3) & 3;
  const layerBits = (b1 >> 1) & 3;
  const bitrateIndex = b2 >> 4;
  const rateIndex = (b2 >> 2) & 3;
  if (version === 1 || layerBits === 0 || bitrateIndex === 0 || bitrateIndex === 15 || rateIndex === 3) return 0;
  const layer = 4 - layerBits;
  const kbps = BITRATES_KBPS[`${version === 3 ? 1 : 2}-${layer}`]?.[bitrateIndex];
  const rate = SAMPLE_RATES[version]?.[rateIndex];
  if (kbps == null || rate == null) return 0;
  const padding = (b2 >> 1) & 1;
  const bps = kbps * 1000;
  if (layer === 1) return (Math.floor((12 * bps) / rate) + padding) * 4;
  const perFrame = layer === 3 && version !== 3 ? 72 : 144;
  return Math.floor((perFrame * bps) / rate) + padding;
}
