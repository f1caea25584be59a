import crypto from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AvKind, makeMarkedAv, makeMarkedOldMonkeysAudio, makeMarkedMusepack, makeMarkedMusepackSv8 } from "./helpers/make-av-formats.js";
import { mediaContent, streamKinds } from "./helpers/make-media.js";
import { findMarker } from "./helpers/marker-scan.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { type RunningServer, startServer } from "./helpers/server.js";
import { exiftool, run } from "./helpers/tools.js";

let server: RunningServer;
let dir: string;
const MARKER = `Avmark${crypto.randomBytes(6).toString("hex")}`;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-remove-av-"));
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

interface Case {
  kind: AvKind;
  /** ExifTool's FileType, before and after, read without an extension as the service does. */
  fileType: string;
  /** The streams left after cleaning: data streams are gone. */
  streams: string[];
}

const cases: Case[] = [
  { kind: "aiff", fileType: "AIFF", streams: ["audio"] },
  { kind: "aifc", fileType: "AIFC", streams: ["audio"] },
  { kind: "ape", fileType: "APE", streams: ["audio"] },
  { kind: "wma", fileType: "ASF", streams: ["audio"] },
  { kind: "wmv", fileType: "ASF", streams: ["video", "audio"] },
  { kind: "flv", fileType: "FLV", streams: ["video", "audio"] },
  { kind: "ts", fileType: "M2T", streams: ["video", "audio"] },
  { kind: "m2ts", fileType: "M2TS", streams: ["video", "audio"] },
  { kind: "wv", fileType: "WV", streams: ["audio"] },
  { kind: "mpg", fileType: "MPEG", streams: ["video", "audio"] },
];

/** ExifTool's FileType of a copy without extension (ASF types follow the extension otherwise). */
async function fileType(file: string): Promise<string> {
  const bare = path.join(dir, `bare-${crypto.randomUUID()}`);
  await fs.copyFile(file, bare);
  return (await exiftool(["-s3", "-FileType", bare])).trim();
}

describe("POST /api/v1/remove on AIFF, Monkey's Audio, Windows Media, Flash video and transport streams", () => {
  it.each(cases)("strips every tag from $kind and leaves its decoded streams as they were", async ({ kind, fileType: type, streams }) => {
    const file = await makeMarkedAv(dir, kind, MARKER);
    expect(await findMarker(file, MARKER)).not.toEqual([]);
    expect(await fileType(file)).toBe(type);
    const before = await mediaContent(file);
    expect(Object.keys(before).sort()).toEqual([...streams].sort());

    const { status, body, cleaned } = await removeViaApi(server, file, `clip.${kind}`);
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body["remaining"]).toEqual({});

    const out = path.join(dir, `cleaned-${crypto.randomUUID()}.${kind}`);
    await fs.writeFile(out, cleaned!);
    expect(await findMarker(out, MARKER)).toEqual([]);
    expect(await fileType(out)).toBe(type);
    // FLV has no stream order: ffmpeg lists streams as their first packets come.
    expect((await streamKinds(out)).sort()).toEqual([...streams].sort());
    expect(await mediaContent(out)).toEqual(before);
  });

  it("keeps the Monkey's Audio stream byte for byte but for the blanked WAV tags, with its MD5 brought up to date", async () => {
    const file = await makeMarkedAv(dir, "ape", MARKER);
    const { status, cleaned } = await removeViaApi(server, file, "song.ape");
    expect(status).toBe(200);
    const out = cleaned!;
    expect(out.toString("latin1", 0, 4)).toBe("MAC ");
    const original = await fs.readFile(file);
    const start = original.indexOf("MAC ");
    const firstFrame = 52 + 24 + out.readUInt32LE(16) + out.readUInt32LE(20);
    const frames = out.readUInt32LE(24);
    expect(out.subarray(firstFrame, firstFrame + frames)).toEqual(original.subarray(start + firstFrame, start + firstFrame + frames));
    expect(out.length).toBe(firstFrame + frames + out.readUInt32LE(32));
    const md5 = crypto.createHash("md5").update(out.subarray(firstFrame - out.readUInt32LE(20))).update(out.subarray(52, 76)).update(out.subarray(76, 76 + out.readUInt32LE(16))).digest();
    expect(out.subarray(36, 52)).toEqual(md5);
  });

  it("a Monkey's Audio file whose last tag lost its end comes back without it; one cut in its frames, or whose frames', descriptor's, seek table's or stored WAV header's length, its format or its version is damaged, is refused (fuzz seeds 2141235459, 1696388774, 1707408641, 226070679, 1657653122)", async () => {
    const file = await makeMarkedAv(dir, "ape", MARKER);
    const whole = await fs.readFile(file);
    const start = whole.indexOf("MAC ");
    const firstFrame = start + 52 + 24 + whole.readUInt32LE(start + 16) + whole.readUInt32LE(start + 20);
    const framesLength = whole.readUInt32LE(start + 24);
    const send = async (name: string, bytes: Buffer) => {
      expect(await findMarker(bytes, MARKER), name).not.toEqual([]);
      const saved = path.join(dir, `${crypto.randomUUID()}-${name}`);
      await fs.writeFile(saved, bytes);
      return removeViaApi(server, saved, name);
    };

    // The ID3v1 tag loses its last bytes: neither it nor the APE tag before it is found as a tag,
    // and both lie past the stream's stated end.
    const cut = await send("last-tag.ape", whole.subarray(0, whole.length - 19));
    expect(cut.status, JSON.stringify(cut.body)).toBe(200);
    expect(await findMarker(cut.cleaned!, MARKER)).toEqual([]);
    expect(cut.cleaned!.indexOf(whole.subarray(firstFrame, firstFrame + framesLength))).toBeGreaterThan(0);

    // Where the stored WAV trailer is cannot be told, or the stored header's end: these copied as
    // they were held the WAV's tags (the first two came back so).
    const longerFrames = Buffer.from(whole);
    longerFrames.writeUInt32LE(framesLength + 1000, start + 24);
    const noHeader = Buffer.from(whole);
    noHeader.writeUInt32LE(0, start + 20);
    const noDescriptor = Buffer.from(whole);
    noDescriptor.writeUInt32LE(0, start + 8);
    // The stored header's format tag: a format of no meaning, whose extension would be kept as read.
    const otherFormat = Buffer.from(whole);
    otherFormat.writeUInt16LE(0xff01, whole.indexOf("fmt ", start) + 8);
    // The seek table's length: shorter than its frames' entries (fuzz seed 226070679, #57: the
    // stored header was looked for inside the seek table, and the WAV's tags came back), or longer
    // (the frames' shorter, so all still adds up), which puts the stored header's start inside it.
    const seekTable = whole.readUInt32LE(start + 16);
    const shortSeek = Buffer.from(whole);
    shortSeek.writeUInt32LE(1, start + 16);
    const longSeek = Buffer.from(whole);
    longSeek.writeUInt32LE(seekTable + 8, start + 16);
    longSeek.writeUInt32LE(framesLength - 8, start + 24);
    // The version with one bit flipped (3990 -> 3478, fuzz seed 1657653122, #5739): read as a stream
    // from before 3.98 whose flags say no WAV header is stored, the stored one went out as frames.
    const oldVersion = Buffer.from(whole);
    oldVersion.writeUInt16LE(whole.readUInt16LE(start + 4) & ~0x200, start + 4);
    const damaged: Array<[string, Buffer, string]> = [
      ["frames.ape", whole.subarray(0, firstFrame + framesLength - 60), "its frames or the WAV header and trailer it stores run past its end"],
      ["frames-length.ape", longerFrames, "its frames or the WAV header and trailer it stores run past its end"],
      ["header-length.ape", noHeader, "the length of the WAV header it stores is wrong"],
      ["descriptor.ape", noDescriptor, "its headers are shorter than their fields"],
      ["format.ape", otherFormat, "the WAV header it stores names a format it does not compress"],
      ["short-seek.ape", shortSeek, "its seek table is shorter than its frames"],
      ["long-seek.ape", longSeek, "the WAV header it stores is not where its headers say"],
      ["old-version.ape", oldVersion, "a WAV header lies among its frames"],
    ];
    for (const [name, bytes, why] of damaged) {
      const { status, body } = await send(name, bytes);
      expect(status, `${name}: ${JSON.stringify(body)}`).toBe(422);
      expect(body["error"], name).toBe(`The Monkey's Audio file is damaged: ${why}.`);
    }
  });

  it("cleans a Monkey's Audio stream of the format before 3.98, whose version says how to decode it (mutagen's mac-396.ape)", async () => {
    const { file, frames } = await makeMarkedOldMonkeysAudio(dir, MARKER);
    expect((await exiftool(["-s3", "-APE:APEVersion", file])).trim()).toBe("3.96");
    const { status, body, cleaned } = await removeViaApi(server, file, "old.ape");
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body["remaining"]).toEqual({});
    const out = path.join(dir, `cleaned-${crypto.randomUUID()}.ape`);
    await fs.writeFile(out, cleaned!);
    expect(await findMarker(out, MARKER)).toEqual([]);
    expect(cleaned!.subarray(cleaned!.length - frames.length)).toEqual(frames);
  });

  // No free encoder writes the Musepack version ExifTool recognises, so the stream is a real
  // header with filler frames: what is checked is that the stream comes back byte for byte and
  // reads the same (ffprobe's view of it), and that the tags around it are gone.
  it("cuts the tags off a Musepack stream and keeps the stream byte for byte", async () => {
    const { file, stream } = await makeMarkedMusepack(dir, MARKER);
    expect(await fileType(file)).toBe("MPC");
    const probe = async (f: string): Promise<string> =>
      (await run("ffprobe", ["-v", "error", "-show_entries", "stream=codec_name,sample_rate,channels,duration_ts", "-of", "csv", f])).stdout.toString("utf8");
    const { status, body, cleaned } = await removeViaApi(server, file, "song.mpc");
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body["remaining"]).toEqual({});
    expect(cleaned).toEqual(stream);
    const out = path.join(dir, `cleaned-${crypto.randomUUID()}.mpc`);
    await fs.writeFile(out, cleaned!);
    expect(await findMarker(out, MARKER)).toEqual([]);
    expect(await fileType(out)).toBe("MPC");
    expect(await probe(out)).toBe(await probe(file));
  });

  // ExifTool does not recognise stream version 8 (it takes it for MP3 because of the ID3 tags
  // around it): the service tells it by its "MPCK" magic and reads its APE tag itself.
  it("cuts the ID3v2, APE and ID3v1 tags off a Musepack stream-version-8 file made by mpcenc; the audio decodes the same", async () => {
    const { file, stream } = await makeMarkedMusepackSv8(dir, MARKER);
    expect(await fileType(file)).toBe("MP3");
    expect(await findMarker(file, MARKER)).not.toEqual([]);
    const { status, body, cleaned } = await removeViaApi(server, file, "song.mpc");
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body["remaining"]).toEqual({});
    expect(body["removed"]).toEqual({ ape: 6, id3: 6 });
    expect(cleaned).toEqual(stream);
    const out = path.join(dir, `cleaned-${crypto.randomUUID()}.mpc`);
    await fs.writeFile(out, cleaned!);
    expect(await findMarker(out, MARKER)).toEqual([]);
    const decode = async (f: string): Promise<Buffer> => {
      const wav = path.join(dir, `decoded-${crypto.randomUUID()}.wav`);
      await run("mpcdec", [f, wav]);
      return fs.readFile(wav);
    };
    const decoded = await decode(out);
    expect(decoded.length).toBeGreaterThan(44 + 44100 * 4);
    expect(decoded).toEqual(await decode(file));
  });

  it("refuses in words a Musepack stream-version-8 file with a chapter packet (its own APE tag inside the stream)", async () => {
    const { stream } = await makeMarkedMusepackSv8(dir, MARKER);
    const endPacket = stream.length - 3;
    expect(stream.toString("latin1", endPacket, stream.length)).toBe("SE\x03");
    const chapter = Buffer.concat([Buffer.from("CT", "latin1"), Buffer.from([3 + 4 + MARKER.length]), Buffer.from([0, 0, 0, 0]), Buffer.from(MARKER, "latin1")]);
    const file = path.join(dir, `chapters-${crypto.randomUUID()}.mpc`);
    await fs.writeFile(file, Buffer.concat([stream.subarray(0, endPacket), chapter, stream.subarray(endPacket)]));
    const { status, body, cleaned } = await removeViaApi(server, file, "song.mpc");
    expect(status).toBe(422);
    expect(body["error"]).toBe("The Musepack file holds chapter tags (titles and other text for its chapters) inside its audio stream, which this service cannot remove yet.");
    expect(cleaned).toBeNull();
  });

  it("says in words why an AIFF without a format chunk cannot be cleaned", async () => {
    const bytes = Buffer.alloc(12 + 8 + 4);
    bytes.write("FORMxxxxAIFFNAME", 0, "latin1");
    bytes.writeUInt32BE(bytes.length - 8, 4);
    bytes.writeUInt32BE(4, 16);
    bytes.write("abcd", 20, "latin1");
    const file = path.join(dir, "no-comm.aiff");
    await fs.writeFile(file, bytes);
    const { status, body, cleaned } = await removeViaApi(server, file);
    expect(status).toBe(422);
    expect(body["error"]).toBe("The AIFF file could not be read: it has no format chunk.");
    expect(cleaned).toBeNull();
  });
});
