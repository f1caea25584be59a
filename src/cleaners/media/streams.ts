import { BadFileError } from "../errors.js";
import type { CleanOutcome } from "../types.js";
import { cleanAssScript } from "./ass-header.js";
import { runTool } from "../run-tool.js";
import { inputArgs, noStreams, remux, type MediaSource } from "./ffmpeg.js";
import { isContent, probeStreams, type StreamInfo } from "./probe.js";
import { expectNoSeiUserData, isSeiCodec, messageTypes, patchInPlace, removeSeiUserData, seiUnits, userDataCount, type SeiCodec } from "./sei.js";
import { isTelemetryTrack } from "./telemetry.js";

export interface StreamsJob {
  source: MediaSource;
  output: string;
  muxer: string;
  muxerArgs: readonly string[];
  /** ExifTool's name for the type, used in the user-facing errors ("MP4"). */
  typeName: string;
  workDir: string;
}

/**
 * Copies a file's picture, sound and subtitle streams into a fresh container and removes what
 * rides inside them:
 * - subtitle tracks that are telemetry (a position on most cues, as drones and dash cams write)
 *   are dropped, counted under `subtitles`;
 * - ASS/SSA headers (Matroska's codec private data) keep only what rendering needs
 *   (`ass-header.ts`), rewritten in place in the copy to the same length, padded with blank
 *   lines, so that the events and their exact times stay as they were; the lines removed are
 *   counted under `subtitleHeaders`;
 * - SEI user data (encoder identification) in H.264/HEVC is overwritten (`sei.ts`), counted
 *   under `seiUserData`; in containers that split packets, the SEI units are dropped instead.
 * Then it proves the content survived: the copy holds the same kinds of stream, in the same
 * order, as the streams kept. A muxer silently leaves out a track it cannot write (a MOV track
 * with no reachable samples); such a copy is refused, never handed back.
 */
export async function cleanStreams(job: StreamsJob): Promise<CleanOutcome> {
  const { source } = job;
  const before = await probeStreams(source, job.typeName);
  const hidden = { subtitles: 0, subtitleHeaders: 0, seiUserData: 0 };
  const kept: StreamInfo[] = [];
  for (const s of before.filter(isContent)) {
    if (s.kind === "subtitle" && (await isTelemetryTrack(source, s.index, s.codec))) hidden.subtitles++;
    else kept.push(s);
  }
  if (kept.length === 0) throw noStreams(job.typeName, new Error(`ffprobe found only: ${describe(before) || "no stream"}`));

  const inPlace = !SPLITTING_MUXERS.has(job.muxer);
  const bitstreamFilters = new Map<number, string>();
  if (!inPlace) {
    for (const [index, s] of kept.entries()) {
      if (s.kind !== "video" || !isSeiCodec(s.codec)) continue;
      const dropped = await seiDroppedWhole(source, s.index, s.codec, job.workDir, job.typeName);
      if (dropped === 0) continue;
      bitstreamFilters.set(index, s.codec === "h264" ? "filter_units=remove_types=6" : "filter_units=remove_types=39|40");
      hidden.seiUserData += dropped;
    }
  }

  await remux({
    input: source.file,
    output: job.output,
    demuxer: source.demuxer,
    demuxerArgs: source.demuxerArgs ?? [],
    muxer: job.muxer,
    muxerArgs: job.muxerArgs,
    typeName: job.typeName,
    streams: kept.map((s) => s.index),
    bitstreamFilters,
  });

  const output: MediaSource = { ...source, file: job.output };
  const after = await probeStreams(output, job.typeName);
  if (kinds(after) !== kinds(kept)) {
    throw new BadFileError(
      `The ${job.typeName} file's tracks could not all be copied; it may be damaged.`,
      new Error(`kept ${describe(kept) || "nothing"} from ${describe(before)}, but the copy holds ${describe(after) || "nothing"}`),
    );
  }
  for (const [index, s] of kept.entries()) {
    if (s.kind === "video" && isSeiCodec(s.codec)) {
      if (inPlace) hidden.seiUserData += await removeSeiUserData(source, s.index, output, index, s.codec, job.workDir);
      else await expectNoSeiUserData(output, index, s.codec, job.workDir);
    }
    if (isAss(s)) hidden.subtitleHeaders += await cleanAssHeaderInPlace(output, index, job.typeName);
  }
  return { hidden };
}

/**
 * Muxers that cut a packet's bytes into pieces (MPEG-TS into 188-byte packets, ASF into data
 * packets), so that SEI cannot be patched in the copy: there, SEI units are dropped whole.
 */
const SPLITTING_MUXERS = new Set(["mpegts", "asf"]);

/**
 * SEI messages that can go with the user data without changing what is shown: buffering period
 * (the decoder's buffer model), filler. Captions, timing of fields, recovery points, HDR and
 * frame packing cannot.
 */
const DROPPABLE_SEI = new Set([0, 3, 5]);

/**
 * For a stream whose SEI units are dropped whole: the number of user-data messages they hold (0:
 * nothing to drop). Refused when they also hold messages that matter to the picture.
 */
async function seiDroppedWhole(source: MediaSource, index: number, codec: SeiCodec, workDir: string, typeName: string): Promise<number> {
  const units = await seiUnits(source, index, codec, workDir);
  const userData = units.reduce((n, nal) => n + userDataCount(nal, codec), 0);
  if (userData === 0) return 0;
  const others = units.flatMap((nal) => messageTypes(nal, codec) ?? []).filter((t) => !DROPPABLE_SEI.has(t));
  if (others.length > 0) {
    throw new BadFileError(
      `The ${typeName} file's video carries its encoder's identification next to captions or display information that cannot be separated from it without re-encoding.`,
      new Error(`SEI of ${codec} stream ${index} holds user data and payload types ${[...new Set(others)].join(", ")}`),
    );
  }
  return userData;
}

function isAss(s: StreamInfo): boolean {
  return s.kind === "subtitle" && (s.codec === "ass" || s.codec === "ssa");
}

/** "video, audio, subtitle": what the contract says must survive (count and kind, in order). */
function kinds(streams: readonly StreamInfo[]): string {
  return streams.map((s) => s.kind).join(", ");
}

/** "video h264, audio aac, subtitle ass": what a file holds, for the log. */
function describe(streams: readonly StreamInfo[]): string {
  return streams.map((s) => `${s.kind} ${s.codec}`).join(", ");
}

/**
 * Rewrites the ASS header (codec private data) of one subtitle track of the copy in place;
 * resolves to the number of header lines removed.
 */
async function cleanAssHeaderInPlace(output: MediaSource, index: number, typeName: string): Promise<number> {
  const header = await extradata(output, index, typeName);
  const { text, dropped } = cleanAssScript(header.toString("utf8"));
  if (dropped > 0) {
    const cleaned = Buffer.from(`${text}\n`, "utf8");
    if (cleaned.length > header.length) throw new Error("a cleaned ASS header came out longer than the original");
    const padded = Buffer.concat([cleaned, Buffer.alloc(header.length - cleaned.length, "\n")]);
    const patched = await patchInPlace(output.file, [{ from: header, to: padded }]);
    if (patched === 0) throw new Error(`the ASS header of output stream ${index} was not found in the copy`);
  }
  const left = cleanAssScript((await extradata(output, index, typeName)).toString("utf8")).dropped;
  if (left > 0) {
    throw new BadFileError(
      `The ${typeName} file's subtitle header could not be cleaned.`,
      new Error(`${left} line(s) of the ASS header of output stream ${index} would still be removed`),
    );
  }
  return dropped;
}

/** A stream's codec private data, from ffprobe's hex dump (`-show_data`). */
async function extradata(src: MediaSource, index: number, typeName: string): Promise<Buffer> {
  const r = await runTool(
    "ffprobe",
    ["-hide_banner", "-v", "error", ...inputArgs(src), "-select_streams", String(index), "-show_entries", "stream=extradata", "-show_data", "-of", "json"],
    { timeoutMs: 60_000, maxOutputBytes: 16 * 1024 * 1024 },
  );
  if (r.code !== 0) {
    throw new BadFileError(`The ${typeName} file's subtitles could not be read.`, new Error(`ffprobe (extradata of ${index}) exited ${r.code}: ${r.stderr.slice(0, 2000)}`));
  }
  const parsed = JSON.parse(r.stdout.toString("utf8")) as { streams?: Array<{ extradata?: string }> };
  const dump = parsed.streams?.[0]?.extradata ?? "";
  // Lines of "00000010: 5363 7269 ...  ascii": 8 groups of 4 hex digits after the offset.
  const hex = dump
    .split("\n")
    .filter((line) => /^[0-9a-f]{8}: /.test(line))
    .map((line) => line.slice(10, 49).replace(/ /g, ""))
    .join("");
  return Buffer.from(hex, "hex");
}
