import { type Box, childBoxes } from "./iso-boxes.js";

/** A byte range of the file, [start, end). */
export interface Range {
  start: number;
  end: number;
}

/**
 * More chunks or samples than this in one track is left to ffmpeg's remux: each chunk becomes a
 * range object, and the worker's heap is bounded (a long real recording has some 100,000).
 */
export const MAX_ENTRIES = 1_000_000;

/**
 * Where a track's samples lie in the file: one range per chunk (the chunk's offset, the sizes of
 * its samples added up), from the sample table `stbl` (its payload is `buf[from, to)`). Null when
 * the tables disagree (more samples in the chunks than sizes, or fewer), when a chunk names a
 * sample description the track does not have, or when they use a form this walk does not read
 * (`stz2` compact sizes): such a track is left to ffmpeg. With `perSample`, one range per sample.
 */
export function chunkRanges(buf: Buffer, from: number, to: number, descriptions: number, perSample = false): Range[] | null {
  const boxes = childBoxes(buf, from, to);
  if (boxes == null) return null;
  const find = (type: string) => {
    const found = boxes.filter((b) => b.type === type);
    return found.length === 1 ? found[0]! : null;
  };
  const stsc = find("stsc");
  const stsz = find("stsz");
  const offsets = chunkOffsets(buf, find("stco"), find("co64"), boxes.filter((b) => b.type === "stco" || b.type === "co64").length);
  if (stsc == null || stsz == null || offsets == null) return null;

  const sizes = sampleSizes(buf, stsz.at + stsz.header, stsz.at + stsz.size);
  if (sizes == null) return null;
  const p = stsc.at + stsc.header;
  if (stsc.size - stsc.header < 8) return null;
  const entries = buf.readUInt32BE(p + 4);
  if (entries > MAX_ENTRIES || 8 + entries * 12 > stsc.size - stsc.header) return null;

  const ranges: Range[] = [];
  let sample = 0;
  for (let e = 0; e < entries; e++) {
    const first = buf.readUInt32BE(p + 8 + e * 12);
    const perChunk = buf.readUInt32BE(p + 12 + e * 12);
    const description = buf.readUInt32BE(p + 16 + e * 12);
    const next = e + 1 < entries ? buf.readUInt32BE(p + 8 + (e + 1) * 12) : offsets.length + 1;
    if (first < 1 || next <= first || next > offsets.length + 1 || description < 1 || description > descriptions) return null;
    if (e === 0 && first !== 1) return null;
    for (let chunk = first; chunk < next; chunk++) {
      if (sample + perChunk > sizes.count) return null;
      const start = offsets[chunk - 1]!;
      const length = sizes.sum(sample, perChunk);
      sample += perChunk;
      if (perSample) {
        for (let i = 0, at = start; i < perChunk; i++) {
          const size = sizes.sum(sample - perChunk + i, 1);
          if (size > 0) ranges.push({ start: at, end: at + size });
          at += size;
        }
      } else if (length > 0) ranges.push({ start, end: start + length });
    }
  }
  return sample === sizes.count ? ranges : null;
}

/** The chunk offsets of the one `stco` or `co64` table (`tables` counts both). */
function chunkOffsets(buf: Buffer, stco: Box | null, co64: Box | null, tables: number): number[] | null {
  if (tables !== 1) return null;
  const box = stco ?? co64;
  if (box == null) return null;
  const wide = box.type === "co64";
  const p = box.at + box.header;
  const length = box.size - box.header;
  if (length < 8) return null;
  const count = buf.readUInt32BE(p + 4);
  if (count > MAX_ENTRIES || 8 + count * (wide ? 8 : 4) > length) return null;
  const out = new Array<number>(count);
  for (let i = 0; i < count; i++) {
    out[i] = wide ? Number(buf.readBigUInt64BE(p + 8 + i * 8)) : buf.readUInt32BE(p + 8 + i * 4);
  }
  return out;
}

interface SampleSizes {
  count: number;
  /** Bytes of `n` samples from sample `first`. */
  sum(first: number, n: number): number;
}

function sampleSizes(buf: Buffer, from: number, to: number): SampleSizes | null {
  if (to - from < 12) return null;
  const fixed = buf.readUInt32BE(from + 4);
  const count = buf.readUInt32BE(from + 8);
  if (count > MAX_ENTRIES) return null;
  if (fixed !== 0) return { count, sum: (_first, n) => fixed * n };
  if (12 + count * 4 > to - from) return null;
  // Prefix sums: a chunk's length is one subtraction.
  const prefix = new Float64Array(count + 1);
  for (let i = 0; i < count; i++) prefix[i + 1] = prefix[i]! + buf.readUInt32BE(from + 12 + i * 4);
  return { count, sum: (first, n) => prefix[first + n]! - prefix[first]! };
}
