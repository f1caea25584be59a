import crypto from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import { CONVERT, exiftool, run } from "./tools.js";

/**
 * Audio and video files with a marker in every metadata field the container can hold, made by
 * ffmpeg from its test sources (1 s, 64x48), then extended by ExifTool where it can write the
 * format, and by hand for the tags neither tool writes (APE on MP3, an `id3 ` chunk in WAV).
 */

export type MediaKind = "mp3" | "flac" | "m4a" | "wav" | "ogg" | "opus" | "mp4" | "mov" | "m4v" | "3gp" | "mkv" | "webm" | "avi";

const ffmpegQuiet = ["-nostdin", "-loglevel", "error", "-y"];
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
async function quickTimeTags(file: string, marker: string): Promise<void> {
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
