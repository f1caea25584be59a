import { BadFileError } from "../errors.js";

/** One marker segment between SOI and EOI. */
export interface JpegSegment {
  /** The marker's second byte (0xE1 for APP1...). */
  marker: number;
  /** The segment's bytes after its length field. */
  payload: Buffer;
  /** For SOS only: the entropy-coded data that follows the segment, RST markers included. */
  scanData?: Buffer;
}

export interface ParsedJpeg {
  segments: JpegSegment[];
  /** The bytes ended inside the image data, before any EOI. */
  truncated: boolean;
}

export const SOS = 0xda;
const SOI = 0xd8;
const EOI = 0xd9;

/**
 * Splits a JPEG into its marker segments, up to the first EOI (what follows it, such as MPF
 * previews or vendor trailers, is never part of the picture). Throws `unprocessable` for bytes
 * that are not a JPEG stream; a stream cut short inside its image data is returned as truncated.
 */
export function parseJpeg(buf: Buffer): ParsedJpeg {
  if (buf.length < 4 || buf[0] !== 0xff || buf[1] !== SOI) throw damaged("it does not start like a JPEG");
  const segments: JpegSegment[] = [];
  let i = 2;
  while (true) {
    // Any number of 0xFF fill bytes may precede a marker.
    if (i >= buf.length) return finish(segments, true);
    if (buf[i] !== 0xff) throw damaged("a marker segment is missing");
    while (buf[i] === 0xff) i++;
    if (i >= buf.length) return finish(segments, true);
    const marker = buf[i]!;
    i++;
    if (marker === EOI) return finish(segments, false);
    if (marker === SOI || marker === 0x00 || (marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) {
      throw damaged("it has a misplaced marker");
    }
    if (i + 2 > buf.length) return finish(segments, true);
    const length = buf.readUInt16BE(i);
    if (length < 2 || i + length > buf.length) {
      if (sawScan(segments)) return finish(segments, true);
      throw damaged("it is truncated");
    }
    const payload = buf.subarray(i + 2, i + length);
    i += length;
    if (marker !== SOS) {
      segments.push({ marker, payload });
      continue;
    }
    const end = scanEnd(buf, i);
    segments.push({ marker, payload, scanData: buf.subarray(i, end) });
    i = end;
  }
}

/** Where the entropy-coded data starting at `from` ends: at the first marker that is not RSTn. */
function scanEnd(buf: Buffer, from: number): number {
  let i = from;
  while (true) {
    i = buf.indexOf(0xff, i);
    if (i < 0 || i + 1 >= buf.length) return buf.length;
    const next = buf[i + 1]!;
    // 0xFF00 is a stuffed data byte, 0xFFD0-D7 restart markers belong to the scan, 0xFFFF is fill.
    if (next === 0x00 || (next >= 0xd0 && next <= 0xd7)) i += 2;
    else if (next === 0xff) i += 1;
    else return i;
  }
}

function sawScan(segments: readonly JpegSegment[]): boolean {
  return segments.some((s) => s.marker === SOS);
}

function finish(segments: JpegSegment[], truncated: boolean): ParsedJpeg {
  if (!sawScan(segments)) throw damaged(truncated ? "it is truncated" : "it holds no image data");
  if (!segments.some((s) => isFrameHeader(s.marker))) throw damaged("it has no frame header");
  return { segments, truncated };
}

/** SOF0-SOF15, without DHT (C4), JPG (C8) and DAC (CC) which share the range. */
export function isFrameHeader(marker: number): boolean {
  return marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
}

/** SOI, the segments, EOI: a complete JPEG stream. */
export function serializeJpeg(segments: readonly JpegSegment[]): Buffer {
  const parts: Buffer[] = [Buffer.from([0xff, SOI])];
  for (const s of segments) {
    const head = Buffer.alloc(4);
    head[0] = 0xff;
    head[1] = s.marker;
    head.writeUInt16BE(s.payload.length + 2, 2);
    parts.push(head, s.payload);
    if (s.scanData != null) parts.push(s.scanData);
  }
  parts.push(Buffer.from([0xff, EOI]));
  return Buffer.concat(parts);
}

function damaged(why: string): BadFileError {
  return new BadFileError(`The JPEG file is damaged: ${why}.`);
}
