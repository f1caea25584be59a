import fs from "node:fs/promises";
import path from "node:path";
import { ffmpegQuiet, run } from "./tools.js";

/**
 * Core Audio Format files as recorders, editors and taggers leave them (Apple's Core Audio Format
 * Specification): ffmpeg writes the sound, and the chunks it does not write are built by hand.
 */

/** A chunk: type, signed 64-bit big-endian size (-1: runs to the end of the file), data. */
export function chunk(id: string, data: Buffer, size = BigInt(data.length)): Buffer {
  const head = Buffer.alloc(12);
  head.write(id, 0, "latin1");
  head.writeBigInt64BE(size, 4);
  return Buffer.concat([head, data]);
}

export function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

function u64(n: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(n));
  return b;
}

const nul = (text: string): Buffer => Buffer.from(`${text}\0`, "utf8");

/** The chunks of a CAF file (after its 8-byte header), by type, as ffmpeg wrote them. */
export function chunksOf(file: Buffer): { id: string; bytes: Buffer }[] {
  const found: { id: string; bytes: Buffer }[] = [];
  for (let at = 8; at + 12 <= file.length; ) {
    const size = Number(file.readBigInt64BE(at + 4));
    const end = size < 0 ? file.length : at + 12 + size;
    found.push({ id: file.toString("latin1", at, at + 4), bytes: file.subarray(at, end) });
    at = end;
  }
  return found;
}

/** Everything a recorder, an editor or a tagger puts beside the sound, each holding the marker. */
export function metadataChunks(marker: string): Buffer[] {
  const info = Buffer.concat([u32(5), ...["artist", `${marker} artist`, "title", `${marker} title`, "recorded date", "2024-05-04 12:30:00", "encoding application", `${marker} Recorder 2.1`, "comments", `${marker} take 3`].map(nul)]);
  const edits = Buffer.concat([u32(1), u64(1714825800), nul("edit"), nul(`${marker} trimmed the start`)]);
  const names = Buffer.concat([u32(1), u32(1), u64(0), nul(`${marker} chorus`)]);
  const markers = Buffer.concat([u32(0), u32(1), u32(0), u32(0), u64(0), u32(1), u32(0), u32(0)]);
  return [
    chunk("info", info),
    chunk("edct", edits),
    chunk("strg", names),
    chunk("mark", markers),
    chunk("umid", Buffer.concat([Buffer.from(marker, "latin1"), Buffer.alloc(64 - marker.length)])),
    chunk("uuid", Buffer.concat([Buffer.alloc(16, 0x29), Buffer.from(`<loop>${marker}</loop>`, "latin1")])),
    chunk("free", Buffer.from(`${marker} left over`, "latin1")),
    chunk("zzzz", Buffer.from(marker, "latin1")),
  ];
}

/** An ID3v1 tag, as a tagger appends it to any file. */
export function id3v1(marker: string): Buffer {
  const tag = Buffer.alloc(128);
  tag.write("TAG", 0, "latin1");
  tag.write(marker, 3, "latin1");
  return tag;
}

/** A second of a tone, as ffmpeg writes it, with the title it puts in an information chunk. */
export async function ffmpegCaf(dir: string, name: string, codec: string, marker: string): Promise<Buffer> {
  const file = path.join(dir, name);
  await run("ffmpeg", [...ffmpegQuiet, "-f", "lavfi", "-i", "sine=frequency=440:duration=1", "-c:a", codec, "-metadata", `title=${marker}`, file]);
  return fs.readFile(file);
}

/**
 * ffmpeg's file (`made`) with its information chunk replaced by every metadata chunk, some before
 * the sound's chunks and some after (a reader must step over both), and an ID3v1 tag at the end.
 */
export function markCaf(made: Buffer, marker: string): Buffer {
  const [desc, ...rest] = chunksOf(made).filter((c) => c.id !== "info").map((c) => c.bytes);
  const metadata = metadataChunks(marker);
  return Buffer.concat([made.subarray(0, 8), desc!, ...metadata.slice(0, 4), ...rest, ...metadata.slice(4), id3v1(marker)]);
}
