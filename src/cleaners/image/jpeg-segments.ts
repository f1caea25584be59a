import { BadFileError } from "../errors.js";
import type { FileBytes } from "../file-bytes.js";
import { EOI, SOI, SOS } from "./jpeg-markers.js";

/**
 * One marker segment between SOI and EOI, by its place in the file; or a piece of the
 * entropy-coded data that follows a SOS segment (`marker` SCAN_DATA).
 */
export interface JpegSegment {
  /** The marker's second byte (0xE1 for APP1...), or SCAN_DATA. */
  marker: number;
  /** Where the segment starts: the 0xFF right before its marker (fill bytes before it are not part of it). */
  start: number;
  /** Where the bytes after its length field start, and how many there are (a data piece: all of it). */
  payloadAt: number;
  payloadLength: number;
  /** Where it ends: after its payload. */
  end: number;
}

/** What a visitor answers to stop a walk early. */
export const STOP = "stop";

/**
 * Not a marker: a piece of entropy-coded data (RST markers included), handed over as it is read,
 * at most a window long, so that a visitor copying it finds it still in memory.
 */
export const SCAN_DATA = 0x100;
/** Stuffed zeros and segment-less markers outside image data past which a file is refused. */
const MAX_STRAY_MARKERS = 64;

/**
 * Walks a JPEG's marker segments up to the first EOI (what follows it, such as MPF previews or
 * vendor trailers, is never part of the picture), handing each to `visit` in order, one at a
 * time; a SOS segment is followed by its entropy-coded data in SCAN_DATA pieces (a visitor that
 * stops at the SOS reads none of it). Throws `BadFileError` for bytes that are not a JPEG stream;
 * a stream cut short inside its image data ends the walk as if complete.
 */
export async function walkJpeg(src: FileBytes, visit: (s: JpegSegment) => Promise<typeof STOP | void>): Promise<void> {
  const head = await src.read(0, 2);
  if (src.size < 4 || head[0] !== 0xff || head[1] !== SOI) throw damaged("it does not start like a JPEG");
  let sawScan = false;
  let sawFrame = false;
  let stray = 0;
  const finish = (truncated: boolean): void => {
    if (!sawScan) throw damaged(truncated ? "it is truncated" : "it holds no image data");
    if (!sawFrame) throw damaged("it has no frame header");
  };
  let i = 2;
  while (true) {
    // Any number of 0xFF fill bytes may precede a marker.
    if (i >= src.size) return finish(true);
    // Bytes where a marker should be: libjpeg skips them to the next 0xFF ("extraneous bytes
    // before marker") and decodes the picture, and so does this walk; no segment holds them, so
    // a copy made of segments leaves them out.
    if ((await src.byte(i)) !== 0xff) i = await nextFf(src, i);
    if (i >= src.size) return finish(true);
    i = await src.skip(0xff, i);
    if (i >= src.size) return finish(true);
    const start = i - 1;
    const marker = (await src.byte(i))!;
    i++;
    if (marker === EOI) return finish(false);
    if (marker === SOI) throw damaged("it has a misplaced marker");
    // Outside image data libjpeg discards a stuffed 0xFF00 as extraneous bytes and ignores the
    // markers that have no segment (RSTn, TEM), and decodes the picture (Pillow's
    // jpeg_ff00_header.jpg): so does this walk, and a copy made of segments leaves them out.
    if (marker === 0x00 || (marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) {
      // A few in real files; each costs a read of its own, so millions would take minutes.
      if (++stray > MAX_STRAY_MARKERS) throw damaged("it has a misplaced marker");
      continue;
    }
    if (i + 2 > src.size) return finish(true);
    const length = (await src.read(i, 2)).readUInt16BE(0);
    if (length < 2 || i + length > src.size) {
      if (sawScan) return finish(true);
      throw damaged("it is truncated");
    }
    const payloadAt = i + 2;
    i += length;
    if (marker === SOS) sawScan = true;
    if (isFrameHeader(marker)) sawFrame = true;
    if ((await visit({ marker, start, payloadAt, payloadLength: length - 2, end: i })) === STOP) return;
    if (marker === SOS) {
      const end = await visitScanData(src, i, visit);
      if (end === STOP) return;
      i = end;
    }
  }
}

/** Where the next 0xFF at or after `from` is, or the file's size. */
async function nextFf(src: FileBytes, from: number): Promise<number> {
  for (let at = from; at < src.size; ) {
    const chunk = await src.from(at);
    if (chunk.length === 0) break;
    const i = chunk.indexOf(0xff);
    if (i >= 0) return at + i;
    at += chunk.length;
  }
  return src.size;
}

/**
 * Hands the entropy-coded data starting at `from` to `visit`, one piece per window read, and
 * resolves to where it ends: at the first marker that is not RSTn (or the file's end).
 */
async function visitScanData(src: FileBytes, from: number, visit: (s: JpegSegment) => Promise<typeof STOP | void>): Promise<number | typeof STOP> {
  let at = from;
  while (at < src.size) {
    // Two bytes at least, so that a 0xFF is always seen with the byte after it.
    const chunk = await src.from(at, 2);
    if (chunk.length < 2) return piece(at, src.size);
    let i = chunk.indexOf(0xff);
    let end = -1;
    while (i >= 0 && i + 1 < chunk.length) {
      const next = chunk[i + 1]!;
      // 0xFF00 is a stuffed data byte, 0xFFD0-D7 restart markers belong to the scan, 0xFFFF is fill.
      if (next === 0x00 || (next >= 0xd0 && next <= 0xd7)) i = chunk.indexOf(0xff, i + 2);
      else if (next === 0xff) i += 1;
      else {
        end = at + i;
        break;
      }
    }
    if (end >= 0) return piece(at, end);
    const next = at + (i < 0 ? chunk.length : i);
    if ((await piece(at, next)) === STOP) return STOP;
    at = next;
  }
  return at;

  async function piece(start: number, end: number): Promise<number | typeof STOP> {
    if (end > start && (await visit({ marker: SCAN_DATA, start, payloadAt: start, payloadLength: end - start, end })) === STOP) return STOP;
    return end;
  }
}

/** SOF0-SOF15, without DHT (C4), JPG (C8) and DAC (CC) which share the range. */
export function isFrameHeader(marker: number): boolean {
  return marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
}

function damaged(why: string): BadFileError {
  return new BadFileError(`The JPEG file is damaged: ${why}.`);
}
