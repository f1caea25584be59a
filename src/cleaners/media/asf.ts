import type { Cleaner } from "../types.js";
import { remuxCleaner } from "./containers.js";
import { isMediaStructural } from "./structural.js";
import { anyOf, structuralTags } from "./structural-lists.js";

/**
 * What ExifTool reads from the header ffmpeg's ASF muxer writes: the file properties object
 * (sizes, durations, packet layout), the stream properties objects and the codec list, whose
 * names come from ffmpeg's own table for the codec, not from the input.
 */
const isAsfStructural = structuralTags(
  {
    ASF: [
      "FileLength", "DataPackets", "Duration", "SendDuration", "Preroll", "Flags", "MinPacketSize", "MaxPacketSize",
      "MaxBitrate", "AspectRatioX", "AspectRatioY", "StreamType", "ErrorCorrectionType", "TimeOffset", "StreamNumber",
      "ImageWidth", "ImageHeight", "AudioCodecID", "AudioChannels", "AudioSampleRate", "VideoCodecID",
      "VideoCodecName", "VideoCodecDescription", "AudioCodecName", "AudioCodecDescription",
    ],
  },
  // Mandatory fields: in bitexact mode ffmpeg writes a zero file id and a zero creation date.
  { ASF: { FileID: ["00000000-0000-0000-0000-000000000000"], CreationDate: ["0000:00:00 00:00:00Z"] } },
);

/**
 * Windows Media (WMA, WMV) and other ASF files: a stream copy into a new ASF header. Left behind:
 * the content description (title, author, copyright, description), the extended content
 * description and metadata (library) objects (WM/ tags, pictures, encoder settings, user names),
 * markers and script commands, the padding object, and every header extension ffmpeg does not
 * write itself. ExifTool names every such file ASF when it has no extension to go by, as here.
 */
export const asfCleaner: Cleaner = {
  ...remuxCleaner("asf", {
    ASF: { demuxer: "asf", muxer: "asf" },
    WMA: { demuxer: "asf", muxer: "asf" },
    WMV: { demuxer: "asf", muxer: "asf" },
    DIVX: { demuxer: "asf", muxer: "asf" },
  }),
  isStructural: anyOf(isMediaStructural, isAsfStructural),
};
