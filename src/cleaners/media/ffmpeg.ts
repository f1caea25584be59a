import path from "node:path";
import { BadFileError } from "../errors.js";
import { copyCapBytes } from "../copy-cap.js";
import { runTool, type ToolRun } from "../run-tool.js";

const FFMPEG_TIMEOUT_MS = 180_000;

/** A file ffmpeg may read, and the only demuxer it may read it with. */
export interface MediaSource {
  file: string;
  /** The type detected from its bytes, e.g. "mov", "matroska", "ass". */
  demuxer: string;
  /** Demuxer options, given before `-i`. */
  demuxerArgs?: readonly string[];
}

export interface RemuxJob {
  input: string;
  output: string;
  /** The only demuxer ffmpeg may use on the input (the type detected from its bytes). */
  demuxer: string;
  /** Demuxer options, given before `-i`. */
  demuxerArgs?: readonly string[];
  muxer: string;
  /** Muxer options, given before the output. */
  muxerArgs?: readonly string[];
  /** Named in the user-facing error when ffmpeg cannot read the file ("MP4"). */
  typeName: string;
  /** The streams to keep, in order; by default every picture, sound and subtitle stream of the input. */
  streams?: readonly RemuxStream[];
}

/** A stream of the input by its index, or the only stream of another file standing in for it. */
export type RemuxStream = number | MediaSource;

/**
 * ffmpeg's arguments that open `src` and nothing else.
 *
 * Security: ffmpeg only ever sees our generated local paths, behind `file:` so that no part of
 * a name is read as a protocol; `-protocol_whitelist file` forbids the network; and the demuxer
 * is forced (`-f` plus `-format_whitelist`), because a whitelist of protocols alone does not stop
 * an HLS or ffconcat playlist (renamed .mp4) from pulling in a neighbouring local file: only
 * refusing those demuxers does. ffprobe takes the same options.
 */
export function inputArgs(src: MediaSource): string[] {
  return [
    "-protocol_whitelist", "file",
    "-format_whitelist", src.demuxer,
    "-f", src.demuxer,
    ...(src.demuxerArgs ?? []),
    "-i", `file:${path.resolve(src.file)}`,
  ];
}

/**
 * Runs ffmpeg quietly on its own (no stdin, errors only) on `inputs` (see `inputArgs`), then
 * `args`, under the tool limits; no file it writes may outgrow its inputs (see `copyCapBytes`).
 */
export async function runFfmpeg(inputs: readonly MediaSource[], args: readonly string[], maxOutputBytes?: number): Promise<ToolRun> {
  return runTool("ffmpeg", ["-nostdin", "-hide_banner", "-loglevel", "error", ...inputs.flatMap(inputArgs), ...args], {
    timeoutMs: FFMPEG_TIMEOUT_MS,
    maxFileBytes: await copyCapBytes(inputs.map((s) => s.file)),
    ...(maxOutputBytes != null ? { maxOutputBytes } : {}),
  });
}

/**
 * Copies the picture, sound and subtitle streams of a file into a fresh container, with no
 * metadata, chapters, attachments or data tracks, and nothing re-encoded (see `inputArgs` for
 * what ffmpeg may read).
 *
 * Mapping by default: `0:V` is video except attached pictures (cover art is metadata), `0:a`
 * audio, `0:s` subtitles. Data streams (GPS tracks, GoPro GPMF, camm, timecode) and attachments
 * are left out. `-map_metadata -1` drops global and per-stream tags; the bitexact flags stop the
 * muxers from writing their encoder and version strings, creation times and random UIDs.
 */
export async function remux(job: RemuxJob): Promise<void> {
  const others = (job.streams ?? []).filter((s): s is MediaSource => typeof s !== "number");
  const maps = job.streams == null ? ["0:V?", "0:a?", "0:s?"] : job.streams.map((s) => (typeof s === "number" ? `0:${s}` : `${others.indexOf(s) + 1}:0`));
  const inputs = [{ file: job.input, demuxer: job.demuxer, demuxerArgs: job.demuxerArgs ?? [] }, ...others];
  const args = [
    ...maps.flatMap((m) => ["-map", m]),
    "-c", "copy",
    "-map_metadata", "-1",
    "-map_chapters", "-1",
    "-fflags", "+bitexact",
    "-flags:v", "+bitexact",
    "-flags:a", "+bitexact",
    ...(job.muxerArgs ?? []),
    "-f", job.muxer,
    "-y", `file:${path.resolve(job.output)}`,
  ];
  const r = await runFfmpeg(inputs, args);
  if (r.code === 0) return;
  const detail = new Error(`ffmpeg exited ${r.code}: ${r.stderr.slice(0, 2000)}`);
  if (/does not contain any stream/.test(r.stderr)) throw noStreams(job.typeName, detail);
  throw new BadFileError(`The ${job.typeName} file is damaged and could not be read.`, detail);
}

export function noStreams(typeName: string, cause: Error): BadFileError {
  return new BadFileError(`The ${typeName} file has no picture, sound or subtitle stream to keep.`, cause);
}
