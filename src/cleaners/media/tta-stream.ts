import { BadFileError } from "../errors.js";
import { type FileBytes, WINDOW } from "../file-bytes.js";

/** "TTA1", format, channels, bits per sample, sample rate, samples per channel, CRC-32. */
const HEADER = 22;
const ENTRY = 4;

/**
 * Where a True Audio stream (TTA1, http://tausoft.org/wiki/True_Audio_Codec_Format) that starts
 * at `start` ends: its header, a seek table of one 32-bit size per frame and the table's CRC-32,
 * then the frames those sizes add up to. Every frame holds 256/245 of a second of samples, the
 * last one what is left. Bytes between that end and the tags appended to the file are not the
 * stream's, so the cleaner leaves them out; a stream running past `end` (a file cut short) is damaged.
 */
export async function ttaStreamEnd(src: FileBytes, start: number, end: number): Promise<number> {
  if (end - start < HEADER) throw damaged("its header is cut short");
  const header = await src.read(start, HEADER);
  const rate = header.readUInt32LE(10);
  const samples = header.readUInt32LE(14);
  const frameLength = Math.floor((256 * rate) / 245);
  if (frameLength === 0) throw damaged("its sample rate is zero");
  const frames = Math.ceil(samples / frameLength);
  const table = start + HEADER;
  const framesAt = table + frames * ENTRY + 4;
  if (framesAt > end) throw damaged("its seek table runs past its end");
  let streamEnd = framesAt;
  for (let at = table; at < table + frames * ENTRY; at += WINDOW) {
    const sizes = await src.read(at, Math.min(WINDOW, table + frames * ENTRY - at));
    for (let i = 0; i < sizes.length; i += ENTRY) streamEnd += sizes.readUInt32LE(i);
  }
  if (streamEnd > end) throw damaged("its frames run past its end");
  return streamEnd;
}

function damaged(why: string): BadFileError {
  return new BadFileError(`The True Audio (TTA) file could not be read: ${why}.`);
}
