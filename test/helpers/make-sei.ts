import fs from "node:fs/promises";
import path from "node:path";
import { run } from "./tools.js";

/**
 * H.264 and HEVC videos whose SEI mixes what must go with what must stay: every access unit gets
 * an SEI NAL unit (built here, as a broadcast encoder writes them) holding A/53 closed captions
 * (user data registered by ITU-T T.35, "GA94"), then, in the same NAL unit, user data
 * unregistered carrying `marker`: on every picture a dash-cam-style position and time (a
 * different unit on every frame), and on the first and the sixth an x264-style identification
 * string long enough that TS and ASF cut it over their packets. The encoders' own identification
 * stays too (x264's options string; x265's, next to the HDR mastering display and light level SEI it
 * writes). Muxed by ffmpeg with a sound track into the container asked for.
 */

export type SeiCodec = "h264" | "hevc";
export type SeiContainer = "mp4" | "mov" | "mkv" | "avi" | "ts" | "m2ts" | "asf" | "flv";

const ffmpegQuiet = ["-nostdin", "-loglevel", "error", "-y"];
const FRAMES = 10;
const MUXERS: Record<SeiContainer, string[]> = {
  mp4: ["-c:a", "aac", "-f", "mp4"],
  mov: ["-c:a", "aac", "-f", "mov"],
  mkv: ["-c:a", "aac", "-f", "matroska"],
  avi: ["-c:a", "libmp3lame", "-f", "avi"],
  ts: ["-c:a", "aac", "-f", "mpegts"],
  m2ts: ["-c:a", "aac", "-f", "mpegts", "-mpegts_m2ts_mode", "1"],
  asf: ["-c:a", "wmav2", "-f", "asf"],
  flv: ["-c:a", "aac", "-f", "flv"],
};

/** x265's HDR10 SEI: mastering display colour volume and content light level. */
const X265_HDR = "master-display=G(13250,34500)B(7500,3000)R(34000,16000)WP(15635,16450)L(10000000,1):max-cll=1000,400";

export async function makeSeiVideo(dir: string, codec: SeiCodec, container: SeiContainer, marker: string): Promise<string> {
  const withSei = await makeSeiStream(dir, codec, marker, container);
  const file = path.join(dir, `sei-${codec}.${container}`);
  await run("ffmpeg", [
    ...ffmpegQuiet, "-r", "10", "-f", codec, "-i", withSei, "-f", "lavfi", "-i", "sine=frequency=440:duration=1",
    "-map", "0", "-map", "1", "-c:v", "copy", ...MUXERS[container], file,
  ]);
  return file;
}

/** The video of `makeSeiVideo` as the bare Annex B stream the encoder wrote (`.h264`, `.hevc`), named after `use`. */
export async function makeSeiStream(dir: string, codec: SeiCodec, marker: string, use = "bare"): Promise<string> {
  const raw = path.join(dir, `plain-${codec}-${use}.${codec}`);
  const encoder = codec === "h264" ? ["-c:v", "libx264", "-preset", "ultrafast"] : ["-c:v", "libx265", "-x265-params", `log-level=error:bframes=0:${X265_HDR}`];
  await run("ffmpeg", [...ffmpegQuiet, "-f", "lavfi", "-i", `testsrc=size=64x48:rate=10:duration=${FRAMES / 10}`, ...encoder, "-f", codec, raw]);
  const withSei = path.join(dir, `sei-${codec}-${use}.${codec}`);
  await fs.writeFile(withSei, insertSei(await fs.readFile(raw), codec, marker));
  return withSei;
}

/** The caption pairs of the first access units: pop-on "HI" (resume, text, end of caption). */
const CAPTIONS: ReadonlyArray<readonly [number, number]> = [[0x14, 0x20], [0x14, 0x20], [0x48, 0x49], [0x14, 0x2f], [0x14, 0x2f]];

/** CEA-608 bytes carry odd parity in their top bit. */
function parity(b: number): number {
  let ones = 0;
  for (let i = 0; i < 7; i++) ones += (b >> i) & 1;
  return ones % 2 === 0 ? b | 0x80 : b;
}

/** ATSC A/53 Part 4 user data: T.35 country 0xB5, provider 0x0031, "GA94", cc_data with one pair. */
function a53Captions(frame: number): Buffer {
  const [c1, c2] = CAPTIONS[frame] ?? [0x80, 0x80];
  return Buffer.from([0xb5, 0x00, 0x31, ...Buffer.from("GA94"), 0x03, 0xc0 | 1, 0xff, 0xfc, parity(c1), parity(c2), 0xff]);
}

/**
 * An x264-style identification string (UUID, then text) with `marker` in its options, repeated to
 * over 4 KB (as long option lists and firmware notes get): longer than an ASF data packet (3,200
 * bytes as ffmpeg writes them) and than twenty TS packets, so both containers must cut it.
 */
function identification(marker: string): Buffer {
  const uuid = Buffer.from("dc45e9bde6d948b7962cd820d923eeef", "hex");
  const options = `cabac=1 ref=3 deblock=1:0:0 analyse=0x3:0x113 me=hex subme=7 psy=1 psy_rd=1.00:0.00 mixed_ref=1 me_range=16 chroma_me=1 trellis=1 8x8dct=1 cqm=0 deadzone=21,11 fast_pskip=1 chroma_qp_offset=-2 threads=3 lookahead_threads=1 sliced_threads=0 nr=0 decimate=1 interlaced=0 bluray_compat=0 user=${marker} rc=crf crf=23.0`;
  const text = `x264 - core 164 r3095 baf4d9d - H.264/MPEG-4 AVC codec - Copyleft 2003-2022 - http://www.videolan.org/x264.html - options: ${Array<string>(8).fill(options).join(" ")}`;
  return Buffer.concat([uuid, Buffer.from(text, "latin1"), Buffer.from([0])]);
}

/** A dash cam's per-frame user data: its own UUID, then a position and time that change with every frame. */
function position(frame: number, marker: string): Buffer {
  const uuid = Buffer.from("a8f4c3b2e1d04f6a9b7c5d3e2f1a0b9c", "hex");
  const text = `GPS N48.${8584 + frame} E2.${2945 + frame} 2024-03-15T10:30:0${frame}Z ${marker}`;
  return Buffer.concat([uuid, Buffer.from(text, "latin1")]);
}

/** One SEI message: payload type and size (each as 0xFF bytes then the rest), payload. */
function message(type: number, payload: Buffer): Buffer {
  const size = [...Array<number>(Math.floor(payload.length / 255)).fill(0xff), payload.length % 255];
  return Buffer.concat([Buffer.from([type, ...size]), payload]);
}

/** Emulation prevention: a 0x03 before any byte up to 3 that follows two zero bytes. */
function escape(rbsp: Buffer): Buffer {
  const out: number[] = [];
  let zeros = 0;
  for (const b of rbsp) {
    if (zeros >= 2 && b <= 3) {
      out.push(3);
      zeros = 0;
    }
    out.push(b);
    zeros = b === 0 ? zeros + 1 : 0;
  }
  return Buffer.from(out);
}

/**
 * An H.264 or HEVC (prefix) SEI NAL unit (no start code) holding only the x264-style
 * identification with `marker`, made `padding` bytes longer by spaces after its text.
 */
export function identificationSeiNal(marker: string, codec: SeiCodec = "h264", padding = 0): Buffer {
  const payload = Buffer.concat([identification(marker), Buffer.alloc(padding, 0x20)]);
  return Buffer.concat([Buffer.from(codec === "h264" ? [0x06] : [0x4e, 0x01]), escape(Buffer.concat([message(5, payload), Buffer.from([0x80])]))]);
}

/**
 * An H.264 or HEVC (prefix) SEI NAL unit holding user data registered under an ITU-T T.35 scheme
 * no player reads (United States, provider 0x7777), as a camera maker's private data: `text`.
 */
export function privateT35SeiNal(text: string, codec: SeiCodec): Buffer {
  const payload = Buffer.concat([Buffer.from([0xb5, 0x77, 0x77]), Buffer.from(text, "latin1")]);
  return Buffer.concat([Buffer.from(codec === "h264" ? [0x06] : [0x4e, 0x01]), escape(Buffer.concat([message(4, payload), Buffer.from([0x80])]))]);
}

/** Puts our SEI NAL unit before the first slice of every access unit (one slice per picture). */
function insertSei(stream: Buffer, codec: SeiCodec, marker: string): Buffer {
  const header = codec === "h264" ? [0x06] : [0x4e, 0x01];
  const parts: Buffer[] = [];
  let last = 0;
  let frame = 0;
  for (let i = 0; i + 3 < stream.length; i++) {
    if (stream[i] !== 0 || stream[i + 1] !== 0 || stream[i + 2] !== 1) continue;
    const h = stream[i + 3]!;
    const slice = codec === "h264" ? (h & 0x1f) === 1 || (h & 0x1f) === 5 : ((h >> 1) & 0x3f) < 32;
    if (slice) {
      const at = stream[i - 1] === 0 ? i - 1 : i;
      const messages = [
        message(4, a53Captions(frame)),
        message(5, position(frame, marker)),
        ...(frame === 0 || frame === 5 ? [message(5, identification(marker))] : []),
      ];
      const rbsp = Buffer.concat([...messages, Buffer.from([0x80])]);
      parts.push(stream.subarray(last, at), Buffer.from([0, 0, 0, 1, ...header]), escape(rbsp));
      last = at;
      frame++;
    }
    i += 2;
  }
  if (frame !== FRAMES) throw new Error(`expected ${FRAMES} pictures in the ${codec} stream, found ${frame}`);
  parts.push(stream.subarray(last));
  return Buffer.concat(parts);
}

/**
 * The closed captions as ffmpeg's decoder hands them on (the `subcc` output of the movie source):
 * each caption packet's time and md5, and the text they show as SRT.
 */
export async function captionsOf(file: string): Promise<{ packets: string; text: string }> {
  const source = ["-f", "lavfi", "-i", `movie=${file}[out0+subcc]`, "-map", "0:1"];
  const packets = await run("ffmpeg", ["-nostdin", "-loglevel", "error", ...source, "-c", "copy", "-f", "framemd5", "-"]);
  const srt = await run("ffmpeg", ["-nostdin", "-loglevel", "error", ...source, "-f", "srt", "-"]);
  return {
    packets: packets.stdout.toString("utf8").split("\n").filter((l) => l !== "" && !l.startsWith("#")).join("\n"),
    text: srt.stdout.toString("utf8"),
  };
}

/** The side data ffprobe reads from each decoded picture (HDR mastering display, light level, captions). */
export async function frameSideData(file: string): Promise<string> {
  const { stdout } = await run("ffprobe", ["-v", "error", "-select_streams", "V:0", "-show_frames", "-show_entries", "frame=side_data_list", "-of", "json", file]);
  return stdout.toString("utf8");
}

/** `frameSideData`'s answer without the user data messages, which a clean copy no longer has. */
export function keptSideData(json: string): unknown {
  const frames = (JSON.parse(json) as { frames?: Array<{ side_data_list?: Array<{ side_data_type?: string }> }> }).frames ?? [];
  return frames.map((f) => (f.side_data_list ?? []).filter((d) => !/User Data Unregistered/.test(d.side_data_type ?? "")));
}
