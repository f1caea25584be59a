import { BadFileError } from "../errors.js";
import type { FileBytes } from "../file-bytes.js";

/** One marker segment between SOI and EOI, by its place in the file. */
export interface JpegSegment {
  /** The marker's second byte (0xE1 for APP1...). */
  marker: number;
  /** Where the segment starts: the 0xFF right before its marker (fill bytes before it are not part of it). */
  start: number;
  /** Where the bytes after its length field start, and how many there are. */
  payloadAt: number;
  payloadLength: number;
  /** Where it ends: after its payload, or for SOS after the entropy-coded data that follows (RST markers included). */
  end: number;
}

/** What a visitor answers to stop a walk early. */
export const STOP = "stop";

export const SOS = 0xda;
const SOI = 0xd8;
const EOI = 0xd9;

/**
 * Walks a JPEG's marker segments up to the first EOI (what follows it, such as MPF previews or
 * vendor trailers, is never part of the picture), handing each to `visit` in order, one at a
 * time. Throws `BadFileError` for bytes that are not a JPEG stream; a stream cut short inside
 * its image data ends the walk as if complete.
 */
export async function walkJpeg(src: FileBytes, visit: (s: JpegSegment) => Promise<typeof STOP | void>): Promise<void> {
  const head = await src.read(0, 2);
  if (src.size < 4 || head[0] !== 0xff || head[1] !== SOI) throw damaged("it does not start like a JPEG");
  let sawScan = false;
  let sawFrame = false;
  const finish = (truncated: boolean): void => {
    if (!sawScan) throw damaged(truncated ? "it is truncated" : "it holds no image data");
    if (!sawFrame) throw damaged("it has no frame header");
  };
  let i = 2;
  while (true) {
    // Any number of 0xFF fill bytes may precede a marker.
    if (i >= src.size) return finish(true);
    if ((await src.byte(i)) !== 0xff) throw damaged("a marker segment is missing");
    i = await src.skip(0xff, i);
    if (i >= src.size) return finish(true);
    const start = i - 1;
    const marker = (await src.byte(i))!;
    i++;
    if (marker === EOI) return finish(false);
    if (marker === SOI || marker === 0x00 || (marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) {
      throw damaged("it has a misplaced marker");
    }
    if (i + 2 > src.size) return finish(true);
    const length = (await src.read(i, 2)).readUInt16BE(0);
    if (length < 2 || i + length > src.size) {
      if (sawScan) return finish(true);
      throw damaged("it is truncated");
    }
    const payloadAt = i + 2;
    i += length;
    if (marker === SOS) {
      sawScan = true;
      i = await scanEnd(src, i);
    }
    if (isFrameHeader(marker)) sawFrame = true;
    if ((await visit({ marker, start, payloadAt, payloadLength: length - 2, end: i })) === STOP) return;
  }
}

/** Where the entropy-coded data starting at `from` ends: at the first marker that is not RSTn. */
async function scanEnd(src: FileBytes, from: number): Promise<number> {
  let at = from;
  while (at < src.size) {
    // Two bytes at least, so that a 0xFF is always seen with the byte after it.
    const chunk = await src.from(at, 2);
    if (chunk.length < 2) return src.size;
    let i = chunk.indexOf(0xff);
    while (i >= 0 && i + 1 < chunk.length) {
      const next = chunk[i + 1]!;
      // 0xFF00 is a stuffed data byte, 0xFFD0-D7 restart markers belong to the scan, 0xFFFF is fill.
      if (next === 0x00 || (next >= 0xd0 && next <= 0xd7)) i = chunk.indexOf(0xff, i + 2);
      else if (next === 0xff) i += 1;
      else return at + i;
    }
    at += i < 0 ? chunk.length : i;
  }
  return src.size;
}

/** SOF0-SOF15, without DHT (C4), JPG (C8) and DAC (CC) which share the range. */
export function isFrameHeader(marker: number): boolean {
  return marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
}

function damaged(why: string): BadFileError {
  return new BadFileError(`The JPEG file is damaged: ${why}.`);
}
