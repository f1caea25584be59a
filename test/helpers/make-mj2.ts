import { box } from "./make-images.js";

/**
 * Motion JPEG 2000 (ISO/IEC 15444-3) built by hand, as OpenJPEG's MJ2 writer lays it out
 * (metadata-extractor's speedway.mj2): the JPEG 2000 signature, `ftyp` of brand `mjp2`, the media
 * data, then the movie box. ffmpeg has no MJ2 muxer, and its MOV muxer writes no signature box.
 */
export interface Mj2Options {
  width: number;
  height: number;
  /** Each frame's sample as it goes into the media data (a codestream, a `jp2c` box, a whole JP2 file). */
  samples: readonly Buffer[];
  /** Boxes put into the movie box after the track (user data...). */
  moovExtra?: readonly Buffer[];
  /** Top-level boxes put after the movie box (XML...). */
  trailing?: readonly Buffer[];
}

const SIGNATURE = Buffer.from("0000000c6a5020200d0a870a", "hex");
/** Frames last 1/5 s: 200 units of a 1000-unit second. */
const TIMESCALE = 1000;
const FRAME_DURATION = 200;

export function motionJp2(o: Mj2Options): Buffer {
  const ftyp = box("ftyp", Buffer.from("mjp2\0\0\0\0mjp2mj2s", "latin1"));
  const firstSample = SIGNATURE.length + ftyp.length + 8;
  const offsets: number[] = [];
  let at = firstSample;
  for (const s of o.samples) {
    offsets.push(at);
    at += s.length;
  }
  const duration = FRAME_DURATION * o.samples.length;
  const moov = box("moov", Buffer.concat([movieHeader(duration), track(o, offsets, duration), ...(o.moovExtra ?? [])]));
  return Buffer.concat([SIGNATURE, ftyp, box("mdat", Buffer.concat(o.samples)), moov, ...(o.trailing ?? [])]);
}

const fullBox = (type: string, versionFlags: number, payload: Buffer): Buffer => box(type, Buffer.concat([u32(versionFlags), payload]));
const container = (type: string, children: readonly Buffer[]): Buffer => box(type, Buffer.concat(children));

function u32(...values: number[]): Buffer {
  const b = Buffer.alloc(4 * values.length);
  values.forEach((v, i) => b.writeUInt32BE(v, 4 * i));
  return b;
}

function u16(...values: number[]): Buffer {
  const b = Buffer.alloc(2 * values.length);
  values.forEach((v, i) => b.writeUInt16BE(v, 2 * i));
  return b;
}

/** The unity matrix of movie and track headers. */
const MATRIX = u32(0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000);

function movieHeader(duration: number): Buffer {
  // Dates, timescale, duration, rate 1.0, volume 1.0, reserved, matrix, pre-defined, next track id.
  return fullBox("mvhd", 0, Buffer.concat([u32(0, 0, TIMESCALE, duration, 0x10000), u16(0x100), Buffer.alloc(10), MATRIX, Buffer.alloc(24), u32(2)]));
}

function track(o: Mj2Options, offsets: readonly number[], duration: number): Buffer {
  // Enabled and in the movie; dates, id 1, duration, layer, group, volume, matrix, size (16.16).
  const tkhd = fullBox("tkhd", 3, Buffer.concat([u32(0, 0, 1, 0, duration, 0, 0), u16(0, 0, 0, 0), MATRIX, u32(o.width << 16, o.height << 16)]));
  const mdhd = fullBox("mdhd", 0, Buffer.concat([u32(0, 0, TIMESCALE, duration), u16(0x55c4, 0)]));
  const hdlr = fullBox("hdlr", 0, Buffer.concat([u32(0), Buffer.from("vide", "latin1"), Buffer.alloc(12), Buffer.from("\0", "latin1")]));
  const vmhd = fullBox("vmhd", 1, Buffer.alloc(8));
  const dinf = container("dinf", [fullBox("dref", 0, Buffer.concat([u32(1), fullBox("url ", 1, Buffer.alloc(0))]))]);
  const stbl = container("stbl", [
    fullBox("stsd", 0, Buffer.concat([u32(1), sampleEntry(o)])),
    fullBox("stts", 0, u32(1, o.samples.length, FRAME_DURATION)),
    fullBox("stsc", 0, u32(1, 1, 1, 1)),
    fullBox("stsz", 0, u32(0, o.samples.length, ...o.samples.map((s) => s.length))),
    fullBox("stco", 0, u32(offsets.length, ...offsets)),
  ]);
  return container("trak", [tkhd, container("mdia", [mdhd, hdlr, container("minf", [vmhd, dinf, stbl])])]);
}

/** The `mjp2` visual sample entry with its JP2 header: 8-bit RGB, sRGB by its number. */
function sampleEntry(o: Mj2Options): Buffer {
  const fixed = Buffer.concat([
    Buffer.alloc(6), u16(1), Buffer.alloc(16), u16(o.width, o.height), u32(0x480000, 0x480000, 0), u16(1), Buffer.alloc(32), u16(0x18, 0xffff),
  ]);
  const ihdr = box("ihdr", Buffer.concat([u32(o.height, o.width), u16(3), Buffer.from([7, 7, 0, 0])]));
  const colr = box("colr", Buffer.concat([Buffer.from([1, 0, 0]), u32(16)]));
  return box("mjp2", Buffer.concat([fixed, container("jp2h", [ihdr, colr])]));
}
