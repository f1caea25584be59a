import fsp, { type FileHandle } from "node:fs/promises";
import type { Range } from "./iso-samples.js";
import { ParameterSetTails } from "./parameter-set-tails.js";
import { forEachRange } from "./range-windows.js";
import { isSeiUnit, type SeiCodec, userDataCount, withoutUserData } from "./sei.js";
import { blankedUnit, isUnread } from "./unread-units.js";

/** An H.264/HEVC track of an MP4/MOV: its samples are NAL units, each after a big-endian length. */
export interface NalTrack {
  codec: SeiCodec;
  /** Bytes of each NAL unit's length (1, 2 or 4), from `avcC`/`hvcC`. */
  lengthSize: number;
  /** Each sample's bytes in the file. */
  samples: Range[];
}

/** A sample larger than this is not walked here (left to ffmpeg's scan). */
const MAX_SAMPLE = 64 * 1024 * 1024;


/** The NAL unit without trailing zero bytes, as an Annex B scan (sei.ts) sees it. */
function trimmed(nal: Buffer): Buffer {
  let end = nal.length;
  while (end > 0 && nal[end - 1] === 0) end--;
  return nal.subarray(0, end);
}

/** What `removeSampleSeiUserData` did. */
export interface SampleSei {
  /** User-data messages removed. */
  messages: number;
  /** Units no decoder reads made filler. */
  unread: number;
  /** The samples written to. */
  changed: Range[];
}

/**
 * The SEI user data of one track's samples, overwritten in place where the sample tables say the
 * units are (the same rewrite as sei.ts, without ffmpeg's scan of the whole stream), and the bytes
 * a writer appended to a parameter set the samples repeat (as `avc3` and `hev1` streams and
 * cameras do) zeroed after its last field (`ParameterSetTails`), and units no decoder reads made
 * filler (unread-units.ts). Resolves to the messages removed, the units made filler
 * and the samples changed, or null, having written nothing, when a sample's NAL lengths do not
 * add up to it: that stream is left to the ffmpeg scan.
 */
export async function removeSampleSeiUserData(file: string, track: NalTrack): Promise<SampleSei | null> {
  const fh = await fsp.open(file, "r+");
  try {
    const patches: Array<{ at: number; bytes: Buffer }> = [];
    const changed: Range[] = [];
    const tails = new ParameterSetTails(track.codec);
    let messages = 0;
    let unread = 0;
    const read = await forEachUnit(fh, track, tails, (nal, at, sample) => {
      const sei = isSeiUnit(nal, track.codec);
      const blank = sei ? null : blankedUnit(nal, track.codec);
      const clean = sei ? withoutUserData(nal, track.codec) : (blank ?? tails.zeroed(nal));
      if (clean == null) return;
      messages += userDataCount(nal, track.codec);
      if (blank != null) unread++;
      patches.push({ at, bytes: clean });
      if (changed[changed.length - 1] !== sample) changed.push(sample);
    });
    if (!read) return null;
    await writePatches(fh, patches);
    return { messages, unread, changed };
  } finally {
    await fh.close();
  }
}

/** Patches lying within this many bytes of each other are written together. */
const PATCH_SPAN = 1024 * 1024;

/**
 * `patches` written: each run of them in file order within PATCH_SPAN bytes as one span read,
 * patched and written back. One write each cost 120,000 writes for a 4 MB HEIC picture made of
 * 33-byte SEI units (3.5 s of CPU, 0.6 s of it their rewrite).
 */
async function writePatches(fh: FileHandle, patches: ReadonlyArray<{ at: number; bytes: Buffer }>): Promise<void> {
  for (let i = 0; i < patches.length; ) {
    const start = patches[i]!.at;
    let end = start + patches[i]!.bytes.length;
    let j = i + 1;
    for (; j < patches.length && patches[j]!.at >= end && patches[j]!.at + patches[j]!.bytes.length - start <= PATCH_SPAN; j++) end = patches[j]!.at + patches[j]!.bytes.length;
    if (j === i + 1) await fh.write(patches[i]!.bytes, 0, patches[i]!.bytes.length, start);
    else {
      const span = Buffer.alloc(end - start);
      const { bytesRead } = await fh.read(span, 0, span.length, start);
      if (bytesRead !== span.length) throw new Error("a patched range runs past the file's end");
      for (let k = i; k < j; k++) patches[k]!.bytes.copy(span, patches[k]!.at - start);
      await fh.write(span, 0, span.length, start);
    }
    i = j;
  }
}

/** The SEI user-data messages and parameter set tails left in the samples of `track` in `file`; null when a sample's NAL lengths do not add up. */
export async function seiUserDataLeft(file: string, track: NalTrack): Promise<number | null> {
  const fh = await fsp.open(file, "r");
  try {
    let left = 0;
    const tails = new ParameterSetTails(track.codec);
    const read = await forEachUnit(fh, track, tails, (nal) => {
      left += isSeiUnit(nal, track.codec) ? userDataCount(nal, track.codec) : blankedUnit(nal, track.codec) != null || tails.kept(nal) != null ? 1 : 0;
    });
    return read ? left : null;
  } finally {
    await fh.close();
  }
}

/**
 * Hands every SEI NAL unit, parameter set (`tails.holds`) and unit no decoder reads of the track's samples to `onUnit`
 * (trailing zeros cut, with its place in the file and its sample), reading the samples a window
 * at a time. False when a sample is too large or its NAL lengths do not add up to it.
 */
async function forEachUnit(fh: FileHandle, track: NalTrack, tails: ParameterSetTails, onUnit: (nal: Buffer, at: number, sample: Range) => void): Promise<boolean> {
  return forEachRange(fh, track.samples, MAX_SAMPLE, (window, start, end, sample) => {
    for (let pos = start; pos < end; ) {
      const from = pos + track.lengthSize;
      if (from > end) return false;
      const length = window.readUIntBE(pos, track.lengthSize);
      if (from + length > end) return false;
      const nal = trimmed(window.subarray(from, from + length));
      if (isSeiUnit(nal, track.codec) || tails.holds(nal) || (nal.length > 0 && isUnread(nal[0]!, track.codec))) onUnit(nal, sample.start + from - start, sample);
      pos = from + length;
    }
    return true;
  });
}

/** `avcC`/`hvcC`: the length size of the NAL units in the samples, or null when malformed. */
export function nalLengthSize(config: Buffer, codec: SeiCodec): number | null {
  const byte = codec === "h264" ? config[4] : config[21];
  if (byte == null) return null;
  const size = (byte & 3) + 1;
  return size === 3 ? null : size;
}

/** An `avcC`/`hvcC` record as `cleanNalConfig` leaves it. */
export interface CleanedConfig {
  /** The record, the same length, with the SEI user data of its NAL arrays overwritten (and its parameter sets cut after their last fields, `withShortParameterSets`). */
  record: Buffer;
  messages: number;
  /** Where the fields of the record end: what follows is no part of it. */
  length: number;
}

/**
 * An `avcC`/`hvcC` record with the SEI user data in its NAL arrays overwritten (a writer may put
 * any NAL unit there: x265 writes its identification in the hvcC's), the number of messages
 * removed, and the length of what the record's fields parse to. Bytes past that length are read
 * by no decoder (ffmpeg's parsers stop there) but kept by every stream copy, so a writer may
 * hide anything there: the caller cuts or zeroes them. Null when the NAL arrays run past the
 * record.
 */
export function cleanNalConfig(record: Buffer, codec: SeiCodec): CleanedConfig | null {
  return codec === "h264" ? cleanAvcc(record) : cleanHvcc(record);
}

function cleanHvcc(record: Buffer): CleanedConfig | null {
  if (record.length < 23) return null;
  const out = Buffer.from(record);
  const units: number[] = [];
  let messages = 0;
  let pos = 23;
  for (let a = 0; a < out[22]!; a++) {
    if (pos + 3 > out.length) return null;
    const count = out.readUInt16BE(pos + 1);
    pos += 3;
    const end = nalArray(out, pos, count, units);
    if (end == null) return null;
    messages += cleanUnits(out, pos, end, "hevc");
    pos = end;
  }
  return { ...withShortParameterSets(out, units, pos, "hevc"), messages };
}

/** Profiles (Baseline, Main, Extended) whose `avcC` ends after the PPS; the others' may go on with the chroma format, bit depths and SPS extensions (ISO/IEC 14496-15 5.3.3.1.2). */
const PROFILES_WITHOUT_EXTENSION = new Set([66, 77, 88]);

/**
 * The `avcC` cleaned: neither the sample walk nor ffmpeg's mp4toannexb (which hands on only the
 * SPS and PPS it expects, and none when the stream carries its own) reads an SEI unit among its
 * parameter sets, and no decoder needs its text.
 */
function cleanAvcc(record: Buffer): CleanedConfig | null {
  if (record.length < 7) return null;
  const out = Buffer.from(record);
  const units: number[] = [];
  let messages = 0;
  let pos = 5;
  // The SPS count is the low 5 bits of its byte, the PPS count a whole byte.
  for (const countMask of [0x1f, 0xff]) {
    const count = out[pos];
    if (count == null) return null;
    const end = nalArray(out, pos + 1, count & countMask, units);
    if (end == null) return null;
    messages += cleanUnits(out, pos + 1, end, "h264");
    pos = end;
  }
  // The extension of the profiles that have one, when it adds up and its reserved bits are set;
  // anything else there is no field that a decoder reads.
  const extension = pos + 4 <= out.length && !PROFILES_WITHOUT_EXTENSION.has(out[1]!) && reservedBitsSet(out, pos) ? nalArray(out, pos + 4, out[pos + 3]!) : null;
  if (extension != null) messages += cleanUnits(out, pos + 4, extension, "h264");
  return { ...withShortParameterSets(out, units, extension ?? pos, "h264"), messages };
}

/**
 * `record` with each parameter set among its units at `units` (each after a 16-bit length, in
 * the record's order) cut after its last field (`ParameterSetTails`: what a writer appends to the
 * unit no decoder reads), its length made to match and what follows moved up to it, and zeros
 * after the record's fields, which end `length` less the bytes cut.
 */
function withShortParameterSets(record: Buffer, units: readonly number[], length: number, codec: SeiCodec): { record: Buffer; length: number } {
  const tails = new ParameterSetTails(codec);
  const parts: Buffer[] = [];
  let pos = 0;
  for (const at of units) {
    const size = record.readUInt16BE(at);
    const kept = tails.kept(record.subarray(at + 2, at + 2 + size));
    if (kept == null) continue;
    parts.push(record.subarray(pos, at), Buffer.from([kept.length >> 8, kept.length & 0xff]), kept);
    pos = at + 2 + size;
  }
  parts.push(record.subarray(pos, length));
  const fields = Buffer.concat(parts);
  return { record: Buffer.concat([fields, Buffer.alloc(record.length - fields.length)]), length: fields.length };
}

/** The extension's first three bytes: six reserved bits and the chroma format, then five and the luma and chroma bit depths. */
function reservedBitsSet(buf: Buffer, at: number): boolean {
  return (buf[at]! & 0xfc) === 0xfc && (buf[at + 1]! & 0xf8) === 0xf8 && (buf[at + 2]! & 0xf8) === 0xf8;
}

/**
 * Where an array of `count` NAL units, each after a 16-bit length, that starts at `from` ends
 * (the place of each unit's length added to `units`); null when it runs past the buffer.
 */
function nalArray(buf: Buffer, from: number, count: number, units: number[] = []): number | null {
  let pos = from;
  for (let n = 0; n < count; n++) {
    if (pos + 2 > buf.length) return null;
    units.push(pos);
    pos += 2 + buf.readUInt16BE(pos);
    if (pos > buf.length) return null;
  }
  return pos;
}

/** Overwrites the SEI user data of the length-prefixed NAL units in `buf[from, to)` in place; the messages removed. */
function cleanUnits(buf: Buffer, from: number, to: number, codec: SeiCodec): number {
  let messages = 0;
  for (let pos = from; pos < to; pos += 2 + buf.readUInt16BE(pos)) {
    const nal = trimmed(buf.subarray(pos + 2, pos + 2 + buf.readUInt16BE(pos)));
    const clean = isSeiUnit(nal, codec) ? withoutUserData(nal, codec) : blankedUnit(nal, codec);
    if (clean == null) continue;
    messages += userDataCount(nal, codec);
    clean.copy(nal);
  }
  return messages;
}
