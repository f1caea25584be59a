import fsp, { type FileHandle } from "node:fs/promises";
import { blankLeadingFills, fillsWithText, HEAD_BYTES } from "./aac-fill.js";
import type { Range } from "./iso-samples.js";
import { decoderConfig } from "./iso-mpeg4.js";

/** objectTypeIndication values of AAC: MPEG-4 audio (0x40, see its AudioSpecificConfig), MPEG-2 AAC Main, LC and SSR. */
const MPEG4_AUDIO = 0x40;
const MPEG2_AAC = new Set([0x66, 0x67, 0x68]);
/** Audio object types whose frames are raw data blocks (Main, LC, SSR, LTP); SBR and PS carry one of these as their core. */
const RAW_BLOCK_TYPES = new Set([1, 2, 3, 4]);
const SBR_TYPES = new Set([5, 29]);

/** Bytes read at a time: samples that lie back to back are read together. */
const WINDOW = 4 * 1024 * 1024;

/**
 * Whether the `esds` payload `buf[from, to)` describes AAC framed as raw data blocks (where fill
 * elements are): null when the descriptors do not add up.
 */
export function isAacWithFills(buf: Buffer, from: number, to: number): boolean | null {
  const config = decoderConfig(buf, from, to);
  if (config == null) return null;
  if (MPEG2_AAC.has(config.objectType)) return true;
  if (config.objectType !== MPEG4_AUDIO) return false;
  const type = audioObjectType(buf.subarray(config.info.start, config.info.end));
  return type != null && RAW_BLOCK_TYPES.has(type);
}

/** The (core) audio object type of an AudioSpecificConfig (ISO/IEC 14496-3 1.6.2.1); null when it is cut short. */
function audioObjectType(asc: Buffer): number | null {
  let pos = 0;
  const bits = (n: number): number | null => {
    if (pos + n > asc.length * 8) return null;
    let v = 0;
    for (let i = 0; i < n; i++, pos++) v = v * 2 + ((asc[pos >> 3]! >> (7 - (pos & 7))) & 1);
    return v;
  };
  const objectType = (): number | null => {
    const t = bits(5);
    if (t !== 31) return t;
    const escaped = bits(6);
    return escaped == null ? null : 32 + escaped;
  };
  const frequency = (): boolean => {
    const index = bits(4);
    return index != null && (index !== 15 || bits(24) != null);
  };
  const type = objectType();
  if (type == null || !SBR_TYPES.has(type)) return type;
  // Explicit SBR/PS signalling: the sampling frequency, channels, the SBR frequency, then the core's type.
  if (!frequency() || bits(4) == null || !frequency()) return null;
  return objectType();
}

export interface FillWalk {
  /** Fill elements blanked, or (dry run) still holding text. */
  elements: number;
  /** The samples written to. */
  changed: Range[];
}

/**
 * Walks the samples (one raw data block each) of an AAC track in `file` and blanks the text of
 * their leading fill elements in place (`aac-fill.ts`). With `dryRun`, changes nothing and counts
 * the elements still holding text. Only a sample's head is looked at (HEAD_BYTES).
 */
export async function walkAacSamples(file: string, samples: readonly Range[], dryRun: boolean): Promise<FillWalk> {
  const fh = await fsp.open(file, dryRun ? "r" : "r+");
  try {
    let elements = 0;
    const changed: Range[] = [];
    // One buffer for the whole walk; only the bytes just read are ever looked at.
    const buf = Buffer.allocUnsafeSlow(WINDOW);
    let window = buf.subarray(0, 0);
    let windowStart = 0;
    for (let i = 0; i < samples.length; i++) {
      const sample = samples[i]!;
      const end = Math.min(sample.end, sample.start + HEAD_BYTES);
      if (sample.start < windowStart || end > windowStart + window.length) {
        // The samples that follow back to back are read with this one, as far as the window goes.
        let readEnd = end;
        for (let j = i + 1; j < samples.length && samples[j]!.start === samples[j - 1]!.end && samples[j]!.end - sample.start <= WINDOW; j++) readEnd = samples[j]!.end;
        const { bytesRead } = await fh.read(buf, 0, readEnd - sample.start, sample.start);
        window = buf.subarray(0, bytesRead);
        windowStart = sample.start;
      }
      const from = sample.start - windowStart;
      const to = Math.min(end - windowStart, window.length);
      if (to <= from) continue;
      if (dryRun) {
        elements += fillsWithText(window, from, to);
        continue;
      }
      const blanked = blankLeadingFills(window, from, to);
      if (blanked.elements > 0) {
        elements += blanked.elements;
        changed.push(sample);
        await writeAll(fh, window.subarray(from, blanked.through), sample.start);
      }
    }
    return { elements, changed };
  } finally {
    await fh.close();
  }
}

async function writeAll(fh: FileHandle, bytes: Buffer, at: number): Promise<void> {
  let done = 0;
  while (done < bytes.length) done += (await fh.write(bytes, done, bytes.length - done, at + done)).bytesWritten;
}
