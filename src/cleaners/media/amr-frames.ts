import fsp from "node:fs/promises";
import path from "node:path";
import { BadFileError } from "../errors.js";
import { runTool } from "../run-tool.js";
import { inputArgs, runFfmpeg, type MediaSource } from "./ffmpeg.js";

/** ffmpeg's names of the AMR codecs (narrowband speech, wideband). */
const AMR_CODECS = new Set(["amr_nb", "amr_wb"]);

export function isAmr(codec: string): boolean {
  return AMR_CODECS.has(codec);
}

/**
 * One AMR stream of `src` copied out to a raw AMR file in `workDir`, for the remux to take it from
 * there. ffmpeg's MP4/3GP muxer takes one speech frame per packet ("input is not a single packet,
 * implement a AVParser for it") and Debian's ffmpeg has no AMR parser to split them, while phones
 * wrote several frames to a sample (the AMR configuration's "frames per sample"). A raw AMR file
 * holds frames one after another behind its magic line, so the samples' bytes go there as they are
 * (the `amr` muxer writes nothing else), and its demuxer reads them back a frame per packet, each
 * timed by its place from the track's start: the same frames, decoding to the same speech, in
 * step with the pictures.
 */
export async function rawAmrCopy(src: MediaSource, index: number, workDir: string, typeName: string): Promise<MediaSource> {
  const file = path.join(workDir, `amr-${index}-${Date.now()}.amr`);
  const r = await runFfmpeg([src], ["-map", `0:${index}`, "-c", "copy", "-f", "amr", "-y", `file:${path.resolve(file)}`]);
  if (r.code !== 0) {
    await fsp.rm(file, { force: true });
    throw new BadFileError(`The ${typeName} file is damaged and could not be read.`, new Error(`ffmpeg (raw AMR of ${index}) exited ${r.code}: ${r.stderr.slice(0, 2000)}`));
  }
  // A raw AMR file starts at 0: the track's own start (sound after the pictures) is given back.
  const start = await startTime(src, index, typeName);
  return { file, demuxer: "amr", demuxerArgs: start === 0 ? [] : ["-itsoffset", String(start)] };
}

/** When the stream starts, in seconds, as ffprobe reads it (edit lists applied); 0 when it has no start ("N/A"). */
async function startTime(src: MediaSource, index: number, typeName: string): Promise<number> {
  const r = await runTool("ffprobe", ["-hide_banner", "-v", "error", ...inputArgs(src), "-select_streams", String(index), "-show_entries", "stream=start_time", "-of", "csv=p=0"], {
    timeoutMs: 60_000,
    maxOutputBytes: 64 * 1024,
  });
  if (r.code !== 0) {
    throw new BadFileError(`The ${typeName} file is damaged and could not be read.`, new Error(`ffprobe (start of ${index}) exited ${r.code}: ${r.stderr.slice(0, 2000)}`));
  }
  const text = r.stdout.toString("utf8").trim();
  const seconds = Number(text);
  return text === "N/A" || !Number.isFinite(seconds) ? 0 : seconds;
}
