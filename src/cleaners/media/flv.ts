import type { Cleaner } from "../types.js";
import { remuxCleaner } from "./containers.js";
import { scriptDataStreams } from "./flv-script-data.js";
import { isMediaStructural } from "./structural.js";
import { anyOf, structuralTags } from "./structural-lists.js";

/**
 * The `onMetaData` script tag ffmpeg writes: only what a player uses to set itself up (duration,
 * picture size, frame rate, codecs, bitrates, file size, the `datastream` flag of a timed-text
 * track), and no `encoder` entry in bitexact mode. The audio and video tag headers give the rest.
 */
const isFlvStructural = structuralTags({
  Flash: [
    "Duration", "ImageWidth", "ImageHeight", "VideoBitrate", "FrameRate", "VideoCodecID", "AudioBitrate",
    "AudioSampleRate", "AudioSampleSize", "Stereo", "AudioCodecID", "FileSizeBytes", "AudioEncoding",
    "AudioBitsPerSample", "AudioChannels", "VideoEncoding", "Datastream",
  ],
});

/**
 * Flash video: a stream copy into new FLV tags. The input's `onMetaData` (and any other script
 * data: cue points, `onXMPData`, the authoring tool's name, creation dates) is dropped and a new
 * one holding only the playback fields is written. Cue points and later metadata tags, which
 * ffmpeg reads as a subtitle track, are left out and counted under `scriptData`; timed text
 * (`onTextData`) is content and stays.
 */
export const flvCleaner: Cleaner = {
  ...remuxCleaner("flv", {
    FLV: {
      demuxer: "flv",
      muxer: "flv",
      leaveOut: async (src, streams) => {
        const { indexes, tags } = await scriptDataStreams(src, streams);
        return { indexes, hidden: { scriptData: tags } };
      },
    },
  }),
  isStructural: anyOf(isMediaStructural, isFlvStructural),
};
