import fsp from "node:fs/promises";
import { BadFileError } from "../errors.js";
import type { CleanOutcome } from "../types.js";
import { cleanAssScript } from "./ass-header.js";
import { runTool } from "../run-tool.js";
import { isAmr, rawAmrCopy } from "./amr-frames.js";
import { inputArgs, noStreams, remux, type MediaSource, type RemuxStream } from "./ffmpeg.js";
import { isContent, probeStreams, type StreamInfo } from "./probe.js";
import { asfPayloadPieces } from "./asf-pieces.js";
import { extradata } from "./extradata.js";
import { cleanNalConfigInPlace } from "./nal-config.js";
import { patchInPlace, wholeFile, type PieceSource } from "./patch-pieces.js";
import { removeMpeg4UserData } from "./mpeg4-stream.js";
import { isMpegVideoCodec, removeMpegVideoData } from "./mpeg-video-stream.js";
import { psPayloadPieces } from "./ps-pieces.js";
import { cleanGlobalHeaders } from "./mov-global-headers.js";
import { aacFraming, removeAacText } from "./aac-stream.js";
import { isSeiCodec, removeSeiUserData } from "./sei.js";
import { tsPayloadPieces } from "./ts-pieces.js";
import { cleanDvFrames } from "./dv-frames.js";
import { isTelemetryTrack } from "./telemetry.js";
import { checkPacketPlaces } from "./iso-packet-places.js";

export interface StreamsJob {
  source: MediaSource;
  output: string;
  muxer: string;
  muxerArgs: readonly string[];
  /** ExifTool's name for the type, used in the user-facing errors ("MP4"). */
  typeName: string;
  workDir: string;
  /**
   * Finds streams ffprobe lists as content that are not content in this format (FLV script data
   * read as subtitles): they are left out of the copy and counted under the keys it gives.
   */
  leaveOut?: LeaveOut;
  /** QuickTime / ISO BMFF: the kept streams' samples must lie in media data (iso-packet-places.ts). */
  samplesInMediaData?: boolean;
}

export type LeaveOut = (src: MediaSource, streams: readonly StreamInfo[]) => Promise<{ indexes: ReadonlySet<number>; hidden: Readonly<Record<string, number>> }>;

/** ffmpeg's muxers of ISO BMFF / QuickTime files, which write a codec configuration they have no box of their own for as `glbl`. */
const ISO_MUXERS = new Set(["mov", "mp4", "3gp", "3g2"]);

/**
 * Copies a file's picture, sound and subtitle streams into a fresh container and removes what
 * rides inside them:
 * - subtitle tracks that are telemetry (a position on most cues, as drones and dash cams write)
 *   are dropped, counted under `subtitles`;
 * - ASS/SSA headers (Matroska's codec private data) keep only what rendering needs
 *   (`ass-header.ts`), rewritten in place in the copy to the same length, padded with blank
 *   lines, so that the events and their exact times stay as they were; the lines removed are
 *   counted under `subtitleHeaders`;
 * - SEI user data (encoder identification) in H.264/HEVC is overwritten in the copy (`sei.ts`),
 *   other SEI messages (captions, HDR, timing) kept; counted under `seiUserData`;
 * - user data (encoder identification) in MPEG-4 Part 2 is blanked in the copy
 *   (`mpeg4-user-data.ts`), counted under `mpeg4UserData`;
 * - text in AAC fill elements and program config comments (ffmpeg's "Lavc…") is blanked in
 *   the copy (`aac-text.ts`), counted under `aacText`;
 * - in a MOV or MP4, the MPEG-1/2 video headers ffmpeg writes as `glbl` boxes keep only their fields
 *   (`mov-global-headers.ts`), their user data counted under `mpegVideoUserData`;
 * - in MPEG-1/2 video, the user data (but captions and what players act on) is blanked and the
 *   GOP time codes zeroed in the copy (`mpeg-video-units.ts`), counted under `mpegVideoUserData`
 *   and `mpegTimeCodes`.
 * AMR speech reaches the muxer through a raw AMR file (`amr-frames.ts`), a frame per packet.
 * Then it proves the content survived: the copy holds the same kinds of stream, in the same
 * order, as the streams kept. A muxer silently leaves out a track it cannot write (a MOV track
 * with no reachable samples); such a copy is refused, never handed back.
 */
export async function cleanStreams(job: StreamsJob): Promise<CleanOutcome> {
  const { source } = job;
  const before = await probeStreams(source, job.typeName);
  const hidden = { subtitles: 0, subtitleHeaders: 0, seiUserData: 0, unreadUnits: 0, mpeg4UserData: 0, aacText: 0, mpegVideoUserData: 0, mpegTimeCodes: 0, dvPacks: 0 };
  const notContent = job.leaveOut != null ? await job.leaveOut(source, before) : { indexes: new Set<number>(), hidden: {} };
  const kept: StreamInfo[] = [];
  for (const s of before.filter(isContent)) {
    if (notContent.indexes.has(s.index)) continue;
    if (s.kind === "subtitle" && (await isTelemetryTrack(source, s.index, s.codec))) hidden.subtitles++;
    else kept.push(s);
  }
  if (kept.length === 0) throw noStreams(job.typeName, new Error(`ffprobe found only: ${describe(before) || "no stream"}`));
  // A stream of a codec ffmpeg does not know is copied as bytes no check here can read: the user
  // data of an MPEG-4 video whose codec tag lost a bit went out whole.
  const unknown = kept.find((s) => s.codec === "none");
  if (unknown != null) {
    throw new BadFileError(
      `The ${job.typeName} file holds a ${unknown.kind} stream in a format this service does not know, so what rides inside it cannot be checked.`,
      new Error(`stream ${unknown.index} has no codec ffmpeg knows (tag ${JSON.stringify(unknown.codecTag)})`),
    );
  }
  if (job.samplesInMediaData === true) await checkPacketPlaces(source, new Set(kept.map((s) => s.index)), job.typeName, job.workDir);

  const rawAmr: MediaSource[] = [];
  try {
    const streams: RemuxStream[] = [];
    for (const s of kept) {
      if (s.kind !== "audio" || !isAmr(s.codec)) streams.push(s.index);
      else {
        rawAmr.push(await rawAmrCopy(source, s.index, job.workDir, job.typeName));
        streams.push(rawAmr[rawAmr.length - 1]!);
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
      streams,
    });
  } finally {
    for (const raw of rawAmr) await fsp.rm(raw.file, { force: true });
  }

  const output: MediaSource = { ...source, file: job.output };
  // With the codec private data, which the H.264/HEVC configuration check below reads.
  const after = await probeStreams(output, job.typeName, true);
  if (kinds(after) !== kinds(kept)) {
    throw new BadFileError(
      `The ${job.typeName} file's tracks could not all be copied; it may be damaged.`,
      new Error(`kept ${describe(kept) || "nothing"} from ${describe(before)}, but the copy holds ${describe(after) || "nothing"}`),
    );
  }
  if (ISO_MUXERS.has(job.muxer)) hidden.mpegVideoUserData += await cleanGlobalHeaders(job.output);
  for (const [index, s] of kept.entries()) {
    const pieces = (): Promise<PieceSource> => streamPieces(output, index, job.muxer, job.typeName);
    if (s.kind === "video" && isSeiCodec(s.codec)) {
      // The configuration record first, as the probe read it; then the stream's SEI is read from
      // the copy, where the record's units already hold no user data to count twice.
      hidden.seiUserData += await cleanNalConfigInPlace(output, index, after[index]?.extradata ?? Buffer.alloc(0), s.codec, job.typeName);
      const sei = await removeSeiUserData(output, String(index), output, String(index), pieces, s.codec, job.workDir);
      hidden.seiUserData += sei.messages;
      hidden.unreadUnits += sei.unread;
    }
    if (s.kind === "video" && s.codec === "av1") await cleanNalConfigInPlace(output, index, after[index]?.extradata ?? Buffer.alloc(0), s.codec, job.typeName);
    if (s.kind === "video" && s.codec === "mpeg4") {
      hidden.mpeg4UserData += await removeMpeg4UserData(source, String(s.index), output, String(index), pieces, s.codecTag, job.workDir);
    }
    if (s.kind === "video" && isMpegVideoCodec(s.codec)) {
      const removed = await removeMpegVideoData(output, index, pieces, s.codec, job.workDir);
      hidden.mpegVideoUserData += removed.userData;
      hidden.mpegTimeCodes += removed.timeCodes;
    }
    if (s.kind === "video" && s.codec === "dvvideo") hidden.dvPacks += await cleanDvFrames(output, String(index), job.typeName);
    const framing = s.kind === "audio" ? aacFraming(s.codec, s.profile) : null;
    if (framing != null) hidden.aacText += await removeAacText(source, String(s.index), output, String(index), pieces, framing, job.workDir);
    if (isAss(s)) hidden.subtitleHeaders += await cleanAssHeaderInPlace(output, index, job.typeName);
  }
  return { hidden: { ...hidden, ...notContent.hidden } };
}

/**
 * Where the copy keeps the bytes of its stream `index`. MPEG-TS cuts each sample over 188-byte
 * packets, a program stream over PES packets and ASF over its data packets, so the units are
 * patched through those packets; the other muxers write a sample's bytes in one piece (and the
 * HEVC headers once), so the whole file is searched.
 */
async function streamPieces(output: MediaSource, index: number, muxer: string, typeName: string): Promise<PieceSource> {
  if (muxer === "mpegts") return tsPayloadPieces(await streamId(output, index, typeName));
  if (muxer === "vob" || muxer === "mpeg") {
    // A PES stream id (0x1c0-0x1ef), or a sub-stream's number inside private stream 1 (AC-3,
    // LPCM, DVD subtitles), whose packets hold no video: those are searched in the whole file.
    const id = await streamId(output, index, typeName);
    return id > 0x100 ? psPayloadPieces(id & 0xff) : wholeFile;
  }
  // ffmpeg's ASF muxer numbers the streams it writes from 1, in order.
  if (muxer === "asf") return asfPayloadPieces(index + 1);
  return wholeFile;
}

/** The PID that carries stream `index` of a transport stream, or its PES stream id in a program stream (ffprobe's stream `id`). */
async function streamId(src: MediaSource, index: number, typeName: string): Promise<number> {
  const r = await runTool(
    "ffprobe",
    ["-hide_banner", "-v", "error", ...inputArgs(src), "-select_streams", String(index), "-show_entries", "stream=id", "-of", "csv=p=0"],
    { timeoutMs: 60_000, maxOutputBytes: 1024 * 1024 },
  );
  const pid = Number.parseInt(r.stdout.toString("utf8").trim(), 16);
  if (r.code !== 0 || !Number.isInteger(pid)) {
    throw new BadFileError(`The ${typeName} file is damaged and could not be read.`, new Error(`ffprobe (PID of ${index}) exited ${r.code}: ${r.stderr.slice(0, 2000)}`));
  }
  return pid;
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
  const damaged = `The ${typeName} file's subtitles could not be read.`;
  const header = await extradata(output, index, damaged);
  // Read byte for byte (Latin-1): the walk needs only its ASCII, kept lines keep their bytes
  // whatever their encoding, and an invalid UTF-8 byte does not grow into a three-byte U+FFFD.
  const { text, dropped } = cleanAssScript(header.toString("latin1"));
  if (dropped > 0) {
    const cleaned = Buffer.from(`${text}\n`, "latin1");
    if (cleaned.length > header.length) throw new BadFileError(damaged, new Error("a cleaned ASS header came out longer than the original"));
    const padded = Buffer.concat([cleaned, Buffer.alloc(header.length - cleaned.length, "\n")]);
    const patched = await patchInPlace(output.file, [{ from: header, to: padded }]);
    if (patched === 0) throw new Error(`the ASS header of output stream ${index} was not found in the copy`);
  }
  const left = cleanAssScript((await extradata(output, index, damaged)).toString("latin1")).dropped;
  if (left > 0) {
    throw new BadFileError(
      `The ${typeName} file's subtitle header could not be cleaned.`,
      new Error(`${left} line(s) of the ASS header of output stream ${index} would still be removed`),
    );
  }
  return dropped;
}
