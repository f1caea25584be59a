import fs from "node:fs/promises";
import path from "node:path";
import { ffmpegQuiet, run } from "./tools.js";

/**
 * AAC as ffmpeg's encoder writes it (7 s of a sine, so that its "Lavc…" fill element is in two
 * frames: the first and the 257th), with more fill elements planted at the start of other
 * frames' raw data blocks (bit-exact insertions into the ADTS stream, the rest of each block
 * shifted behind them), then stream-copied by ffmpeg into the container asked for.
 */

export type AacLayout = "mono" | "2.1";
export type AacContainer = "m4a" | "mp4" | "mov" | "3gp" | "mp4-subtitles" | "mkv" | "ts" | "m2ts" | "flv" | "avi" | "asf" | "ts-latm" | "caf";


/** A fill element to plant at the start of frame `frame`'s raw data block. */
export interface PlantedFill {
  frame: number;
  /** The payload's text; it starts at a byte boundary `textBit` bits into the element. */
  text: string;
  /** Bits from the element's start to the text (at least 19: id, count, escape, extension type); 32 is where ffmpeg's decoder reads from. */
  textBit?: number;
  /** Claim this many more payload bytes than the element has (a lying count). */
  overclaim?: number;
}

/** Writes bits MSB first. */
class BitWriter {
  private readonly bits: number[] = [];
  put(value: number, n: number): void {
    for (let i = n - 1; i >= 0; i--) this.bits.push((value >>> i) & 1);
  }
  putBits(buf: Buffer, fromBit: number, toBit: number): void {
    for (let p = fromBit; p < toBit; p++) this.bits.push((buf[p >> 3]! >> (7 - (p & 7))) & 1);
  }
  get length(): number {
    return this.bits.length;
  }
  bytes(): Buffer {
    const out = Buffer.alloc(Math.ceil(this.bits.length / 8));
    this.bits.forEach((b, i) => {
      if (b) out[i >> 3]! |= 0x80 >> (i & 7);
    });
    return out;
  }
}

/**
 * A fill element (EXT_FIL) in the form ffmpeg's encoder writes, starting `startBit` bits into its
 * raw data block, whose payload holds `text` at a byte boundary of the block (by default the
 * first one after the extension type).
 */
export function fillElement(fill: PlantedFill, startBit = 0): BitWriter {
  const textBit = fill.textBit ?? 19 + ((8 - ((startBit + 19) % 8)) % 8);
  const w = new BitWriter();
  const text = Buffer.from(fill.text, "latin1");
  // Payload bits: the extension type, the zero bits before the text, the text, 7 zero bits after.
  const payloadBits = 4 + (textBit - 19) + 8 * text.length + 7;
  const count = Math.ceil(payloadBits / 8) + (fill.overclaim ?? 0);
  if (count < 15 || count > 269) throw new Error(`a planted fill of ${count} bytes needs another text`);
  w.put(6, 3); // ID_FIL
  w.put(15, 4);
  w.put(count - 14, 8);
  w.put(0, 4); // EXT_FIL
  w.put(0, textBit - 19);
  for (const b of text) w.put(b, 8);
  w.put(0, 8 * Math.ceil(payloadBits / 8) - (payloadBits - 7));
  return w;
}

/** The ADTS frames of a stream: [start, end) of each. */
function adtsFrames(buf: Buffer): Array<[number, number]> {
  const frames: Array<[number, number]> = [];
  for (let at = 0; at + 7 <= buf.length; ) {
    if (buf[at] !== 0xff || (buf[at + 1]! & 0xf6) !== 0xf0) throw new Error(`no ADTS sync at ${at}`);
    const length = ((buf[at + 3]! & 3) << 11) | (buf[at + 4]! << 3) | (buf[at + 5]! >> 5);
    frames.push([at, at + length]);
    at += length;
  }
  return frames;
}

/** `adts` with the fills planted: each goes in front of its frame's raw data block (header without CRC, as ffmpeg writes). */
export function plantFills(adts: Buffer, fills: readonly PlantedFill[]): Buffer {
  const frames = adtsFrames(adts);
  const parts: Buffer[] = [];
  for (const [i, [start, end]] of frames.entries()) {
    const planted = fills.filter((f) => f.frame === i);
    if (planted.length === 0) {
      parts.push(adts.subarray(start, end));
      continue;
    }
    const w = new BitWriter();
    for (const fill of planted) {
      const element = fillElement(fill, w.length);
      w.putBits(element.bytes(), 0, element.length);
    }
    // The original block, shifted; its last byte's padding bits after END come along.
    w.putBits(adts, (start + 7) * 8, end * 8);
    const block = w.bytes();
    const header = Buffer.from(adts.subarray(start, start + 7));
    const length = 7 + block.length;
    header[3] = (header[3]! & 0xfc) | (length >> 11);
    header[4] = (length >> 3) & 0xff;
    header[5] = ((length & 7) << 5) | (header[5]! & 0x1f);
    parts.push(header, block);
  }
  return Buffer.concat(parts);
}

export interface AacOptions {
  /**
   * Mono, or 2.1, a layout that needs a program config element, whose comment ffmpeg fills with
   * "Lavc…" too (in the first frame of the ADTS; a container moves it into its codec configuration).
   */
  layout?: AacLayout;
  /** Length of the sound: 7 s by default (302 frames at 44.1 kHz). */
  seconds?: number;
}

/** ffmpeg's AAC as ADTS, with `fills` planted. */
export async function makeAdts(dir: string, fills: readonly PlantedFill[], name = "planted", opts: AacOptions = {}): Promise<string> {
  const plain = path.join(dir, "plain.aac");
  const sound = (opts.layout ?? "mono") === "mono" ? [] : ["-filter_complex", "[0][0][0]amerge=inputs=3,aformat=channel_layouts=2.1"];
  const sine = ["-f", "lavfi", "-i", `sine=frequency=440:duration=${opts.seconds ?? 7}`];
  await run("ffmpeg", [...ffmpegQuiet, ...sine, ...sound, "-c:a", "aac", "-b:a", "64k", "-f", "adts", plain]);
  const file = path.join(dir, `${name}.aac`);
  await fs.writeFile(file, plantFills(await fs.readFile(plain), fills));
  return file;
}

const VIDEO = ["-f", "lavfi", "-i", "testsrc=size=64x48:rate=10:duration=7"];
const X264 = ["-c:v", "libx264", "-preset", "ultrafast"];

/** The planted ADTS stream copied into `container` (with a small video track where the container is a video one). */
export async function makeAacIn(dir: string, container: AacContainer, fills: readonly PlantedFill[], opts: AacOptions = {}): Promise<string> {
  const adts = await makeAdts(dir, fills, `planted-${container}`, opts);
  const audio = ["-f", "aac", "-i", adts];
  const ext = container === "mp4-subtitles" ? "mp4" : container === "ts-latm" ? "ts" : container;
  const file = path.join(dir, `aac-${container}.${ext}`);
  if (container === "caf") {
    await fs.writeFile(file, cafFromAdts(await fs.readFile(adts)));
    return file;
  }
  const args: Record<Exclude<AacContainer, "caf">, string[]> = {
    m4a: [...audio, "-c", "copy", "-f", "ipod"],
    mp4: [...audio, ...VIDEO, "-map", "0", "-map", "1", "-c:a", "copy", ...X264],
    mov: [...audio, ...VIDEO, "-map", "0", "-map", "1", "-c:a", "copy", ...X264],
    "3gp": [...audio, "-c", "copy", "-f", "3gp"],
    "mp4-subtitles": [...audio, "-i", await subtitle(dir), "-map", "0", "-map", "1", "-c", "copy", "-c:s", "mov_text"],
    mkv: [...audio, ...VIDEO, "-map", "0", "-map", "1", "-c:a", "copy", ...X264],
    ts: [...audio, ...VIDEO, "-map", "0", "-map", "1", "-c:a", "copy", ...X264, "-f", "mpegts"],
    m2ts: [...audio, "-c", "copy", "-f", "mpegts", "-mpegts_m2ts_mode", "1"],
    flv: [...audio, ...VIDEO, "-map", "0", "-map", "1", "-c:a", "copy", ...X264],
    avi: [...audio, ...VIDEO, "-map", "0", "-map", "1", "-c:a", "copy", ...X264],
    asf: [...audio, "-c", "copy", "-f", "asf"],
    // LATM in LOAS frames, as DVB broadcasts carry AAC: the raw data blocks start at any bit. The
    // muxer needs the configuration before the first packet: from an M4A, not ADTS.
    "ts-latm": ["-i", await remuxed(adts, path.join(dir, "for-latm.m4a")), "-c", "copy", "-f", "mpegts", "-mpegts_flags", "latm"],
  };
  await run("ffmpeg", [...ffmpegQuiet, ...args[container], file]);
  return file;
}

const SAMPLE_RATES = [96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350];

/**
 * An ADTS stream's frames as Apple's Core Audio Format stores AAC (ffmpeg 5.1 writes no AAC into
 * CAF; afconvert does): the audio description, the magic cookie (an `esds` payload holding the
 * AudioSpecificConfig), the packet table (each raw data block's size as a variable-length
 * integer), then the raw data blocks after the data chunk's edit count.
 */
export function cafFromAdts(adts: Buffer): Buffer {
  const blocks: Buffer[] = [];
  let profile = 1;
  let rateIndex = 4;
  let channels = 1;
  for (let at = 0; at + 7 <= adts.length; ) {
    const header = (adts[at + 1]! & 1) === 1 ? 7 : 9;
    const length = ((adts[at + 3]! & 3) << 11) | (adts[at + 4]! << 3) | (adts[at + 5]! >> 5);
    profile = adts[at + 2]! >> 6;
    rateIndex = (adts[at + 2]! >> 2) & 0xf;
    channels = ((adts[at + 2]! & 1) << 2) | (adts[at + 3]! >> 6);
    blocks.push(adts.subarray(at + header, at + length));
    at += length;
  }
  const chunk = (id: string, body: Buffer): Buffer => {
    const h = Buffer.alloc(12);
    h.write(id, 0, "latin1");
    h.writeBigInt64BE(BigInt(body.length), 4);
    return Buffer.concat([h, body]);
  };
  const desc = Buffer.alloc(32);
  desc.writeDoubleBE(SAMPLE_RATES[rateIndex]!, 0);
  desc.write("aac ", 8, "latin1");
  desc.writeUInt32BE(profile + 1, 12);
  desc.writeUInt32BE(1024, 20);
  desc.writeUInt32BE(channels, 24);
  const asc = Buffer.from([((profile + 1) << 3) | (rateIndex >> 1), ((rateIndex & 1) << 7) | (channels << 3)]);
  const descriptor = (tag: number, body: Buffer): Buffer => Buffer.concat([Buffer.from([tag, body.length]), body]);
  const decoderConfig = descriptor(4, Buffer.concat([Buffer.from([0x40, 0x15, 0, 0x18, 0, 0, 0, 0xfa, 0, 0, 0, 0xfa, 0]), descriptor(5, asc)]));
  const kuki = Buffer.concat([Buffer.alloc(4), descriptor(3, Buffer.concat([Buffer.from([0, 0, 0]), decoderConfig, descriptor(6, Buffer.from([2]))]))]);
  const varint = (n: number): number[] => {
    const groups = [n & 0x7f];
    for (n >>= 7; n > 0; n >>= 7) groups.unshift((n & 0x7f) | 0x80);
    return groups;
  };
  const counts = Buffer.alloc(24);
  counts.writeBigInt64BE(BigInt(blocks.length), 0);
  counts.writeBigInt64BE(BigInt(blocks.length * 1024), 8);
  const pakt = Buffer.concat([counts, Buffer.from(blocks.flatMap((b) => varint(b.length)))]);
  const data = Buffer.concat([Buffer.alloc(4), ...blocks]);
  return Buffer.concat([Buffer.from("caff\0\x01\0\0", "latin1"), chunk("desc", desc), chunk("kuki", kuki), chunk("pakt", pakt), chunk("data", data)]);
}

async function remuxed(input: string, output: string): Promise<string> {
  await run("ffmpeg", [...ffmpegQuiet, "-f", "aac", "-i", input, "-c", "copy", output]);
  return output;
}

async function subtitle(dir: string): Promise<string> {
  const file = path.join(dir, "dialogue.srt");
  await fs.writeFile(file, "1\n00:00:00,500 --> 00:00:02,000\nHello there.\n\n2\n00:00:03,000 --> 00:00:05,000\nGoodbye.\n");
  return file;
}

/** Whether `text` is in `bytes` starting at any bit, not only at a byte boundary (LATM puts it anywhere). */
export function containsAtAnyBit(bytes: Buffer, text: string): boolean {
  if (bytes.includes(text, 0, "latin1")) return true;
  for (let shift = 1; shift < 8; shift++) {
    const shifted = Buffer.alloc(bytes.length);
    for (let i = 0; i < bytes.length; i++) shifted[i] = ((bytes[i]! << shift) | ((bytes[i + 1] ?? 0) >> (8 - shift))) & 0xff;
    if (shifted.includes(text, 0, "latin1")) return true;
  }
  return false;
}
