import fs from "node:fs";
import { type AscReading, audioSpecificConfig, blankLeadingText, HEAD_BYTES, hasRawBlocks, holdsText, leadingWithText } from "./aac-text.js";
import type { Range } from "./iso-samples.js";
import { decoderConfig } from "./iso-mpeg4.js";

/** objectTypeIndication values of AAC: MPEG-4 audio (0x40, see its AudioSpecificConfig), MPEG-2 AAC Main, LC and SSR. */
const MPEG4_AUDIO = 0x40;
const MPEG2_AAC = new Set([0x66, 0x67, 0x68]);

/** Zero bytes after a short AudioSpecificConfig: a core coder delay (14 bits) and the extension flags (2). */
const ASC_SLACK = 2;

/** Bytes read at a time at most: samples that lie back to back are read together. */
const WINDOW = 4 * 1024 * 1024;

export interface AacConfig {
  /** The frames are raw data blocks, whose leading elements are looked at. */
  rawBlocks: boolean;
  /** The text of the AudioSpecificConfig's program config comment, in bytes of the buffer, when it has some. */
  comment: Range | null;
}

/**
 * What the `esds` payload `buf[from, to)` says of an AAC stream (`aac-text.ts`); raw blocks false
 * for other codecs. Null when the descriptors or the AudioSpecificConfig do not add up.
 */
export function aacConfig(buf: Buffer, from: number, to: number): AacConfig | null {
  const config = decoderConfig(buf, from, to);
  if (config == null) return null;
  const mpeg2 = MPEG2_AAC.has(config.objectType);
  if (!mpeg2 && config.objectType !== MPEG4_AUDIO) return { rawBlocks: false, comment: null };
  const { start, end } = config.info;
  if (mpeg2 && start === end) return { rawBlocks: true, comment: null };
  const asc = buf.subarray(start, end);
  const parsed = audioSpecificConfig(asc) ?? shortConfig(asc);
  if (parsed == null) return null;
  const comment = parsed.comment != null && holdsText(asc, parsed.comment) ? { start: start + parsed.comment.payload / 8 + 1, end: start + parsed.comment.end / 8 } : null;
  return { rawBlocks: mpeg2 || hasRawBlocks(parsed.objectType), comment };
}

/**
 * A config that ends before the fields its flags announce, read as decoders read it (ffmpeg's
 * bit reader gives zeros past the end): a two-byte AAC LC config with the dependsOnCoreCoder flag
 * set and no core coder delay, which some encoders write and every player takes. Only when it
 * then has no channel layout of its own (channel configuration 0), whose comment would lie in
 * the bytes that are not there.
 */
function shortConfig(asc: Buffer): AscReading | null {
  const parsed = audioSpecificConfig(Buffer.concat([asc, Buffer.alloc(ASC_SLACK)]));
  return parsed == null || parsed.comment != null ? null : parsed;
}

export interface FillWalk {
  /** Elements blanked, or (dry run) still holding text. */
  elements: number;
  /** The samples written to. */
  changed: Range[];
}

/**
 * Walks the samples (one raw data block each) of an AAC track in `file` and blanks the text of
 * their leading fill and program config elements in place (`aac-text.ts`). With `dryRun`, changes nothing and counts
 * the elements still holding text. Only a sample's head is looked at (HEAD_BYTES), and samples
 * that lie back to back are read together.
 *
 * The reads are synchronous (this runs in a task process): muxers interleave sound with
 * pictures a sample or two at a time, so a track is thousands of small reads, and each costs a
 * few microseconds as a plain pread but some 30-70 through the thread pool (an 80 s track beside
 * a 100 MB video: 8 ms against 80-140 ms).
 */
export function walkAacSamples(file: string, samples: readonly Range[], dryRun: boolean): FillWalk {
  const fd = fs.openSync(file, dryRun ? "r" : "r+");
  try {
    let elements = 0;
    const changed: Range[] = [];
    const buf = Buffer.allocUnsafeSlow(WINDOW);
    for (let i = 0; i < samples.length; ) {
      // This sample and those back to back after it, as far as the window goes.
      const first = samples[i]!;
      let last = i;
      while (last + 1 < samples.length && samples[last + 1]!.start === samples[last]!.end && samples[last + 1]!.end - first.start <= WINDOW) last++;
      const readEnd = last > i ? samples[last]!.end : Math.min(first.end, first.start + HEAD_BYTES);
      const window = buf.subarray(0, fs.readSync(fd, buf, 0, readEnd - first.start, first.start));
      for (; i <= last; i++) {
        const sample = samples[i]!;
        const from = sample.start - first.start;
        const to = Math.min(sample.end - first.start, from + HEAD_BYTES, window.length);
        if (to <= from) continue;
        if (dryRun) {
          elements += leadingWithText(window, from, to).length;
          continue;
        }
        const blanked = blankLeadingText(window, from, to);
        if (blanked.elements === 0) continue;
        elements += blanked.elements;
        changed.push(sample);
        const bytes = window.subarray(from, blanked.through);
        for (let done = 0; done < bytes.length; ) done += fs.writeSync(fd, bytes, done, bytes.length - done, sample.start + done);
      }
    }
    return { elements, changed };
  } finally {
    fs.closeSync(fd);
  }
}
