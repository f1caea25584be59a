import fsp, { type FileHandle } from "node:fs/promises";
import type { Range } from "./iso-samples.js";
import { blankUserData, unitsWithText } from "./mpeg4-user-data.js";
import { forEachRange } from "./range-windows.js";

/** MP4 knows no fourcc for this codec beyond `mp4v`, which makes no decoder assume an encoder. */
const ISO_TAG = "mp4v";

/** A chunk of samples larger than this is not walked: the track goes to the remux. */
export const MAX_CHUNK = 64 * 1024 * 1024;

/**
 * The DecoderConfigDescriptor of an `esds` box's payload `buf[from, to)`: its objectTypeIndication
 * (0x20 MPEG-4 video, 0x40 MPEG-4 audio, 0x66-0x68 MPEG-2 AAC...) and its DecoderSpecificInfo
 * (ES_Descriptor (tag 3) > DecoderConfigDescriptor (tag 4) > tag 5, ISO/IEC 14496-1 7.2.6).
 * Null when the descriptors do not add up; an `esds` without a DecoderSpecificInfo gives an
 * empty range.
 */
export function decoderConfig(buf: Buffer, from: number, to: number): { objectType: number; info: Range } | null {
  let pos = from + 4; // version and flags
  const descriptor = (tag: number): Range | null => {
    if (pos >= to || buf[pos] !== tag) return null;
    pos++;
    let size = 0;
    for (let i = 0; ; i++) {
      const b = buf[pos++];
      if (b == null || i === 4) return null;
      size = size * 128 + (b & 0x7f);
      if ((b & 0x80) === 0) break;
    }
    return pos + size <= to ? { start: pos, end: pos + size } : null;
  };
  const es = descriptor(3);
  if (es == null) return null;
  const flags = buf[es.start + 2];
  if (flags == null) return null;
  pos = es.start + 3;
  if (flags & 0x80) pos += 2; // dependsOn_ES_ID
  if (flags & 0x40) pos += 1 + (buf[pos] ?? 0); // URL
  if (flags & 0x20) pos += 2; // OCR_ES_ID
  const config = descriptor(4);
  if (config == null) return null;
  const objectType = config.end > config.start ? buf[config.start]! : -1;
  pos = config.start + 13; // objectTypeIndication, streamType, bufferSizeDB, maxBitrate, avgBitrate
  if (pos >= config.end || buf[pos] !== 5) return { objectType, info: { start: config.end, end: config.end } };
  const info = descriptor(5);
  return info != null && info.end <= config.end ? { objectType, info } : null;
}

/** The DecoderSpecificInfo of an `esds` payload (see `decoderConfig`). */
export function decoderSpecificInfo(buf: Buffer, from: number, to: number): Range | null {
  return decoderConfig(buf, from, to)?.info ?? null;
}

/** Blanks the user data of an `esds` payload's DecoderSpecificInfo in `out` (same offsets as `buf`); null when malformed. */
export function cleanEsds(buf: Buffer, from: number, to: number, out: Buffer, outOffset: number): number | null {
  const info = decoderSpecificInfo(buf, from, to);
  if (info == null) return null;
  return blankUserData(out, ISO_TAG, info.start - outOffset, info.end - outOffset);
}

export interface SampleWalk {
  /** Units blanked, or (dry run) still holding text. */
  units: number;
  /** The chunks written to. */
  changed: Range[];
}

/**
 * Walks the byte ranges of an MPEG-4 Part 2 track's samples in `file` and blanks the user data
 * found there in place, chunk by chunk (its samples lie back to back, and every unit ends at the
 * next start code). With `dryRun`, changes nothing and counts the units still holding text.
 * Resolves to null when a chunk is too large to walk.
 */
export async function walkSampleUserData(file: string, chunks: readonly Range[], dryRun: boolean): Promise<SampleWalk | null> {
  const fh = await fsp.open(file, dryRun ? "r" : "r+");
  try {
    let units = 0;
    const changed: Range[] = [];
    const walked = await forEachRange(fh, chunks, MAX_CHUNK, async (window, from, to, chunk) => {
      if (dryRun) {
        units += unitsWithText(window, ISO_TAG, from, to);
        return true;
      }
      const blanked = blankUserData(window, ISO_TAG, from, to);
      if (blanked > 0) {
        units += blanked;
        changed.push(chunk);
        await writeAll(fh, window.subarray(from, to), chunk.start);
      }
      return true;
    });
    return walked ? { units, changed } : null;
  } finally {
    await fh.close();
  }
}

async function writeAll(fh: FileHandle, bytes: Buffer, at: number): Promise<void> {
  let done = 0;
  while (done < bytes.length) done += (await fh.write(bytes, done, bytes.length - done, at + done)).bytesWritten;
}
