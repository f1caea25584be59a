import crypto from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import { CONVERT, exiftool, ffmpegQuiet, run } from "./tools.js";

/**
 * Audio and video files with a marker in every metadata field the container can hold, made by
 * ffmpeg from its test sources (1 s, 64x48), then extended by ExifTool where it can write the
 * format, and by hand for the tags neither tool writes (APE on MP3, an `id3 ` chunk in WAV).
 */

export type MediaKind = "mp3" | "aac" | "flac" | "m4a" | "wav" | "ogg" | "opus" | "mp4" | "mov" | "m4v" | "3gp" | "mkv" | "webm" | "mka" | "webm-audio" | "avi";

const SINE = ["-f", "lavfi", "-i", "sine=frequency=440:duration=1"];
const TESTSRC = ["-f", "lavfi", "-i", "testsrc=size=64x48:rate=10:duration=1"];

/** -metadata pairs for the global tags every muxer knows, each holding the marker. */
function globalTags(marker: string): string[] {
  return ["title", "artist", "album", "comment", "copyright", "description", "genre", "composer", "encoded_by"].flatMap((k) => [
    "-metadata",
    `${k}=${marker}`,
  ]);
}

export async function makeMarkedMedia(dir: string, kind: MediaKind, marker: string): Promise<string> {
  const file = path.join(dir, `marked.${kind}`);
  const cover = await coverArt(dir, marker);
  const tags = globalTags(marker);
  const streamTitle = (spec: string): string[] => [`-metadata:s:${spec}`, `title=${marker}`, `-metadata:s:${spec}`, `handler_name=${marker}`];
  const withCover = ["-i", cover, "-map", "0", "-map", "1", "-c:v", "copy", "-disposition:v:0", "attached_pic", "-metadata:s:v", `comment=${marker}`];
  const subs = await subtitles(dir);
  switch (kind) {
    case "mp3":
      await run("ffmpeg", [...ffmpegQuiet, ...SINE, ...withCover, "-c:a", "libmp3lame", "-id3v2_version", "3", "-write_id3v1", "1", ...tags, file]);
      await insertApeTag(file, marker);
      return file;
    case "aac":
      // Raw AAC (ADTS) with an APE tag at its end (ExifTool reads ADTS only from the file's start).
      await run("ffmpeg", [...ffmpegQuiet, ...SINE, "-c:a", "aac", "-write_apetag", "1", ...tags, "-f", "adts", file]);
      return file;
    case "flac":
      await run("ffmpeg", [...ffmpegQuiet, ...SINE, ...withCover, "-c:a", "flac", ...tags, file]);
      return file;
    case "m4a":
      await run("ffmpeg", [...ffmpegQuiet, ...SINE, ...withCover, "-c:a", "aac", ...tags, ...streamTitle("a"), file]);
      await quickTimeTags(file, marker);
      return file;
    case "wav":
      await run("ffmpeg", [...ffmpegQuiet, ...SINE, "-write_bext", "1", ...tags, "-metadata", `originator=${marker}`, "-metadata", `origination_date=2024-03-15`, file]);
      await appendId3Chunk(file, marker);
      return file;
    case "ogg":
      await run("ffmpeg", [...ffmpegQuiet, ...SINE, "-c:a", "libvorbis", ...tags, ...streamTitle("a"), file]);
      return file;
    case "opus":
      await run("ffmpeg", [...ffmpegQuiet, ...SINE, "-c:a", "libopus", ...tags, ...streamTitle("a"), file]);
      return file;
    case "mp4":
    case "mov":
      // A subtitle track (content: stays), cover art and, in MOV, a timecode data track (go).
      await run("ffmpeg", [
        ...ffmpegQuiet, ...TESTSRC, ...SINE, "-i", subs, "-i", cover,
        "-map", "0", "-map", "1", "-map", "2", "-map", "3",
        "-c:v:0", "libx264", "-preset", "ultrafast", "-c:v:1", "copy", "-disposition:v:1", "attached_pic",
        "-c:a", "aac", "-c:s", "mov_text", ...tags, ...streamTitle("v:0"), ...streamTitle("a"), ...streamTitle("s"),
        "-metadata:s:a", "language=fra",
        ...(kind === "mov" ? ["-timecode", "01:00:00:00"] : []),
        file,
      ]);
      await quickTimeTags(file, marker);
      return file;
    case "m4v":
    case "3gp":
      // Other ISO BMFF brands: the same boxes, told apart by ExifTool through the major brand.
      await run("ffmpeg", [
        ...ffmpegQuiet, ...TESTSRC, ...SINE, "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac",
        ...tags, ...streamTitle("v"), ...streamTitle("a"),
        ...(kind === "m4v" ? ["-f", "mp4", "-brand", "M4V "] : ["-f", "3gp"]),
        file,
      ]);
      await quickTimeTags(file, marker);
      return file;
    case "mkv":
      await run("ffmpeg", [
        ...ffmpegQuiet, ...TESTSRC, ...SINE, "-i", subs, "-i", await chapters(dir, marker),
        "-map", "0", "-map", "1", "-map", "2", "-map_chapters", "3",
        "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", "-c:s", "ass",
        ...tags, ...streamTitle("v"), ...streamTitle("a"), ...streamTitle("s"),
        "-attach", cover, "-metadata:s:t", "mimetype=image/jpeg", "-metadata:s:t", `filename=${marker}.jpg`,
        file,
      ]);
      return file;
    case "webm":
      await run("ffmpeg", [
        ...ffmpegQuiet, ...TESTSRC, ...SINE, "-c:v", "libvpx", "-deadline", "realtime", "-cpu-used", "8", "-c:a", "libopus",
        ...tags, ...streamTitle("v"), ...streamTitle("a"), file,
      ]);
      return file;
    case "mka":
      // Audio alone in Matroska (ExifTool: MKA), with a cover attached as Matroska players show one.
      await run("ffmpeg", [
        ...ffmpegQuiet, ...SINE, "-c:a", "flac", ...tags, ...streamTitle("a"),
        "-attach", cover, "-metadata:s:t", "mimetype=image/jpeg", "-metadata:s:t", `filename=${marker}.jpg`,
        "-f", "matroska", file,
      ]);
      return file;
    case "webm-audio":
      // Audio alone in WebM: also MKA to ExifTool, but a WebM to players (its DocType).
      await run("ffmpeg", [...ffmpegQuiet, ...SINE, "-c:a", "libopus", ...tags, ...streamTitle("a"), "-f", "webm", file]);
      return file;
    case "avi":
      await run("ffmpeg", [...ffmpegQuiet, ...TESTSRC, ...SINE, "-c:v", "mpeg4", "-c:a", "libmp3lame", ...tags, ...streamTitle("v"), ...streamTitle("a"), file]);
      return file;
  }
}

/** A JPEG whose bytes hold the marker (a COM segment), used as cover art and attachment. */
async function coverArt(dir: string, marker: string): Promise<string> {
  const file = path.join(dir, `cover-${crypto.randomUUID()}.jpg`);
  await run(CONVERT, ["-size", "16x16", "xc:blue", "-comment", marker, file]);
  return file;
}

async function subtitles(dir: string): Promise<string> {
  const file = path.join(dir, `subs-${crypto.randomUUID()}.srt`);
  await fs.writeFile(file, "1\n00:00:00,000 --> 00:00:00,900\nHello there\n");
  return file;
}

async function chapters(dir: string, marker: string): Promise<string> {
  const file = path.join(dir, `chapters-${crypto.randomUUID()}.txt`);
  await fs.writeFile(file, `;FFMETADATA1\n[CHAPTER]\nTIMEBASE=1/1000\nSTART=0\nEND=1000\ntitle=${marker}\n`);
  return file;
}

/** What ExifTool writes in QuickTime files: XMP, iTunes items, user data, Keys and GPS. */
export async function quickTimeTags(file: string, marker: string): Promise<void> {
  await exiftool([
    "-q", "-overwrite_original",
    `-XMP-dc:Creator=${marker}`, `-XMP-dc:Description=${marker}`,
    `-ItemList:Comment=${marker}`, `-ItemList:Artist=${marker}`,
    `-UserData:Author=${marker}`, `-UserData:Make=${marker}`,
    `-Keys:Title=${marker}`,
    "-GPSCoordinates=48.8584, 2.2945, 35",
    "-QuickTime:CreateDate=2024:03:15 10:30:00",
    file,
  ]);
}

/** An APEv2 tag (header, one item, footer) placed before the ID3v1 tag, where taggers put it. */
async function insertApeTag(file: string, marker: string): Promise<void> {
  const value = Buffer.from(marker, "utf8");
  const item = Buffer.concat([u32(value.length), u32(0), Buffer.from("Title\0", "latin1"), value]);
  const frame = (isHeader: boolean): Buffer =>
    Buffer.concat([Buffer.from("APETAGEX", "latin1"), u32(2000), u32(item.length + 32), u32(1), u32(0x80000000 | (isHeader ? 0x20000000 : 0)), Buffer.alloc(8)]);
  const bytes = await fs.readFile(file);
  const id3v1 = bytes.subarray(bytes.length - 128);
  if (id3v1.toString("latin1", 0, 3) !== "TAG") throw new Error("expected an ID3v1 tag at the end");
  await fs.writeFile(file, Buffer.concat([bytes.subarray(0, bytes.length - 128), frame(true), item, frame(false), id3v1]));
}

/** An `id3 ` chunk (an ID3v2.3 tag with a TIT2 frame), as some WAV taggers write, inside the RIFF form. */
async function appendId3Chunk(file: string, marker: string): Promise<void> {
  const text = Buffer.concat([Buffer.from([0]), Buffer.from(marker, "latin1")]);
  const tit2 = Buffer.concat([Buffer.from("TIT2", "latin1"), be32(text.length), Buffer.alloc(2), text]);
  const id3 = Buffer.concat([Buffer.from("ID3\x03\x00\x00", "latin1"), syncsafe(tit2.length), tit2]);
  const chunk = Buffer.concat([Buffer.from("id3 ", "latin1"), u32(id3.length), id3, Buffer.alloc(id3.length % 2)]);
  const bytes = Buffer.concat([await fs.readFile(file), chunk]);
  bytes.writeUInt32LE(bytes.length - 8, 4);
  await fs.writeFile(file, bytes);
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n >>> 0);
  return b;
}

function be32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

function syncsafe(n: number): Buffer {
  return Buffer.from([(n >> 21) & 0x7f, (n >> 14) & 0x7f, (n >> 7) & 0x7f, n & 0x7f]);
}

/**
 * What a person sees and hears, stream kind by stream kind: the md5 of the decoded pictures
 * and sound (as the issue asks: `ffmpeg -i F -map 0:a -f md5 -`) and of the subtitle packets.
 * Cover art (an attached picture, `0:v` but not `0:V`) is metadata and is not part of the picture.
 */
export async function mediaContent(file: string): Promise<Record<string, string>> {
  const kinds = await streamKinds(file);
  const specs: Array<[kind: string, args: string[]]> = [
    ["video", ["-map", "0:V"]],
    ["audio", ["-map", "0:a"]],
    ["subtitle", ["-map", "0:s", "-c", "copy"]],
  ];
  const out: Record<string, string> = {};
  for (const [kind, args] of specs) {
    if (!kinds.includes(kind)) continue;
    const { stdout } = await run("ffmpeg", ["-nostdin", "-loglevel", "error", "-i", file, ...args, "-f", "md5", "-"]);
    out[kind] = stdout.toString("utf8").trim();
  }
  return out;
}

/** The kinds of stream in a file, in order ("video", "audio", "subtitle", "data", "attachment"). */
export async function streamKinds(file: string): Promise<string[]> {
  const { stdout } = await run("ffprobe", ["-v", "error", "-show_entries", "stream=codec_type:stream_disposition=attached_pic", "-of", "json", file]);
  const parsed = JSON.parse(stdout.toString("utf8")) as { streams?: Array<{ codec_type?: string; disposition?: { attached_pic?: number } }> };
  return (parsed.streams ?? []).map((s) => (s.disposition?.attached_pic === 1 ? "cover" : (s.codec_type ?? "unknown")));
}

/**
 * A drone's flight log as subtitles, the way DJI writes it: on every cue the frame counter, the
 * time, camera settings and a position (which moves), plus `marker`.
 */
export async function telemetrySrt(dir: string, marker: string): Promise<string> {
  const file = path.join(dir, `telemetry-${crypto.randomUUID()}.srt`);
  const cues = Array.from({ length: 10 }, (_, i) => {
    const ms = (n: number): string => `00:00:00,${String(n).padStart(3, "0")}`;
    return [
      String(i + 1),
      `${ms(i * 100)} --> ${ms(i * 100 + 100)}`,
      `<font size="28">SrtCnt : ${i + 1}, DiffTime : 100ms ${marker}`,
      `2024-03-15 10:30:00.${String(i * 100).padStart(3, "0")}`,
      `[iso : 100] [shutter : 1/500.0] [fnum : 2.8] [ev : 0] [latitude: 48.85${84 + i}0] [longitude: 2.29${45 + i}0] [rel_alt: 1.300 abs_alt: 100.0] </font>`,
      "",
    ].join("\n");
  });
  await fs.writeFile(file, cues.join("\n"));
  return file;
}

/** Ordinary subtitles (content, they stay): ten lines of dialogue, two of which name a place by its coordinates. */
export async function dialogueSrt(dir: string): Promise<string> {
  const file = path.join(dir, `dialogue-${crypto.randomUUID()}.srt`);
  const lines = ["Where are we?", "Somewhere near 48.8584, 2.2945", "Is that Paris?", "It is.", "Look at the tower.",
    "It was built in 1889.", "The summit is at 48.85837 N 2.29448 E", "Shall we go up?", "Tomorrow.", "Good night."];
  const ms = (n: number): string => `00:00:00,${String(n).padStart(3, "0")}`;
  await fs.writeFile(file, lines.map((l, i) => `${i + 1}\n${ms(i * 100)} --> ${ms(i * 100 + 90)}\n${l}\n`).join("\n"));
  return file;
}

/** An ASS script as Aegisub saves it: `marker` in every editor field, comment and project path of its header. */
export async function markedAss(dir: string, marker: string): Promise<string> {
  const file = path.join(dir, `script-${crypto.randomUUID()}.ass`);
  await fs.writeFile(file, `[Script Info]
; Script generated by Aegisub 3.2.2 for ${marker}
; http://www.aegisub.org/
Title: ${marker} title
Original Script: ${marker}
Original Translation: ${marker}
Original Editing: ${marker}
Update Details: ${marker}
Script Updated By: ${marker}
ScriptType: v4.00+
PlayResX: 640
PlayResY: 480
WrapStyle: 0
ScaledBorderAndShadow: yes
YCbCr Matrix: TV.601

[Aegisub Project Garbage]
Audio File: C:/Users/${marker}/Videos/holiday.mkv
Video File: C:/Users/${marker}/Videos/holiday.mkv
Active Line: 2

[V4+ Styles]
Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, MarginV, Encoding
; ${marker}
Style: Default,Arial,20,&H00FFFFFF,&H000000FF,&H00000000,&H00000000,0,0,0,0,100,100,0,0,1,2,2,2,10,10,10,1

[Events]
Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text
Dialogue: 0,0:00:00.00,0:00:00.50,Default,,0,0,0,,Hello there
Dialogue: 0,0:00:00.50,0:00:00.90,Default,,0,0,0,,General Kenobi
`);
  return file;
}

/** A UUID for SEI user data (any will do; x264 uses its own). */
const SEI_UUID = "6f3c1a2e-9b4d-4c8e-a1f0-5d2b7e9c3a64";

/**
 * H.264 video whose first access unit carries `marker` as SEI user data (ffmpeg's h264_metadata
 * inserts it), next to x264's own identification string.
 */
function h264WithSeiMarker(marker: string): string[] {
  return ["-c:v", "libx264", "-preset", "ultrafast", "-bsf:v", `h264_metadata=sei_user_data=${SEI_UUID}+${marker}`];
}

export type HiddenMediaKind = "mp4-telemetry" | "mkv-ass" | "hevc-mp4" | "h264-ts";

/**
 * Files with content that hides metadata: an MP4 with a telemetry subtitle track next to
 * ordinary subtitles and SEI user data in its H.264; an MKV whose ASS header holds editor fields
 * and paths, with a telemetry track and SEI user data; an HEVC MP4 (hvcC, `fiel`, `sdtp` boxes)
 * with user data both in its stream and in its hvcC header (x265's own string, and `marker`);
 * an MPEG-TS whose H.264 has SEI user data (TS cuts samples into 188-byte packets).
 * Every file also gets the container tags of `makeMarkedMedia`'s MP4.
 */
export async function makeHiddenMedia(dir: string, kind: HiddenMediaKind, marker: string): Promise<string> {
  const tags = globalTags(marker);
  switch (kind) {
    case "mp4-telemetry": {
      const file = path.join(dir, "telemetry.mp4");
      await run("ffmpeg", [
        ...ffmpegQuiet, ...TESTSRC, ...SINE, "-i", await dialogueSrt(dir), "-i", await telemetrySrt(dir, marker),
        "-map", "0", "-map", "1", "-map", "2", "-map", "3",
        ...h264WithSeiMarker(marker), "-c:a", "aac", "-c:s", "mov_text", ...tags, file,
      ]);
      await quickTimeTags(file, marker);
      return file;
    }
    case "mkv-ass": {
      const file = path.join(dir, "subtitled.mkv");
      await run("ffmpeg", [
        ...ffmpegQuiet, ...TESTSRC, ...SINE, "-i", await markedAss(dir, marker), "-i", await telemetrySrt(dir, marker),
        "-map", "0", "-map", "1", "-map", "2", "-map", "3",
        ...h264WithSeiMarker(marker), "-c:a", "aac", "-c:s:0", "copy", "-c:s:1", "srt", ...tags, file,
      ]);
      return file;
    }
    case "h264-ts": {
      const file = path.join(dir, "h264.ts");
      await run("ffmpeg", [...ffmpegQuiet, ...TESTSRC, ...SINE, ...h264WithSeiMarker(marker), "-c:a", "aac", ...tags, "-f", "mpegts", file]);
      return file;
    }
    case "hevc-mp4": {
      const raw = path.join(dir, "video.hevc");
      await run("ffmpeg", [...ffmpegQuiet, ...TESTSRC, "-c:v", "libx265", "-x265-params", "log-level=error", "-f", "hevc", raw]);
      await fs.writeFile(raw, withHevcSei(await fs.readFile(raw), marker));
      const file = path.join(dir, "hevc.mp4");
      await run("ffmpeg", [...ffmpegQuiet, "-r", "10", "-f", "hevc", "-i", raw, ...SINE, "-map", "0", "-map", "1", "-c:v", "copy", "-c:a", "aac", ...tags, file]);
      await quickTimeTags(file, marker);
      return file;
    }
  }
}

/**
 * An HEVC Annex B stream with a prefix SEI NAL unit (type 39) holding `marker` as user data
 * inserted before the first slice, in the coded samples; x265 writes its own identification
 * with the parameter sets, which also end up in the MP4's hvcC header.
 */
function withHevcSei(stream: Buffer, marker: string): Buffer {
  const payload = Buffer.concat([Buffer.from(SEI_UUID.replace(/-/g, ""), "hex"), Buffer.from(marker, "latin1")]);
  if (payload.length >= 255) throw new Error("marker too long for a one-byte SEI size");
  const nal = Buffer.concat([Buffer.from([0, 0, 0, 1, 0x4e, 0x01, 5, payload.length]), payload, Buffer.from([0x80])]);
  for (let i = 0; i + 4 < stream.length; i++) {
    if (stream[i] === 0 && stream[i + 1] === 0 && stream[i + 2] === 1) {
      const type = (stream[i + 3]! >> 1) & 0x3f;
      if (type < 32) {
        const at = stream[i - 1] === 0 ? i - 1 : i;
        return Buffer.concat([stream.subarray(0, at), nal, stream.subarray(at)]);
      }
    }
  }
  throw new Error("no slice in the HEVC stream");
}

/**
 * The md5 of each stream's packets with their timing (`-f framemd5`) for one stream of a file:
 * equal before and after means the cleaner copied it exactly. For video, `decoded` hashes the
 * decoded frames instead.
 */
export async function streamHash(file: string, spec: string, decoded = false): Promise<string> {
  const { stdout } = await run("ffmpeg", ["-nostdin", "-loglevel", "error", "-i", file, "-map", spec, ...(decoded ? [] : ["-c", "copy"]), "-f", "framemd5", "-"]);
  return stdout
    .toString("utf8")
    .split("\n")
    .filter((l) => l !== "" && !l.startsWith("#"))
    .join("\n");
}
