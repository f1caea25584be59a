import fsp from "node:fs/promises";
import path from "node:path";
import { BadFileError } from "../errors.js";
import { runFfmpeg, type MediaSource } from "./ffmpeg.js";
import { ParameterSetTails } from "./parameter-set-tails.js";
import { patchPieces, type Patch, type PieceSource } from "./patch-pieces.js";
import { keptAnnexBUnits } from "./annexb-file.js";
import { isSeiOrParameterSet, nalType } from "./nal-header.js";
import { blankedUnit, isTrueFiller, isUnread } from "./unread-units.js";

/**
 * Encoder identification inside H.264 and HEVC streams: SEI messages of type 5, "user data
 * unregistered" (ITU-T H.264 D.1.6, H.265 D.2.6), where x264 writes its version and full option
 * string, x265 its build and options, and camera firmware its own notes. They sit in the coded
 * samples and, for HEVC, also in the `hvcC`/codec private headers, so no container rewrite
 * reaches them.
 *
 * No bitstream filter of ffmpeg removes just them (`ffmpeg -bsfs` and `-h bsf=...` of ffmpeg 5.1,
 * Debian 12's, which CI installs): `h264_metadata`'s `sei_user_data` only inserts a message,
 * `delete_filler` only drops filler, `hevc_metadata` has neither, and `filter_units` drops whole
 * NAL units (losing the captions, HDR and timing messages that share an SEI unit with the user
 * data) and leaves the HEVC headers alone. So this is our own exact NAL rewrite: each SEI NAL unit
 * holding user data becomes one of the same length that keeps its other messages byte for byte
 * and turns the user data into filler payload (type 3, all 0xFF bytes, which decoders skip),
 * patched in the copy where the container put those bytes (`patch-pieces.ts`, also across the
 * packets of MPEG-TS and ASF). Nothing moves, so sample tables, cues and indexes stay valid, and
 * the decoded pictures are the same.
 */

export type SeiCodec = "h264" | "hevc";

const USER_DATA_REGISTERED = 4;
const USER_DATA_UNREGISTERED = 5;

/**
 * The ITU-T T.35 schemes of user data registered (type 4) that players read, as country code and
 * provider code: ATSC's (A/53 captions and bar data, "GA94"; the active format, "DTG1"),
 * DirecTV's captions, SMPTE ST 2094-40 dynamic HDR (HDR10+), Dolby's, ETSI TS 103 433 SL-HDR, the
 * Alliance for Open Media's, CUVA HDR (China) and LCEVC (UK). A message of any other scheme is a
 * writer's private data, as user data unregistered is, and goes with it.
 */
const KNOWN_T35: ReadonlySet<string> = new Set(["b5:0031", "b5:002f", "b5:003c", "b5:003b", "b5:003a", "b5:5890", "26:0004", "b4:0050"]);

/** Whether a message is a writer's own data: user data unregistered, or registered under a scheme no player reads. */
function isPrivate(m: SeiMessage): boolean {
  if (m.type === USER_DATA_UNREGISTERED) return true;
  if (m.type !== USER_DATA_REGISTERED) return false;
  const p = m.payload;
  return p.length < 3 || !KNOWN_T35.has(`${p.toString("hex", 0, 1)}:${p.toString("hex", 1, 3)}`);
}

const FILLER_PAYLOAD = 3;
/** The SEI NAL units of a stream (and the others scanned with them) are read into memory: more than this is refused as too complex. */
const MAX_SEI_BYTES = 32 * 1024 * 1024;

export function isSeiCodec(codec: string): codec is SeiCodec {
  return codec === "h264" || codec === "hevc";
}

/**
 * A stream of a file as ffmpeg's `-map 0:SPEC` names it: its index ("2"), or its place among
 * the video streams ("V:0").
 */
export type StreamSpec = string;

/**
 * The SEI NAL units of one video stream (prefix and suffix for HEVC), its parameter sets (for
 * HEVC its VPS too) and its units no decoder reads but filler's own (unread-units.ts), header included, in stream order.
 */
export async function seiUnits(src: MediaSource, stream: StreamSpec, codec: SeiCodec, workDir: string): Promise<Buffer[]> {
  const out = path.join(workDir, `sei-${stream.replace(/[^0-9A-Za-z]/g, "_")}.${codec}`);
  // mp4toannexb: it also brings the headers' (avcC, hvcC) NAL units into the stream. No
  // filter_units: ffmpeg's NAL splitting drops a unit whose forbidden bit is set, which is one to
  // find. The whole stream is written, and read here a chunk at a time.
  const r = await runFfmpeg([src], ["-map", `0:${stream}`, "-c", "copy", "-bsf:0", `${codec}_mp4toannexb`, "-f", codec, "-y", `file:${path.resolve(out)}`]);
  try {
    if (r.code !== 0) {
      throw new BadFileError("The video stream is damaged and could not be read.", new Error(`ffmpeg (SEI scan) exited ${r.code}: ${r.stderr.slice(0, 2000)}`));
    }
    // A constant-bitrate stream's filler units come to megabytes a second (36 MB in 20 s of a
    // 15 Mbit/s x264 stream): those holding only filler's bytes are passed over.
    return await keptAnnexBUnits(out, { looked: (first) => isScanned(first, codec), kept: (nal) => !isTrueFiller(nal, codec) }, MAX_SEI_BYTES);
  } finally {
    await fsp.rm(out, { force: true });
  }
}

/** SEI units and parameter sets (for HEVC its VPS too), and units no decoder reads, by the first byte of their header. */
function isScanned(first: number, codec: SeiCodec): boolean {
  return isUnread(first, codec) || isSeiOrParameterSet(first, codec);
}

/** NAL units of an Annex B byte stream, without start codes or trailing zero bytes. */
export function splitAnnexB(buf: Buffer): Buffer[] {
  const starts: number[] = [];
  for (let i = 0; i + 2 < buf.length; i++) {
    if (buf[i] === 0 && buf[i + 1] === 0 && buf[i + 2] === 1) {
      starts.push(i + 3);
      i += 2;
    }
  }
  return starts.map((from, k) => {
    let to = k + 1 < starts.length ? starts[k + 1]! - 3 : buf.length;
    while (to > from && buf[to - 1] === 0) to--;
    return buf.subarray(from, to);
  });
}

/** The length of an SEI unit's header; 0 for any other unit, or one with its forbidden bit set (unread-units.ts). */
function headerLength(nal: Buffer, codec: SeiCodec): number {
  const b = nal[0] ?? 0;
  if ((b & 0x80) !== 0) return 0;
  const type = nalType(b, codec);
  if (codec === "h264") return type === 6 ? 1 : 0;
  return type === 39 || type === 40 ? 2 : 0;
}

/** Whether a unit is an SEI unit a decoder reads (with its forbidden bit set it is one no decoder reads: unread-units.ts). */
export function isSeiUnit(nal: Buffer, codec: SeiCodec): boolean {
  return headerLength(nal, codec) > 0;
}

/** RBSP from a NAL unit's payload: every 0x03 after two zero bytes is emulation prevention. */
function unescape(ebsp: Buffer): Buffer {
  const out: number[] = [];
  let zeros = 0;
  for (const b of ebsp) {
    if (zeros >= 2 && b === 3) {
      zeros = 0;
      continue;
    }
    out.push(b);
    zeros = b === 0 ? zeros + 1 : 0;
  }
  return Buffer.from(out);
}

/** The payload bytes as stored: a 0x03 goes before any byte up to 3 that follows two zeros. */
function escape(rbsp: readonly number[]): Buffer {
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

interface SeiMessage {
  type: number;
  /** The message's bytes in the RBSP: type, size and payload. */
  raw: Buffer;
  payload: Buffer;
}

/** The messages of an SEI RBSP, or null when they run past its end. */
function parseMessages(rbsp: Buffer): SeiMessage[] | null {
  const messages: SeiMessage[] = [];
  let pos = 0;
  const readVarint = (): number | null => {
    let n = 0;
    for (;;) {
      const b = rbsp[pos++];
      if (b == null) return null;
      n += b;
      if (b !== 0xff) return n;
    }
  };
  // more_rbsp_data(): what is left is not just the stop bit's byte.
  while (pos < rbsp.length && !(pos === rbsp.length - 1 && rbsp[pos] === 0x80)) {
    const start = pos;
    const type = readVarint();
    const size = readVarint();
    if (type == null || size == null || pos + size > rbsp.length) return null;
    pos += size;
    messages.push({ type, raw: rbsp.subarray(start, pos), payload: rbsp.subarray(pos - size, pos) });
  }
  return messages;
}

/**
 * An SEI unit too short for a UUID and some text cannot identify anything; patching one in place
 * would also risk hitting the same few bytes inside picture data.
 */
const MIN_IDENTIFYING_LENGTH = 24;

/**
 * The number of user-data messages in an SEI NAL unit that are a writer's own (`isPrivate`). An
 * unreadable unit long enough to hold one counts as one: it can only be garbage, and it may hide
 * an identification.
 */
export function userDataCount(nal: Buffer, codec: SeiCodec): number {
  const hdr = headerLength(nal, codec);
  if (hdr === 0) return 0;
  const messages = parseMessages(unescape(nal.subarray(hdr)));
  if (messages == null) return nal.length >= MIN_IDENTIFYING_LENGTH ? 1 : 0;
  return messages.filter(isPrivate).length;
}

/** Whether an SEI NAL unit's messages can be read to its end. */
export function seiReadable(nal: Buffer, codec: SeiCodec): boolean {
  const hdr = headerLength(nal, codec);
  return hdr !== 0 && parseMessages(unescape(nal.subarray(hdr))) != null;
}

/** The payloads of an SEI NAL unit's user-data messages (a 16-byte UUID, then the writer's bytes); none when it cannot be read. */
export function userDataPayloads(nal: Buffer, codec: SeiCodec): Buffer[] {
  const hdr = headerLength(nal, codec);
  if (hdr === 0) return [];
  return (parseMessages(unescape(nal.subarray(hdr))) ?? []).filter((m) => m.type === USER_DATA_UNREGISTERED).map((m) => m.payload);
}

/**
 * The same-length replacement of an SEI NAL unit without its private user-data messages
 * (`isPrivate`), or null when it has none. An SEI unit that cannot be parsed is replaced whole.
 */
export function withoutUserData(nal: Buffer, codec: SeiCodec): Buffer | null {
  if (userDataCount(nal, codec) === 0) return null;
  const hdr = headerLength(nal, codec);
  const messages = parseMessages(unescape(nal.subarray(hdr))) ?? [];
  const kept = messages.filter((m) => !isPrivate(m)).flatMap((m) => [...m.raw]);
  const target = nal.length - hdr;
  const body = fillTo(kept, target);
  if (body == null) throw new Error(`no same-length SEI rewrite for a ${target}-byte unit`);
  return Buffer.concat([nal.subarray(0, hdr), body]);
}

/**
 * `kept` messages, then filler, then the stop bit, escaped to exactly `target` bytes. A filler
 * message of `size` bytes is its type (3), its size field (a 0xFF for every 255, then the rest)
 * and `size` bytes of 0xFF; a size field grows a byte at every 255, so a length it steps over is
 * reached with a second, empty filler message (3, 0). Of those bytes only the first type byte can
 * follow two zero bytes (where `kept` ends with them) and take an escape byte, so each size's
 * escaped length is counted, not built (building and escaping each try took ~27 ms for one 28 kB
 * unit), and the one that fits is built once. Sizes are tried downwards from the most that can fit.
 */
function fillTo(kept: readonly number[], target: number): Buffer | null {
  const head = escape(kept);
  const escapeByte = head.length >= 2 && head[head.length - 1] === 0 && head[head.length - 2] === 0 ? 1 : 0;
  // The escaped messages, an escape byte, the filler's type, its size field's last byte, the stop bit.
  const fixed = head.length + escapeByte + 3;
  const room = target - fixed;
  for (let size = room; size >= 0 && size >= room - Math.ceil(room / 255) - 2; size--) {
    for (const extra of [0, 2]) {
      if (fixed + Math.floor(size / 255) + size + extra !== target) continue;
      const body = Buffer.alloc(target, 0xff);
      head.copy(body);
      let at = head.length;
      if (escapeByte === 1) body[at++] = 3;
      body[at++] = FILLER_PAYLOAD;
      at += Math.floor(size / 255);
      body[at++] = size % 255;
      at += size;
      if (extra === 2) {
        body[at++] = FILLER_PAYLOAD;
        body[at++] = 0;
      }
      body[at] = 0x80;
      return body;
    }
  }
  return null;
}

/**
 * Removes the user data from the SEI of one H.264/HEVC stream of `output`, read from `source`
 * (the same stream, before the remux: its SEI bytes are what the remux copied), patching the
 * bytes `pieces` gives: where the output's container keeps that stream. The bytes a writer
 * appended to the parameter sets the samples repeat (`ParameterSetTails`) are zeroed there the
 * same way, and units no decoder reads made filler. Resolves to the number of user-data messages
 * removed and of units made filler; checks that none is left.
 */
export async function removeSeiUserData(
  source: MediaSource,
  sourceStream: StreamSpec,
  output: MediaSource,
  outputStream: StreamSpec,
  pieces: () => Promise<PieceSource>,
  codec: SeiCodec,
  workDir: string,
): Promise<{ messages: number; unread: number }> {
  const patches = new Map<string, Patch>();
  const tails = new ParameterSetTails(codec);
  let messages = 0;
  let unread = 0;
  for (const nal of await seiUnits(source, sourceStream, codec, workDir)) {
    const tail = patchedTail(tails, nal);
    const blank = tail == null ? patchedUnread(nal, codec) : null;
    const to = tail ?? blank ?? withoutUserData(nal, codec);
    if (to == null) continue;
    messages += userDataCount(nal, codec);
    if (blank != null) unread++;
    patches.set(nal.toString("hex"), { from: Buffer.from(nal), to });
  }
  if (patches.size === 0) return { messages: 0, unread: 0 };
  await patchPieces(output.file, await pieces(), [...patches.values()]);
  await expectNoSeiUserData(output, outputStream, codec, workDir);
  return { messages, unread };
}

/**
 * A parameter set, or a unit no decoder reads, is patched wherever its bytes are found, so one too
 * short to be told from a few bytes of picture data is left alone: what it holds past its fields
 * (or past its header) is then too few bytes to say anything.
 */
const MIN_PATCHED_PARAMETER_SET = 8;

/** The same-length filler for a unit no decoder reads that holds anything else, or null (as short units, for the same reason as parameter sets). */
function patchedUnread(nal: Buffer, codec: SeiCodec): Buffer | null {
  return nal.length >= MIN_PATCHED_PARAMETER_SET ? blankedUnit(nal, codec) : null;
}

/** The same-length replacement of a parameter set with bytes past its fields (`ParameterSetTails`), or null. */
function patchedTail(tails: ParameterSetTails, nal: Buffer): Buffer | null {
  const to = tails.zeroed(nal); // an SPS is read whatever its length: a PPS after it is read with it
  return nal.length < MIN_PATCHED_PARAMETER_SET ? null : to;
}

/** Reads the copy's SEI and parameter sets again: no user data and no bytes past a parameter set's fields may be left in them. */
async function expectNoSeiUserData(output: MediaSource, outputStream: StreamSpec, codec: SeiCodec, workDir: string): Promise<void> {
  const tails = new ParameterSetTails(codec);
  const units = await seiUnits(output, outputStream, codec, workDir);
  const left = units.reduce((n, nal) => n + userDataCount(nal, codec), 0);
  const tailed = units.filter((nal) => patchedTail(tails, nal) != null || patchedUnread(nal, codec) != null).length;
  if (left > 0 || tailed > 0) {
    throw new BadFileError(
      "The video stream's encoder information could not be removed.",
      new Error(`${left} SEI user-data message(s) and ${tailed} parameter set(s) with bytes past their fields or units no decoder reads left in ${codec} stream ${outputStream} of the copy`),
    );
  }
}
