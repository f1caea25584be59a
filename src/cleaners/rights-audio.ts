import fs from "node:fs";
import fsp from "node:fs/promises";
import { pipeline } from "node:stream/promises";
import { ebmlDocType } from "./media/ebml-doctype.js";
import { remux } from "./media/ffmpeg.js";

/**
 * Writes a copyright notice back into clean audio and video files that ExifTool cannot write:
 * an ID3v2.4 TCOP frame before an MP3's frames, a Vorbis comment block after a FLAC's
 * STREAMINFO, an INFO ICOP chunk at the end of a WAV, a COPYRIGHT tag through a stream-copying
 * remux for Ogg and Matroska. Each writes only that one field.
 */
export async function writeAudioCopyright(fileType: string, cleaned: string, output: string, notice: string): Promise<boolean> {
  switch (fileType) {
    case "MP3":
      await withHead(cleaned, output, 0, id3Copyright(notice));
      return true;
    case "FLAC":
      await flacWithComment(cleaned, output, notice);
      return true;
    case "WAV":
      await wavWithCopyright(cleaned, output, notice);
      return true;
    default: {
      const target = fileType === "MKA" ? await audioOnlyMatroska(cleaned) : REMUXED[fileType];
      if (target == null) return false;
      await remux({ input: cleaned, output, ...target, muxerArgs: ["-metadata", `copyright=${notice}`], typeName: fileType });
      return true;
    }
  }
}

const REMUXED: Record<string, { demuxer: string; muxer: string }> = {
  OGG: { demuxer: "ogg", muxer: "ogg" },
  OPUS: { demuxer: "ogg", muxer: "opus" },
  MKV: { demuxer: "matroska", muxer: "matroska" },
  WEBM: { demuxer: "matroska", muxer: "webm" },
};

/** An audio-only Matroska file is written back as Matroska, or as WebM when it was one (players check the DocType). */
async function audioOnlyMatroska(file: string): Promise<{ demuxer: string; muxer: string }> {
  return (await ebmlDocType(file)) === "webm" ? REMUXED["WEBM"]! : REMUXED["MKV"]!;
}

type Part = Buffer | { file: string; start: number; end?: number };

/** Writes `output` as the parts one after the other, file ranges streamed. */
async function writeParts(output: string, parts: readonly Part[]): Promise<void> {
  async function* chunks(): AsyncGenerator<Buffer> {
    for (const part of parts) {
      if (Buffer.isBuffer(part)) yield part;
      else for await (const chunk of fs.createReadStream(part.file, { start: part.start, ...(part.end != null ? { end: part.end - 1 } : {}) })) yield chunk as Buffer;
    }
  }
  await pipeline(chunks, fs.createWriteStream(output, { flags: "wx" }));
}

/** The copy: `head` inserted at byte `at` of `input`. */
async function withHead(input: string, output: string, at: number, head: Buffer, prefix?: Buffer): Promise<void> {
  const before = prefix ?? (at > 0 ? await readRange(input, 0, at) : Buffer.alloc(0));
  await writeParts(output, [before, head, { file: input, start: at }]);
}

async function readRange(file: string, start: number, length: number): Promise<Buffer> {
  const fh = await fsp.open(file, "r");
  try {
    const { buffer, bytesRead } = await fh.read(Buffer.alloc(length), 0, length, start);
    return buffer.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

function id3Copyright(notice: string): Buffer {
  const text = Buffer.concat([Buffer.from([0x03]), Buffer.from(notice, "utf8")]); // 3: UTF-8
  const frame = Buffer.alloc(10);
  frame.write("TCOP", 0, "latin1");
  frame.writeUInt32BE(syncsafe(text.length), 4);
  const header = Buffer.from([0x49, 0x44, 0x33, 0x04, 0x00, 0x00, 0, 0, 0, 0]);
  header.writeUInt32BE(syncsafe(frame.length + text.length), 6);
  return Buffer.concat([header, frame, text]);
}

/** ID3v2.4 sizes: 7 bits per byte. */
function syncsafe(n: number): number {
  return ((n & 0xfe00000) << 3) | ((n & 0x1fc000) << 2) | ((n & 0x3f80) << 1) | (n & 0x7f);
}

/** A VORBIS_COMMENT block (vendor "ffmpeg", what our muxers write) right after STREAMINFO. */
async function flacWithComment(input: string, output: string, notice: string): Promise<void> {
  const head = await readRange(input, 0, 8);
  if (head.toString("latin1", 0, 4) !== "fLaC" || ((head[4] ?? 0) & 0x7f) !== 0) throw new Error("cleaned FLAC does not start with STREAMINFO");
  const streamInfoEnd = 8 + head.readUIntBE(5, 3);
  const wasLast = ((head[4] ?? 0) & 0x80) !== 0;
  const prefix = await readRange(input, 0, streamInfoEnd);
  prefix[4] = (prefix[4] ?? 0) & 0x7f;
  const vendor = Buffer.from("ffmpeg", "utf8");
  const comment = Buffer.from(`COPYRIGHT=${notice}`, "utf8");
  const body = Buffer.alloc(4 + vendor.length + 4 + 4 + comment.length);
  let o = body.writeUInt32LE(vendor.length, 0);
  o += vendor.copy(body, o);
  o = body.writeUInt32LE(1, o);
  o = body.writeUInt32LE(comment.length, o);
  comment.copy(body, o);
  const blockHeader = Buffer.from([(wasLast ? 0x80 : 0) | 4, 0, 0, 0]);
  blockHeader.writeUIntBE(body.length, 1, 3);
  await withHead(input, output, streamInfoEnd, Buffer.concat([blockHeader, body]), prefix);
}

/** A LIST/INFO chunk holding ICOP at the end of the RIFF, whose size grows by as much. */
async function wavWithCopyright(input: string, output: string, notice: string): Promise<void> {
  const text = Buffer.from(`${notice}\0`, "latin1");
  const padded = Buffer.concat([text, Buffer.alloc(text.length % 2)]);
  const icop = Buffer.alloc(8);
  icop.write("ICOP", 0, "latin1");
  icop.writeUInt32LE(text.length, 4);
  const list = Buffer.alloc(12);
  list.write("LIST", 0, "latin1");
  list.writeUInt32LE(4 + 8 + padded.length, 4);
  list.write("INFO", 8, "latin1");
  const chunk = Buffer.concat([list, icop, padded]);
  const { size } = await fsp.stat(input);
  const header = await readRange(input, 0, 12);
  if (header.toString("latin1", 0, 4) !== "RIFF" || size % 2 !== 0) throw new Error("cleaned WAV is not a whole RIFF file");
  header.writeUInt32LE(header.readUInt32LE(4) + chunk.length, 4);
  await writeParts(output, [header, { file: input, start: 12 }, chunk]);
}
