import crypto from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import { run } from "./tools.js";

/**
 * The audio and video formats of issue 15 with a marker in every place their metadata can be:
 * ffmpeg makes the containers and fills the tags its muxers write (ExifTool writes none of
 * these formats); the places no muxer fills are added by hand (AIFF comment, marker and
 * application chunks; an ID3 tag in a transport stream's data stream; the tags around a
 * Monkey's Audio stream and inside its copy of the WAV header; WavPack's APEv2 tag, written by
 * the wavpack tool around ffmpeg's WAV and its LIST INFO; a private data packet in an MPEG program
 * stream).
 */
export type AvKind = "aiff" | "aifc" | "ape" | "wma" | "wmv" | "flv" | "ts" | "m2ts" | "wv" | "mpg";

const QUIET = ["-nostdin", "-loglevel", "error", "-y"];
const SINE = ["-f", "lavfi", "-i", "sine=frequency=440:duration=1"];
const TESTSRC = ["-f", "lavfi", "-i", "testsrc=size=64x48:rate=10:duration=1"];

function tags(marker: string): string[] {
  return ["title", "artist", "author", "album", "comment", "copyright", "description", "genre", "composer", "encoded_by", "publisher", "date"].flatMap((k) => [
    "-metadata",
    `${k}=${marker}`,
  ]);
}

export async function makeMarkedAv(dir: string, kind: AvKind, marker: string): Promise<string> {
  const file = path.join(dir, `marked-${crypto.randomUUID()}.${kind}`);
  const t = tags(marker);
  switch (kind) {
    case "aiff":
    case "aifc":
      // ffmpeg writes NAME, AUTH, "(c) " and ANNO from the tags, and an ID3 chunk.
      await run("ffmpeg", [...QUIET, ...SINE, "-c:a", kind === "aifc" ? "pcm_s16le" : "pcm_s16be", "-write_id3v2", "1", ...t, "-f", "aiff", file]);
      await appendAiffChunks(file, marker);
      return file;
    case "ape":
      await fs.writeFile(file, monkeysAudio(marker));
      return file;
    case "wma":
      await run("ffmpeg", [...QUIET, ...SINE, "-i", await chapters(dir, marker), "-map", "0", "-map_chapters", "1", "-c:a", "wmav2", ...t, "-f", "asf", file]);
      return file;
    case "wmv":
      await run("ffmpeg", [
        ...QUIET, ...TESTSRC, ...SINE, "-i", await chapters(dir, marker), "-map", "0", "-map", "1", "-map_chapters", "2",
        "-c:v", "wmv2", "-c:a", "wmav2", ...t, "-metadata:s:v", `title=${marker}`, "-f", "asf", file,
      ]);
      return file;
    case "flv":
      await run("ffmpeg", [...QUIET, ...TESTSRC, ...SINE, "-c:v", "flv1", "-c:a", "mp3", ...t, "-f", "flv", file]);
      return file;
    case "wv": {
      const wav = path.join(dir, `source-${crypto.randomUUID()}.wav`);
      await run("ffmpeg", [...QUIET, ...SINE, ...t, "-f", "wav", wav]);
      await run("wavpack", ["-q", "-y", "-w", `Title=${marker}`, "-w", `Artist=${marker}`, wav, "-o", file]);
      return file;
    }
    case "mpg":
      await run("ffmpeg", [...QUIET, ...TESTSRC, ...SINE, "-c:v", "mpeg2video", "-c:a", "mp2", "-f", "vob", file]);
      await fs.writeFile(file, withPrivatePacket(await fs.readFile(file), marker));
      return file;
    case "ts":
    case "m2ts":
      // The service description table names the provider and the service.
      await run("ffmpeg", [
        ...QUIET, ...TESTSRC, ...SINE, "-c:v", "mpeg2video", "-c:a", "mp2", ...t,
        "-metadata", `service_provider=${marker}`, "-metadata", `service_name=${marker}`,
        "-metadata:s:a", "language=fra",
        ...(kind === "m2ts" ? ["-mpegts_m2ts_mode", "1"] : []),
        "-f", "mpegts", file,
      ]);
      await appendId3Stream(file, marker, kind === "m2ts" ? 192 : 188);
      return file;
  }
}

/**
 * A program stream with a private data packet (stream 0xBF, where DVD recorders keep the recording
 * date and camera settings) holding the marker, put in before its second pack header.
 */
function withPrivatePacket(ps: Buffer, marker: string): Buffer {
  const second = ps.indexOf(Buffer.from([0, 0, 1, 0xba]), 4);
  const payload = Buffer.from(`${marker} recorded 2019-05-04`, "latin1");
  const head = Buffer.from([0, 0, 1, 0xbf, 0, 0]);
  head.writeUInt16BE(payload.length, 4);
  return Buffer.concat([ps.subarray(0, second), head, payload, ps.subarray(second)]);
}

async function chapters(dir: string, marker: string): Promise<string> {
  const file = path.join(dir, `chapters-${crypto.randomUUID()}.txt`);
  await fs.writeFile(file, `;FFMETADATA1\n[CHAPTER]\nTIMEBASE=1/1000\nSTART=0\nEND=500\ntitle=${marker}\n`);
  return file;
}

const ID3_PID = 0x1400;

/**
 * A timed ID3 stream as HLS and broadcast encoders write it: every program map table gains an
 * entry for a PID of stream type 0x15 (metadata in PES packets) whose metadata descriptor says
 * "ID3 ", and a PES packet on that PID carries an ID3 tag. ffmpeg's muxer writes no such stream
 * from a file, so it is added to ffmpeg's output by hand.
 */
async function appendId3Stream(file: string, marker: string, packetSize: 188 | 192): Promise<void> {
  const bytes = await fs.readFile(file);
  const prefix = packetSize - 188;
  let patched = 0;
  let pmtPid = -1;
  for (let at = prefix; at + 188 <= bytes.length; at += packetSize) {
    if (bytes[at] !== 0x47) throw new Error(`no sync byte at ${at}`);
    const pid = ((bytes[at + 1]! & 0x1f) << 8) | bytes[at + 2]!;
    // ffmpeg starts each table section in its own packet, right after a pointer field of 0; the
    // program association table (PID 0) names the program map table's PID.
    if ((bytes[at + 1]! & 0x40) === 0) continue;
    if (pid === 0) pmtPid = bytes.readUInt16BE(at + 5 + 10) & 0x1fff;
    if (pid !== pmtPid) continue;
    addId3Entry(bytes.subarray(at + 5, at + 188));
    patched++;
  }
  if (patched === 0) throw new Error("no program map table found");
  const id3 = id3v2(marker);
  const pes = Buffer.concat([Buffer.from([0, 0, 1, 0xbd]), be16(3 + id3.length), Buffer.from([0x84, 0x80, 5]), pts(0), id3]);
  const packet = Buffer.alloc(188, 0xff);
  Buffer.from([0x47, 0x40 | (ID3_PID >> 8), ID3_PID & 0xff, 0x10]).copy(packet, 0);
  pes.copy(packet, 4);
  // M2TS puts a 4-byte arrival timestamp before each packet.
  await fs.writeFile(file, Buffer.concat([bytes, Buffer.alloc(prefix), packet]));
}

/** Adds the ID3 stream's entry at the end of a program map section, in place, and its new CRC. */
function addId3Entry(section: Buffer): void {
  const length = ((section[1]! & 0x0f) << 8) | section[2]!;
  const end = 3 + length - 4;
  const descriptor = Buffer.from([0x26, 13, 0xff, 0xff, ...Buffer.from("ID3 "), 0xff, ...Buffer.from("ID3 "), 0, 0x0f]);
  const entry = Buffer.concat([Buffer.from([0x15, 0xe0 | (ID3_PID >> 8), ID3_PID & 0xff, 0xf0, descriptor.length]), descriptor]);
  if (end + entry.length + 4 > section.length) throw new Error("program map table packet is full");
  entry.copy(section, end);
  const newLength = length + entry.length;
  section[1] = (section[1]! & 0xf0) | (newLength >> 8);
  section[2] = newLength & 0xff;
  section.writeUInt32BE(crc32Mpeg(section.subarray(0, end + entry.length)), end + entry.length);
}

function crc32Mpeg(data: Buffer): number {
  let crc = 0xffffffff;
  for (const byte of data) {
    crc ^= byte << 24;
    for (let i = 0; i < 8; i++) crc = crc & 0x80000000 ? (crc << 1) ^ 0x04c11db7 : crc << 1;
  }
  return crc >>> 0;
}

/** A PES presentation time stamp of `t` (90 kHz units), with the PTS-only prefix. */
function pts(t: number): Buffer {
  return Buffer.from([0x21 | ((t >> 29) & 0x0e), (t >> 22) & 0xff, 0x01 | ((t >> 14) & 0xfe), (t >> 7) & 0xff, 0x01 | ((t << 1) & 0xfe)]);
}

/** An ID3v2.3 tag holding one TIT2 frame. */
export function id3v2(marker: string): Buffer {
  const text = Buffer.concat([Buffer.from([0]), Buffer.from(marker, "latin1")]);
  const frame = Buffer.concat([Buffer.from("TIT2", "latin1"), be32(text.length), Buffer.alloc(2), text]);
  const size = frame.length;
  return Buffer.concat([Buffer.from("ID3\x03\x00\x00", "latin1"), Buffer.from([(size >> 21) & 0x7f, (size >> 14) & 0x7f, (size >> 7) & 0x7f, size & 0x7f]), frame]);
}

/** COMT (a comment with its author's marker id), MARK (a named cue point) and APPL chunks. */
async function appendAiffChunks(file: string, marker: string): Promise<void> {
  const m = Buffer.from(marker, "latin1");
  const pstring = Buffer.concat([Buffer.from([m.length]), m, Buffer.alloc((m.length + 1) % 2)]);
  const comt = Buffer.concat([be16(1), be32(0x7c25b080), be16(0), be16(m.length), m, Buffer.alloc(m.length % 2)]);
  const mark = Buffer.concat([be16(1), be16(1), be32(0), pstring]);
  const appl = Buffer.concat([Buffer.from("test", "latin1"), m]);
  const chunk = (id: string, data: Buffer): Buffer => Buffer.concat([Buffer.from(id, "latin1"), be32(data.length), data, Buffer.alloc(data.length % 2)]);
  const bytes = Buffer.concat([await fs.readFile(file), chunk("COMT", comt), chunk("MARK", mark), chunk("APPL", appl)]);
  bytes.writeUInt32BE(bytes.length - 8, 4);
  await fs.writeFile(file, bytes);
}

/**
 * A Monkey's Audio file (format 3.99) of one second of stereo silence: ten frames, each a
 * "silent" frame code, which ffmpeg decodes to zeros without a range coder. No free encoder
 * exists in Debian. Around it: an ID3v2 tag before, an APEv2 tag and an ID3v1 tag after; inside
 * it, the copy of the WAV header carries a LIST INFO chunk, and the WAV trailer an `id3 ` chunk.
 */
function monkeysAudio(marker: string): Buffer {
  const frames = 10;
  const blocks = 4410;
  const frameLength = 16;
  const trailer = riffChunk("id3 ", id3v2(marker));
  const wavHeader = storedWavHeader(marker, frames * blocks * 4, trailer.length);

  const descriptor = Buffer.alloc(52);
  descriptor.write("MAC ", 0, "latin1");
  descriptor.writeUInt16LE(3990, 4);
  descriptor.writeUInt32LE(52, 8);
  descriptor.writeUInt32LE(24, 12);
  descriptor.writeUInt32LE(frames * 4, 16);
  descriptor.writeUInt32LE(wavHeader.length, 20);
  descriptor.writeUInt32LE(frames * frameLength, 24);
  descriptor.writeUInt32LE(trailer.length, 32);
  const header = Buffer.alloc(24);
  header.writeUInt16LE(2000, 0);
  header.writeUInt32LE(blocks, 4);
  header.writeUInt32LE(blocks, 8);
  header.writeUInt32LE(frames, 12);
  header.writeUInt16LE(16, 16);
  header.writeUInt16LE(2, 18);
  header.writeUInt32LE(44100, 20);
  const firstFrame = 52 + 24 + frames * 4 + wavHeader.length;
  const { seekTable, frameData } = silentFrames(frames, frameLength, firstFrame);
  const stream = Buffer.concat([descriptor, header, seekTable, wavHeader, frameData, trailer]);
  // The file's MD5, as Monkey's Audio computes it, so that the cleaner has one to keep right.
  crypto.createHash("md5").update(stream.subarray(firstFrame - wavHeader.length)).update(header).update(seekTable).digest().copy(stream, 36);
  return Buffer.concat([id3v2(marker), stream, apeTag(marker), id3v1(marker)]);
}

/**
 * Monkey's Audio of the format before version 3.98 (mutagen's mac-396.ape): a 32-byte header
 * (version 3.96, no descriptor), the stored WAV header with an INFO tag, the seek table, frames of
 * silence; the same tags around the stream. Returns the file and where its frames are in it.
 */
export async function makeMarkedOldMonkeysAudio(dir: string, marker: string): Promise<{ file: string; frames: Buffer }> {
  const frames = 10;
  const frameLength = 16;
  const wavHeader = storedWavHeader(marker, frames * 4410 * 4, 0);
  // cID, nVersion, nCompressionLevel, nFormatFlags, nChannels, nSampleRate, nHeaderBytes,
  // nTerminatingBytes, nTotalFrames, nFinalFrameBlocks.
  const header = Buffer.alloc(32);
  header.write("MAC ", 0, "latin1");
  header.writeUInt16LE(3960, 4);
  header.writeUInt16LE(2000, 6);
  header.writeUInt16LE(2, 10);
  header.writeUInt32LE(44100, 12);
  header.writeUInt32LE(wavHeader.length, 16);
  header.writeUInt32LE(frames, 24);
  header.writeUInt32LE(4410, 28);
  const { seekTable, frameData } = silentFrames(frames, frameLength, header.length + wavHeader.length + frames * 4);
  const file = path.join(dir, `marked-${crypto.randomUUID()}.ape`);
  await fs.writeFile(file, Buffer.concat([id3v2(marker), header, wavHeader, seekTable, frameData, apeTag(marker), id3v1(marker)]));
  return { file, frames: Buffer.concat([seekTable, frameData]) };
}

/** Monkey's Audio frames of stereo silence from `firstFrame` on, and the seek table pointing at them. */
function silentFrames(frames: number, frameLength: number, firstFrame: number): { seekTable: Buffer; frameData: Buffer } {
  const seekTable = Buffer.alloc(frames * 4);
  const frameData = Buffer.alloc(frames * frameLength);
  for (let i = 0; i < frames; i++) {
    seekTable.writeUInt32LE(firstFrame + i * frameLength, i * 4);
    // CRC with the "frame flags follow" bit, then the flags: stereo silence.
    frameData.writeUInt32LE((0x80000000 | i) >>> 0, i * frameLength);
    frameData.writeUInt32LE(3, i * frameLength + 4);
  }
  return { seekTable, frameData };
}

/**
 * The header of the WAV a Monkey's Audio stream was made from, as the stream stores it: 16-bit
 * stereo at 44.1 kHz (with `marker` in the format chunk past PCM's fields, which no reader reads),
 * an INFO tag naming `marker`, up to the data chunk's header.
 */
export function storedWavHeader(marker: string, dataBytes: number, trailerBytes: number): Buffer {
  const fmt = Buffer.alloc(16);
  fmt.writeUInt16LE(1, 0);
  fmt.writeUInt16LE(2, 2);
  fmt.writeUInt32LE(44100, 4);
  fmt.writeUInt32LE(44100 * 4, 8);
  fmt.writeUInt16LE(4, 12);
  fmt.writeUInt16LE(16, 14);
  const info = riffChunk("LIST", Buffer.concat([Buffer.from("INFO", "latin1"), riffChunk("IART", Buffer.from(`${marker}\0`, "latin1"))]));
  const body = Buffer.concat([Buffer.from("WAVE", "latin1"), riffChunk("fmt ", Buffer.concat([fmt, Buffer.from(` ${marker}`, "latin1")])), info]);
  return Buffer.concat([Buffer.from("RIFF", "latin1"), le32(body.length + 8 + dataBytes + trailerBytes), body, Buffer.from("data", "latin1"), le32(dataBytes)]);
}

/** An APEv2 tag (header, one item, footer). */
function apeTag(marker: string): Buffer {
  const value = Buffer.from(marker, "utf8");
  const item = Buffer.concat([le32(value.length), le32(0), Buffer.from("Artist\0", "latin1"), value]);
  const frame = (isHeader: boolean): Buffer =>
    Buffer.concat([Buffer.from("APETAGEX", "latin1"), le32(2000), le32(item.length + 32), le32(1), le32((0x80000000 | (isHeader ? 0x20000000 : 0)) >>> 0), Buffer.alloc(8)]);
  return Buffer.concat([frame(true), item, frame(false)]);
}

export function id3v1(marker: string): Buffer {
  const tag = Buffer.alloc(128);
  tag.write("TAG", 0, "latin1");
  tag.write(marker.slice(0, 30), 3, "latin1");
  return tag;
}

export function riffChunk(id: string, data: Buffer): Buffer {
  return Buffer.concat([Buffer.from(id, "latin1"), le32(data.length), data, Buffer.alloc(data.length % 2)]);
}

export function le32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n >>> 0);
  return b;
}

function be32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
}

function be16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
}

/**
 * A Musepack stream-version-7 file: its 28-byte header ("MP+", version 7, 10 frames, 44.1 kHz,
 * encoder 1.1.5) and 1 KiB of frame bytes, with an ID3v2 tag before it and an
 * APEv2 and an ID3v1 tag after it, each holding the marker. No free tool writes stream version 7
 * (Debian's mpcenc writes version 8, which ExifTool does not recognise), so the frames are
 * filler: ffmpeg reads the header but cannot decode them. Returns the file and the stream alone.
 */
export async function makeMarkedMusepack(dir: string, marker: string): Promise<{ file: string; stream: Buffer }> {
  const header = Buffer.alloc(28);
  header.write("MP+", 0, "latin1");
  header[3] = 0x07;
  header.writeUInt32LE(10, 4);
  header[27] = 115;
  const frames = crypto.createHash("sha512").update("musepack frames").digest();
  const stream = Buffer.concat([header, ...Array.from({ length: 16 }, () => frames)]);
  const file = path.join(dir, `marked-${crypto.randomUUID()}.mpc`);
  await fs.writeFile(file, Buffer.concat([id3v2(marker), stream, apeTag(marker), id3v1(marker)]));
  return { file, stream };
}

/**
 * A Musepack stream-version-8 file made by Debian's mpcenc from a two-second chord, with the
 * APEv2 tag mpcenc writes (title, artist, album, comment, a key named after the marker and a
 * binary cover holding it), an ID3v2 tag put before it and an ID3v1 tag after it, each holding
 * the marker. Returns
 * the file and the stream alone (what mpcenc wrote before its tag).
 */
export async function makeMarkedMusepackSv8(dir: string, marker: string): Promise<{ file: string; stream: Buffer }> {
  const work = await fs.mkdtemp(path.join(dir, "mpc8-"));
  const wav = path.join(work, "chord.wav");
  await run("ffmpeg", ["-v", "error", "-f", "lavfi", "-i", "sine=frequency=440:duration=2", "-f", "lavfi", "-i", "sine=frequency=660:duration=2", "-filter_complex", "amerge", "-ar", "44100", wav]);
  const cover = path.join(work, "cover.bin");
  await fs.writeFile(cover, Buffer.concat([Buffer.from("cover.jpg\0", "latin1"), Buffer.from(`binary ${marker} cover`, "latin1")]));
  const file = path.join(work, "marked.mpc");
  await run("mpcenc", [
    "--silent", "--overwrite",
    "--title", `${marker} title`, "--artist", `${marker} artist`, "--album", `${marker} album`, "--comment", `${marker} comment`,
    "--tag", `${marker}=custom`, "--tagfile", `Cover Art (Front)=${cover}`,
    wav, file,
  ]);
  const encoded = await fs.readFile(file);
  const tagAt = encoded.lastIndexOf(Buffer.from("APETAGEX", "latin1"), encoded.length - 32 - 1);
  if (encoded.toString("latin1", 0, 4) !== "MPCK" || tagAt < 0) throw new Error("mpcenc wrote no stream-version-8 file with an APE tag");
  await fs.writeFile(file, Buffer.concat([id3v2(marker), encoded, id3v1(marker)]));
  return { file, stream: encoded.subarray(0, tagAt) };
}
