import type { Box } from "./iso-boxes.js";

/**
 * Apple Lossless's codec configuration (its "magic cookie", the `alac` box of a sample entry):
 * version and flags, then the 24-byte ALACSpecificConfig. Apple's encoder (iTunes, afconvert,
 * qaac) follows it, for three channels or more, with a 24-byte `chan` atom naming the channel
 * layout; ffmpeg writes the config alone. ALAC knows one layout per channel count (Apple's ALAC
 * ReadMe), and decoders take that one from the count, so the atom tells them nothing the config
 * does not: it goes, which leaves only numbers ExifTool shows as one 28-byte blob.
 */
const CONFIG_END = 8 + 4 + 24;
const CHAN_SIZE = 24;
/** The channel count's byte in ALACSpecificConfig (frame length 4, version, bit depth, pb, mb, kb). */
const CHANNELS = 8 + 4 + 9;
/** Core Audio's layout tag (tag << 16 | channels) of ALAC's layout for each channel count. */
const LAYOUTS: Readonly<Record<number, number>> = {
  1: (100 << 16) | 1, // Mono
  2: (101 << 16) | 2, // Stereo
  3: (113 << 16) | 3, // MPEG 3.0 B
  4: (116 << 16) | 4, // MPEG 4.0 B
  5: (120 << 16) | 5, // MPEG 5.0 D
  6: (124 << 16) | 6, // MPEG 5.1 D
  7: (142 << 16) | 7, // AAC 6.1
  8: (137 << 16) | 8, // MPEG 7.1 B
};

/**
 * How many bytes of the `alac` box `box` (32-bit header) a clean copy keeps: the box alone, or
 * with its `chan` atom left out when that atom (version 0, no bitmap, no channel descriptions)
 * names the layout the config's channel count implies. Null for anything else: bytes no decoder
 * reads, which the copy must not carry.
 */
export function alacCookieLength(buf: Buffer, box: Box): number | null {
  if (box.header !== 8 || box.size < CONFIG_END) return null;
  if (buf.readUInt32BE(box.at + 8) !== 0) return null;
  if (box.size === CONFIG_END) return CONFIG_END;
  if (box.size !== CONFIG_END + CHAN_SIZE) return null;
  const chan = box.at + CONFIG_END;
  const layout = LAYOUTS[buf[box.at + CHANNELS]!];
  const plain =
    buf.readUInt32BE(chan) === CHAN_SIZE &&
    buf.toString("latin1", chan + 4, chan + 8) === "chan" &&
    buf.readUInt32BE(chan + 8) === 0 &&
    layout != null &&
    buf.readUInt32BE(chan + 12) === layout &&
    buf.readUInt32BE(chan + 16) === 0 &&
    buf.readUInt32BE(chan + 20) === 0;
  return plain ? CONFIG_END : null;
}
