import fsp from "node:fs/promises";
import type { Range } from "./iso-samples.js";
import { type SeiCodec, userDataCount, withoutUserData } from "./sei.js";

/** An H.264/HEVC track of an MP4/MOV: its samples are NAL units, each after a big-endian length. */
export interface NalTrack {
  codec: SeiCodec;
  /** Bytes of each NAL unit's length (1, 2 or 4), from `avcC`/`hvcC`. */
  lengthSize: number;
  /** Each sample's bytes in the file. */
  samples: Range[];
}

/** Bytes read at a time; a larger sample is read whole. */
const WINDOW = 4 * 1024 * 1024;
/** A sample larger than this is not walked here (left to ffmpeg's scan). */
const MAX_SAMPLE = 64 * 1024 * 1024;

function isSei(nal: Buffer, codec: SeiCodec): boolean {
  const b = nal[0] ?? 0;
  if (codec === "h264") return (b & 0x1f) === 6;
  const type = (b >> 1) & 0x3f;
  return type === 39 || type === 40;
}

/** The NAL unit without trailing zero bytes, as an Annex B scan (sei.ts) sees it. */
function trimmed(nal: Buffer): Buffer {
  let end = nal.length;
  while (end > 0 && nal[end - 1] === 0) end--;
  return nal.subarray(0, end);
}

/**
 * The SEI user data of one track's samples, overwritten in place where the sample tables say the
 * units are (the same rewrite as sei.ts, without ffmpeg's scan of the whole stream). Resolves to
 * the number of messages removed, or null, having written nothing, when a sample's NAL lengths do
 * not add up to it: that stream is left to the ffmpeg scan.
 */
export async function removeSampleSeiUserData(file: string, track: NalTrack): Promise<number | null> {
  const fh = await fsp.open(file, "r+");
  try {
    const patches: Array<{ at: number; bytes: Buffer }> = [];
    let messages = 0;
    let window = Buffer.alloc(0);
    let windowStart = 0;
    for (const sample of track.samples) {
      const size = sample.end - sample.start;
      if (size > MAX_SAMPLE) return null;
      if (sample.start < windowStart || sample.end > windowStart + window.length) {
        const length = Math.max(WINDOW, size);
        const buf = Buffer.alloc(length);
        const { bytesRead } = await fh.read(buf, 0, length, sample.start);
        if (bytesRead < size) return null;
        window = buf.subarray(0, bytesRead);
        windowStart = sample.start;
      }
      const bytes = window.subarray(sample.start - windowStart, sample.end - windowStart);
      for (let pos = 0; pos < bytes.length; ) {
        if (pos + track.lengthSize > bytes.length) return null;
        const length = bytes.readUIntBE(pos, track.lengthSize);
        const from = pos + track.lengthSize;
        if (from + length > bytes.length) return null;
        const nal = trimmed(bytes.subarray(from, from + length));
        if (isSei(nal, track.codec)) {
          const clean = withoutUserData(nal, track.codec);
          if (clean != null) {
            messages += userDataCount(nal, track.codec);
            patches.push({ at: sample.start + from, bytes: clean });
          }
        }
        pos = from + length;
      }
    }
    for (const p of patches) await fh.write(p.bytes, 0, p.bytes.length, p.at);
    return messages;
  } finally {
    await fh.close();
  }
}

/** `avcC`/`hvcC`: the length size of the NAL units in the samples, or null when malformed. */
export function nalLengthSize(config: Buffer, codec: SeiCodec): number | null {
  const byte = codec === "h264" ? config[4] : config[21];
  if (byte == null) return null;
  const size = (byte & 3) + 1;
  return size === 3 ? null : size;
}

/**
 * An `hvcC` record with the SEI user data in its NAL arrays (x265 writes its identification
 * there) overwritten, and the number of messages removed; null when the arrays do not add up.
 */
export function cleanHvccSei(record: Buffer): { record: Buffer; messages: number } | null {
  if (record.length < 23) return null;
  const out = Buffer.from(record);
  let messages = 0;
  let pos = 23;
  for (let a = 0; a < out[22]!; a++) {
    if (pos + 3 > out.length) return null;
    const count = out.readUInt16BE(pos + 1);
    pos += 3;
    for (let n = 0; n < count; n++) {
      if (pos + 2 > out.length) return null;
      const length = out.readUInt16BE(pos);
      if (pos + 2 + length > out.length) return null;
      const nal = trimmed(out.subarray(pos + 2, pos + 2 + length));
      const clean = isSei(nal, "hevc") ? withoutUserData(nal, "hevc") : null;
      if (clean != null) {
        messages += userDataCount(nal, "hevc");
        clean.copy(nal);
      }
      pos += 2 + length;
    }
  }
  return pos === out.length ? { record: out, messages } : null;
}
