import type { Cleaner } from "../types.js";
import { remuxCleaner } from "./containers.js";
import { isMediaStructural } from "./structural.js";
import { anyOf, structuralTags } from "./structural-lists.js";

/**
 * What ExifTool reads from a transport or program stream's tables and the first picture and sound
 * headers: an H.264 stream's size from its sequence parameter set (the camera's SEI data, when
 * there is some, is not structural), and the sample rate of the AC-3 descriptor ffmpeg's muxer writes.
 */
export const isMpegStreamStructural = structuralTags({
  M2TS: ["Duration", "VideoStreamType", "AudioStreamType", "AudioSampleRate"],
  MPEG: ["ImageWidth", "ImageHeight", "AspectRatio", "FrameRate", "VideoBitrate"],
  H264: ["ImageWidth", "ImageHeight"],
  AC3: ["AudioSampleRate", "AudioBitrate", "SurroundMode", "AudioChannels"],
});

/**
 * MPEG transport streams, with 188-byte packets (M2T, broadcast and .ts) or 192-byte ones with
 * an arrival timecode (M2TS, Blu-ray and AVCHD): a stream copy into new tables. The service
 * description table is rewritten with ffmpeg's neutral provider and service names
 * ("FFmpeg", "Service01") instead of the broadcaster's or the recorder's; data streams (timed
 * ID3, KLV, camera GPS tracks) and private sections are not copied.
 */
export const mpegTsCleaner: Cleaner = {
  ...remuxCleaner("mpegts", {
    M2T: { demuxer: "mpegts", muxer: "mpegts" },
    M2TS: { demuxer: "mpegts", muxer: "mpegts", muxerArgs: ["-mpegts_m2ts_mode", "1"] },
  }),
  isStructural: anyOf(isMediaStructural, isMpegStreamStructural),
};
