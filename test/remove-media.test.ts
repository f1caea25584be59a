import http from "node:http";
import type { AddressInfo } from "node:net";
import crypto from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { remux } from "../src/cleaners/media/ffmpeg.js";
import { BadFileError } from "../src/cleaners/errors.js";
import { type HiddenMediaKind, type MediaKind, makeHiddenMedia, makeMarkedMedia, mediaContent, quickTimeTags, streamHash, streamKinds } from "./helpers/make-media.js";
import { findMarker } from "./helpers/marker-scan.js";
import { badMatroskaCrcs } from "./helpers/matroska-crc.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { type RunningServer, startServer } from "./helpers/server.js";
import { exiftool, ffmpegQuiet, run } from "./helpers/tools.js";

let server: RunningServer;
let dir: string;
const MARKER = `Mediamark${crypto.randomBytes(6).toString("hex")}`;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-remove-media-"));
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

interface Case {
  kind: MediaKind;
  /** ExifTool's FileType, before and after. */
  fileType: string;
  /** The streams left after cleaning: cover art, data tracks and attachments are gone. */
  streams: string[];
}

const cases: Case[] = [
  { kind: "mp3", fileType: "MP3", streams: ["audio"] },
  { kind: "aac", fileType: "AAC", streams: ["audio"] },
  { kind: "flac", fileType: "FLAC", streams: ["audio"] },
  { kind: "m4a", fileType: "M4A", streams: ["audio"] },
  { kind: "wav", fileType: "WAV", streams: ["audio"] },
  { kind: "ogg", fileType: "OGG", streams: ["audio"] },
  { kind: "opus", fileType: "OPUS", streams: ["audio"] },
  { kind: "mp4", fileType: "MP4", streams: ["video", "audio", "subtitle"] },
  { kind: "mov", fileType: "MOV", streams: ["video", "audio", "subtitle"] },
  { kind: "m4v", fileType: "M4V", streams: ["video", "audio"] },
  { kind: "3gp", fileType: "3GP", streams: ["video", "audio"] },
  { kind: "mkv", fileType: "MKV", streams: ["video", "audio", "subtitle"] },
  { kind: "webm", fileType: "WEBM", streams: ["video", "audio"] },
  { kind: "mka", fileType: "MKA", streams: ["audio"] },
  { kind: "webm-audio", fileType: "MKA", streams: ["audio"] },
  { kind: "avi", fileType: "AVI", streams: ["video", "audio"] },
];

describe("POST /api/v1/remove on audio and video", () => {
  it.each(cases)("strips every tag from $kind and leaves its streams as they were", async ({ kind, fileType, streams }) => {
    const file = await makeMarkedMedia(dir, kind, MARKER);
    expect(await findMarker(file, MARKER)).not.toEqual([]);
    expect((await exiftool(["-s3", "-FileType", file])).trim()).toBe(fileType);
    const before = await mediaContent(file);

    const { status, body, cleaned } = await removeViaApi(server, file, `clip.${kind}`);
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body["remaining"]).toEqual({});
    expect(cleaned).not.toBeNull();

    const out = path.join(dir, `cleaned.${kind}`);
    await fs.writeFile(out, cleaned!);
    expect(await findMarker(out, MARKER)).toEqual([]);
    expect((await exiftool(["-s3", "-FileType", out])).trim()).toBe(fileType);
    expect(await streamKinds(out)).toEqual(streams);
    expect(await mediaContent(out)).toEqual(before);
  });

  it("writes an audio-only WebM back as a WebM and an audio-only Matroska file as Matroska (players check the DocType)", async () => {
    for (const [kind, docType] of [["webm-audio", "webm"], ["mka", "matroska"]] as const) {
      const file = await makeMarkedMedia(dir, kind, MARKER);
      const { status, cleaned } = await removeViaApi(server, file, `audio.${kind}`);
      expect(status).toBe(200);
      const out = path.join(dir, `cleaned-doctype.${kind}`);
      await fs.writeFile(out, cleaned!);
      expect((await exiftool(["-s3", "-DocType", out])).trim()).toBe(docType);
    }
  });

  it("keeps a video's display rotation (the track matrix), which is how it is shown, not metadata", async () => {
    const file = await makeMarkedMedia(dir, "mp4", MARKER);
    await exiftool(["-q", "-overwrite_original", "-Rotation=90", file]);
    const { status, cleaned } = await removeViaApi(server, file, "rotated.mp4");
    expect(status).toBe(200);
    const out = path.join(dir, "cleaned-rotated.mp4");
    await fs.writeFile(out, cleaned!);
    expect((await exiftool(["-s3", "-Rotation", out])).trim()).toBe("90");
  });
});

/** Playlists that would make ffmpeg read whatever `target` names, were it to probe the type itself. */
function playlists(): Array<[string, (target: string) => string]> {
  return [
    ["HLS playlist", (target) => `#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:1.0,\n${target}\n#EXT-X-ENDLIST\n`],
    ["ffconcat list", (target) => `ffconcat version 1.0\nfile '${target}'\n`],
  ];
}

describe("ffmpeg never reads another file than the one it was given", () => {
  // A playlist pointing at a neighbouring file: if ffmpeg probed the type itself, the HLS or
  // concat demuxer would copy that file's bytes into the "cleaned" output.
  it.each(playlists())("refuses a %s named .mp4 through the API", async (_name, playlist) => {
    const secret = await makeMarkedMedia(dir, "mp4", MARKER);
    const file = path.join(dir, "playlist.mp4");
    await fs.writeFile(file, playlist(secret));
    const { status, cleaned } = await removeViaApi(server, file, "video.mp4");
    expect(status).toBe(422);
    expect(cleaned).toBeNull();
  });

  it.each(playlists())("does not follow a %s even when told it is an MP4", async (_name, playlist) => {
    const secret = await makeMarkedMedia(dir, "mp4", MARKER);
    const input = path.join(dir, "forced-input");
    const output = path.join(dir, "forced-output");
    await fs.writeFile(input, playlist(secret));
    await fs.rm(output, { force: true });
    const attempt = remux({ input, output, demuxer: "mov", muxer: "mp4", typeName: "MP4" });
    await expect(attempt).rejects.toBeInstanceOf(BadFileError);
    const written = await fs.readFile(output).catch(() => Buffer.alloc(0));
    expect(await findMarker(written, MARKER)).toEqual([]);
    expect(written.length).toBeLessThan(1024);
  });
});

describe("ffmpeg never reaches the network", () => {
  it.each(playlists())("ignores a %s that names an HTTP address, through the API and when forced", async (_name, playlist) => {
    const hits: string[] = [];
    const listener = http.createServer((req, res) => {
      hits.push(req.url ?? "");
      res.end();
    });
    await new Promise<void>((r) => listener.listen(0, "127.0.0.1", r));
    const { port } = listener.address() as AddressInfo;
    try {
      const file = path.join(dir, "remote-playlist.mp4");
      await fs.writeFile(file, playlist(`http://127.0.0.1:${port}/segment.ts`));
      const { status } = await removeViaApi(server, file, "video.mp4");
      expect(status).toBe(422);
      const output = path.join(dir, "remote-forced-output");
      await expect(remux({ input: file, output, demuxer: "mov", muxer: "mp4", typeName: "MP4" })).rejects.toBeInstanceOf(BadFileError);
      expect(hits).toEqual([]);
    } finally {
      listener.close();
    }
  });
});

describe("damaged media", () => {
  it("refuses an MP3 with tags but no audio frames", async () => {
    const file = path.join(dir, "empty.mp3");
    const tagged = await makeMarkedMedia(dir, "mp3", MARKER);
    const bytes = await fs.readFile(tagged);
    // Keep the ID3v2 tag, replace the audio by text.
    const id3Size = 10 + ((bytes[6]! << 21) | (bytes[7]! << 14) | (bytes[8]! << 7) | bytes[9]!);
    await fs.writeFile(file, Buffer.concat([bytes.subarray(0, id3Size), Buffer.alloc(4000, "not audio ")]));
    const { status, body, cleaned } = await removeViaApi(server, file);
    expect(status).toBe(422);
    expect(body["error"]).toBe("The MP3 file holds no MPEG audio frames.");
    expect(cleaned).toBeNull();
  });

  it.each(["mp4", "mp3", "flac", "mkv"] as const)("never hands back an uncleaned copy of a truncated %s", async (kind) => {
    const marked = await makeMarkedMedia(dir, kind, MARKER);
    const bytes = await fs.readFile(marked);
    const file = path.join(dir, `truncated.${kind}`);
    await fs.writeFile(file, bytes.subarray(0, Math.floor(bytes.length * 0.6)));
    const { status, cleaned } = await removeViaApi(server, file);
    expect([200, 422]).toContain(status);
    if (cleaned != null) expect(await findMarker(cleaned, MARKER)).toEqual([]);
  });

  // Found by the fuzz run: cut inside the first video sample, the video track has nothing left to
  // copy and the copy would be audio only (ExifTool: M4A). That is not the same file: refused.
  it("refuses an MP4 cut inside its first video sample rather than hand back its sound alone", async () => {
    const marked = await makeMarkedMedia(dir, "mp4", MARKER);
    const probe = await run("ffprobe", ["-v", "error", "-select_streams", "V:0", "-show_entries", "packet=pos", "-read_intervals", "%+#1", "-of", "csv=p=0", marked]);
    const firstVideoSample = Number(probe.stdout.toString("utf8").trim().split("\n")[0]);
    expect(firstVideoSample).toBeGreaterThan(0);
    const bytes = await fs.readFile(marked);
    const file = path.join(dir, "cut-in-video.mp4");
    await fs.writeFile(file, bytes.subarray(0, firstVideoSample + 16));
    const { status, body, cleaned } = await removeViaApi(server, file);
    expect(status, JSON.stringify(body)).toBe(422);
    expect(cleaned).toBeNull();
  });

  it("keeps a FLAC's seek table (libFLAC writes one into nearly every file) and cleans the file", async () => {
    const bytes = await fs.readFile(await makeMarkedMedia(dir, "flac", MARKER));
    // After "fLaC" and STREAMINFO (4 + 4 + 34 bytes), a SEEKTABLE block (type 3) of one point:
    // sample 0 at the first frame, which holds the stream's smallest block size of samples.
    const point = Buffer.alloc(18);
    point.writeUInt16BE(bytes.readUInt16BE(8), 16);
    const seekTable = Buffer.concat([Buffer.from([3, 0, 0, point.length]), point]);
    expect(bytes[4]! & 0x80).toBe(0);
    const file = path.join(dir, "seektable.flac");
    await fs.writeFile(file, Buffer.concat([bytes.subarray(0, 42), seekTable, bytes.subarray(42)]));
    expect((await exiftool(["-u", "-s3", "-FLAC:SeekTable", file])).trim()).toMatch(/binary data 18 bytes/i);
    const before = await mediaContent(file);

    const { status, body, cleaned } = await removeViaApi(server, file);
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body["remaining"]).toEqual({});
    const out = path.join(dir, "cleaned-seektable.flac");
    await fs.writeFile(out, cleaned!);
    expect(await findMarker(out, MARKER)).toEqual([]);
    expect(cleaned!.includes(seekTable.subarray(1))).toBe(true);
    expect(await mediaContent(out)).toEqual(before);
  });

  it("refuses a FLAC whose first block is not STREAMINFO", async () => {
    const marked = await makeMarkedMedia(dir, "flac", MARKER);
    const bytes = Buffer.from(await fs.readFile(marked));
    bytes[4] = (bytes[4]! & 0x80) | 4; // the first block now claims to be a VORBIS_COMMENT
    const file = path.join(dir, "bad.flac");
    await fs.writeFile(file, bytes);
    const { status, cleaned } = await removeViaApi(server, file);
    expect(status).toBe(422);
    expect(cleaned).toBeNull();
  });
});

describe("hidden content in audio and video", () => {
  interface HiddenCase {
    kind: HiddenMediaKind;
    fileType: string;
    /** Streams of the dirty file, and of the clean copy. */
    before: string[];
    after: string[];
    /** Streams (ffmpeg specs, in the copy's numbering) whose packets must be copied exactly, from the original's. */
    exact: Array<[original: string, copy: string]>;
    removed: Record<string, number>;
  }
  const hiddenCases: HiddenCase[] = [
    {
      kind: "mp4-telemetry",
      fileType: "MP4",
      before: ["video", "audio", "subtitle", "subtitle"],
      after: ["video", "audio", "subtitle"],
      // Ordinary subtitles that name a place now and then are content: copied as they were.
      exact: [["0:s:0", "0:s:0"]],
      // Two user-data messages: x264's own and the planted one.
      removed: { subtitles: 1, seiUserData: 2, aacText: 1 },
    },
    {
      kind: "mkv-ass",
      fileType: "MKV",
      before: ["video", "audio", "subtitle", "subtitle"],
      after: ["video", "audio", "subtitle"],
      // ASS events keep their text and exact times; only the header (codec private) changes.
      exact: [["0:s:0", "0:s:0"]],
      // 13 header lines: two comments, six editor fields, the project section (4), a comment among the styles.
      removed: { subtitles: 1, seiUserData: 2, subtitleHeaders: 13, aacText: 1 },
    },
    {
      kind: "hevc-mp4",
      fileType: "MP4",
      before: ["video", "audio"],
      after: ["video", "audio"],
      exact: [],
      // x265's own message (in hvcC) and the planted one (in the first sample).
      removed: { seiUserData: 2, aacText: 1 },
    },
    {
      kind: "h264-ts",
      fileType: "M2T",
      before: ["video", "audio"],
      after: ["video", "audio"],
      exact: [],
      // TS cuts the SEI units over its 188-byte packets: they are patched through them.
      removed: { seiUserData: 2, aacText: 1 },
    },
  ];

  it.each(hiddenCases)("$kind: markers gone from subtitles, headers and SEI; decoded frames identical", async (c) => {
    const file = await makeHiddenMedia(dir, c.kind, MARKER);
    expect(await findMarker(file, MARKER)).not.toEqual([]);
    expect(await streamKinds(file)).toEqual(c.before);
    expect((await exiftool(["-s3", "-FileType", file])).trim()).toBe(c.fileType);

    const { status, body, cleaned } = await removeViaApi(server, file, `hidden-${c.kind}`);
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body["remaining"]).toEqual({});
    const out = path.join(dir, `cleaned-${c.kind}`);
    await fs.writeFile(out, cleaned!);

    expect(await findMarker(out, MARKER)).toEqual([]);
    // The encoders' own identification strings go with the planted ones.
    expect(cleaned!.includes("x264 - core")).toBe(false);
    expect(cleaned!.includes("x265 (build")).toBe(false);
    expect(await streamKinds(out)).toEqual(c.after);
    expect(await streamHash(out, "0:V", true)).toBe(await streamHash(file, "0:V", true));
    for (const [original, copy] of c.exact) expect(await streamHash(out, copy)).toBe(await streamHash(file, original));
    // The sound's packets change only where ffmpeg's AAC encoder wrote "Lavc…" (`aacText`): it decodes the same.
    expect(await streamHash(out, "0:a", true)).toBe(await streamHash(file, "0:a", true));
    expect(body["removed"]).toMatchObject(c.removed);
    // The ASS header and SEI are patched after muxing: the copy's checksums must still hold.
    if (c.fileType === "MKV") expect(await badMatroskaCrcs(out)).toEqual([]);
  });

  it("keeps only the rendering fields of an ASS header, in the same order", async () => {
    const file = await makeHiddenMedia(dir, "mkv-ass", MARKER);
    const { status, cleaned } = await removeViaApi(server, file, "subs.mkv");
    expect(status).toBe(200);
    const out = path.join(dir, "cleaned-subs.mkv");
    await fs.writeFile(out, cleaned!);
    const { stdout } = await run("ffmpeg", ["-nostdin", "-loglevel", "error", "-i", out, "-map", "0:s:0", "-c", "copy", "-f", "ass", "-"]);
    const header = stdout.toString("utf8").split("[Events]")[0]!.trim().split("\n").filter((l) => l.trim() !== "");
    expect(header).toEqual([
      "[Script Info]",
      "ScriptType: v4.00+",
      "PlayResX: 640",
      "PlayResY: 480",
      "WrapStyle: 0",
      "ScaledBorderAndShadow: yes",
      "YCbCr Matrix: TV.601",
      "[V4+ Styles]",
      expect.stringMatching(/^Format: Name, Fontname,/),
      expect.stringMatching(/^Style: Default,Arial,20,/),
    ]);
  });

  it("cleans a MOV of IMA4 sound, whose channel layout box (`chan`) ffmpeg writes (was refused: NumChannelDescriptions left)", async () => {
    const file = path.join(dir, "ima4.mov");
    await run("ffmpeg", [...ffmpegQuiet, "-f", "lavfi", "-i", "testsrc=size=64x64:rate=10:d=2", "-f", "lavfi", "-i", "sine=d=2", "-c:v", "libx264", "-c:a", "adpcm_ima_qt", file]);
    await quickTimeTags(file, MARKER);
    expect(await findMarker(file, MARKER)).not.toEqual([]);
    const { status, body, cleaned } = await removeViaApi(server, file);
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body["remaining"]).toEqual({});
    const out = path.join(dir, "cleaned-ima4.mov");
    await fs.writeFile(out, cleaned!);
    expect(await findMarker(out, MARKER)).toEqual([]);
    expect(await mediaContent(out)).toEqual(await mediaContent(file));
  });

  // The way two real QuickTime files came back with every track dropped: tracks whose samples
  // cannot be reached. The muxer leaves such tracks out without an error; the copy is refused.
  it("refuses a MOV whose tracks would all be lost, and logs why", async () => {
    const bytes = await fs.readFile(await makeMarkedMedia(dir, "mov", MARKER));
    let emptied = 0;
    for (let at = bytes.indexOf("stsz"); at >= 0; at = bytes.indexOf("stsz", at + 4)) {
      bytes.writeUInt32BE(0, at + 12); // sample_count: the track has no samples left
      emptied++;
    }
    expect(emptied).toBeGreaterThan(1);
    const file = path.join(dir, "empty-tracks.mov");
    await fs.writeFile(file, bytes);
    const { status, body, cleaned } = await removeViaApi(server, file);
    expect(status, JSON.stringify(body)).toBe(422);
    expect(body["error"]).toBe("The MOV file's tracks could not all be copied; it may be damaged.");
    expect(cleaned).toBeNull();
    // The log is written asynchronously: the line may follow the answer by a moment.
    await expect.poll(() => server.logs.some((l) => l.includes("tracks could not all be copied")), { timeout: 5000 }).toBe(true);
    const line = server.logs.find((l) => l.includes("tracks could not all be copied"));
    expect(line).toMatch(/"cause":"Error: kept video h264, audio aac, subtitle mov_text from .* but the copy holds/);
  });
});
