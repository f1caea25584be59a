import { BadFileError } from "../errors.js";
import { RangeWriter } from "../range-writer.js";
import type { CleanContext, Cleaner } from "../types.js";
import { writeApeStream } from "./ape-wav-header.js";
import { endOfAudio, id3v2Length } from "./audio-tags.js";
import { refuseChapterTags } from "./musepack-chapters.js";
import { ttaStreamEnd } from "./tta-stream.js";
import { isMediaStructural } from "./structural.js";
import { anyOf, structuralTags } from "./structural-lists.js";

/** What ExifTool reads from the stream headers themselves: how to decode, not who made it. */
const isStreamHeader = structuralTags({
  // APEVersion: read from the header of streams before 3.98, whose layout it decides.
  APE: ["APEVersion", "CompressionLevel", "BlocksPerFrame", "FinalFrameBlocks", "TotalFrames", "BitsPerSample", "Channels", "SampleRate"],
  MPC: [
    "TotalFrames", "SampleRate", "Quality", "MaxBand", "ReplayGainTrackPeak", "ReplayGainTrackGain",
    "ReplayGainAlbumPeak", "ReplayGainAlbumGain", "FastSeek", "Gapless", "EncoderVersion",
  ],
});

/** The magic numbers of the streams, as the formats define them. */
const MAGIC: Readonly<Record<string, readonly string[]>> = {
  // Monkey's Audio.
  APE: ["MAC "],
  // Musepack stream versions 7 ("MP+") and 8 ("MPCK", recognised by src/metadata/unrecognised-types.ts).
  MPC: ["MP+", "MPCK"],
  // True Audio (recognised by src/metadata/unrecognised-types.ts).
  TTA: ["TTA1"],
};

const NAMES: Readonly<Record<string, string>> = { APE: "Monkey's Audio (APE)", MPC: "Musepack (MPC)", TTA: "True Audio (TTA)" };

/**
 * Monkey's Audio, Musepack and True Audio: a self-contained stream whose tags are whole blocks before it
 * (ID3v2) or after it (APEv2, ID3v1, Lyrics3), each stating its own size (see audio-tags.ts). The
 * stream is kept byte for byte from its magic number to the first tag after it; nothing inside
 * the stream moves, so its seek tables stay right. The stream is copied a window at a time, so
 * memory does not grow with the file.
 *
 * Inside the stream, Monkey's Audio keeps the header and trailer of the WAV it was made from,
 * whose tag chunks are blanked in place (ape-wav-header.ts). Musepack's stream headers hold
 * numbers only (replay gain, the encoder's version; in version 8 the packets SH, RG and EI).
 * True Audio's header holds the format only, and its stream's end is known from its seek table
 * (tta-stream.ts): what lies between it and the tags is left out.
 */
export const taggedAudioCleaner: Cleaner = {
  name: "tagged-audio",
  fileTypes: Object.keys(MAGIC),

  async clean(ctx: CleanContext): Promise<void> {
    await RangeWriter.rewrite(ctx.input, ctx.output, "wx", async (src, out) => {
      let start = 0;
      for (let tag = await id3v2Length(src, start); tag > 0; tag = await id3v2Length(src, start)) start += tag;
      const magic = MAGIC[ctx.fileType] ?? [];
      const name = NAMES[ctx.fileType] ?? ctx.fileType;
      const head = (await src.read(start, 4)).toString("latin1");
      if (!magic.some((m) => head.startsWith(m))) {
        throw new BadFileError(`The ${name} file could not be read: no audio stream starts after its tags.`);
      }
      const end = await endOfAudio(src, start);
      if (ctx.fileType === "APE") await writeApeStream(src, out, start, end);
      else if (ctx.fileType === "TTA") out.copy(start, await ttaStreamEnd(src, start, end));
      else {
        if (head === "MPCK") await refuseChapterTags(src, start + 4, end);
        out.copy(start, end);
      }
    });
  },

  isStructural: anyOf(isMediaStructural, isStreamHeader),
};
