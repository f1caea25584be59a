import fs from "node:fs";
import fsp, { type FileHandle } from "node:fs/promises";
import type { CleanOutcome } from "../types.js";
import { type Box, topLevelBoxes } from "./iso-boxes.js";
import { rewriteMoov, type KeptTrack, type MoovRewrite } from "./iso-moov.js";
import type { Range } from "./iso-samples.js";
import type { MediaSource } from "./ffmpeg.js";
import { wholeFile } from "./patch-pieces.js";
import { walkAacSamples } from "./iso-aac.js";
import { MAX_CHUNK, walkSampleUserData } from "./iso-mpeg4.js";
import { removeSampleSeiUserData, seiUserDataLeft } from "./iso-sei.js";
import { BadFileError } from "../errors.js";
import { blankFrameComments } from "../image/jp2-codestream-comments.js";
import { removeSeiUserData, type SeiCodec } from "./sei.js";
import { cleanDvFrames, DV_FORMATS } from "./dv-frames.js";

/** A `moov` larger than this is left to the remux (it is read into memory). */
const MAX_MOOV_BYTES = 64 * 1024 * 1024;
/** An `ftyp` is a few brands; a larger one is not read. */
const MAX_FTYP_BYTES = 4096;

/** Top-level boxes of fragmented files: their samples are described outside `moov`, left to the remux. */
const FRAGMENTS = new Set(["moof", "mfra", "sidx", "ssix", "styp", "emsg", "prft"]);

/** Compatible brands that name a specification; any other (a camera maker's) becomes the major brand. */
const STANDARD_BRANDS = new Set([
  "isom", "iso2", "iso3", "iso4", "iso5", "iso6", "iso7", "iso8", "iso9", "avc1", "hvc1", "hev1", "av01", "mp41", "mp42", "mp71",
  "M4A ", "M4B ", "M4P ", "M4V ", "M4VH", "M4VP", "qt  ", "3gp4", "3gp5", "3gp6", "3gp7", "3gp8", "3gp9", "3g2a", "3g2b", "3g2c", "dash",
  "mjp2", "mj2s",
  // HEIF, MIAF and AVIF still pictures and sequences (ISO/IEC 23008-12, 23000-22; AV1 Image File Format).
  "mif1", "mif2", "msf1", "miaf", "heic", "heix", "heim", "heis", "hevc", "hevx", "hevm", "hevs", "avif", "avis", "avio", "MA1A", "MA1B",
]);

/** The JPEG 2000 signature box (ISO/IEC 15444-1 I.5.1), which a Motion JPEG 2000 file has before its `ftyp`. */
const JP2_SIGNATURE = Buffer.from("0000000c6a5020200d0a870a", "hex");

/** ffmpeg's minor version: what the remux wrote too, instead of a writer's own number. */
const MINOR_VERSION = 0x200;

const CODECS: Record<string, SeiCodec> = { avc1: "h264", avc3: "h264", hvc1: "hevc", hev1: "hevc" };

const ZEROS_AT_ONCE = 1024 * 1024;

/**
 * Cleans an MP4/MOV by rewriting its boxes instead of remuxing it, when that is exact: the copy
 * keeps the media data where it was, byte for byte, so no chunk offset changes. The file is
 * copied by the kernel (or cloned), then, in the copy:
 * - `moov` is replaced by its clean rewrite (`iso-moov.ts`), which is never longer: the room
 *   left becomes a `free` box of zeros;
 * - every other top-level box but `ftyp` and `mdat` (XMP, top-level `meta`/`udta`, previews,
 *   padding) becomes a `free` box of zeros;
 * - every byte of the media data that is not a sample of a kept track (dropped telemetry or
 *   timecode tracks, anything a writer hid between the samples) becomes zero;
 * - `ftyp` keeps its major brand (ExifTool's and players' file type), with ffmpeg's minor version
 *   and makers' compatible brands replaced;
 * - SEI user data in H.264/HEVC is overwritten as after the remux (`sei.ts`), found through the
 *   sample tables (`iso-sei.ts`) instead of an ffmpeg scan of the whole stream, and in the
 *   `avcC`/`hvcC` parameter sets; the samples written to are read again, and the new `moov`
 *   rewritten again, to check that none is left;
 * - MPEG-4 Part 2 user data (`mpeg4-user-data.ts`) is blanked in the `esds` and in the samples,
 *   found through the sample tables, and the samples written to are read again to check that
 *   none is left;
 * - text in AAC fill elements and program config comments (the encoder's "Lavc…",
 *   `aac-text.ts`) is blanked in the `esds` and the samples the same way (`iso-aac.ts`);
 * - the comments in a Motion JPEG 2000 frame's codestream (an encoder's name, a user's text)
 *   are zeroed in place (`jp2-codestream-comments.ts`); its JPEG 2000 signature box stays.
 * Resolves to null, having written nothing, when the file holds anything the rewrite does not
 * know to be exact (see `rewriteMoov`): the caller then remuxes it with ffmpeg.
 */
export async function cleanIsoBoxes(input: string, output: string, workDir: string, source: MediaSource): Promise<CleanOutcome | null> {
  const plan = await planRewrite(input);
  return plan == null ? null : applyRewrite(plan, output, workDir, source);
}

/** Carries out a plan of `planRewrite` on a copy of `source.file` at `output`. */
export async function applyRewrite(plan: RewritePlan, output: string, workDir: string, source: MediaSource): Promise<CleanOutcome> {
  await fsp.copyFile(source.file, output, fs.constants.COPYFILE_FICLONE);
  const fh = await fsp.open(output, "r+");
  try {
    await write(fh, plan.ftyp, plan.ftypAt);
    for (const box of plan.blanked) await blank(fh, box);
    await placeMoov(fh, plan.oldMoov, plan.moov, plan.fileSize);
    for (const gap of plan.gaps) await zero(fh, gap);
  } finally {
    await fh.close();
  }
  // The headers as written: rewriting the new moov again must find nothing more to blank. Read
  // once, for every check below, and as the plan read the old one (a HEIF's picture sequence too).
  let reread: MoovRewrite | null | undefined;
  const leftInHeaders = (count: (t: KeptTrack) => number): number | undefined => {
    if (reread === undefined) reread = rewriteMoov(plan.moov, plan.pictures);
    return reread?.tracks.reduce((n, t) => n + count(t), 0);
  };
  let seiUserData = 0;
  let unreadUnits = 0;
  for (const track of plan.tracks) {
    const codec = CODECS[track.format];
    if (codec == null || track.videoOrdinal == null) continue;
    // Video tracks are never dropped, so the n-th video stream is the same one in both files.
    const stream = `V:${track.videoOrdinal}`;
    const copy = { ...source, file: output };
    const nal = track.nal == null ? null : { codec, lengthSize: track.nal.lengthSize, samples: track.nal.samples };
    const inSamples = nal == null ? null : await removeSampleSeiUserData(output, nal);
    if (nal != null && inSamples != null) {
      // The walk read every sample of the copy: one it did not write to holds no user data; those it
      // wrote to are read again. No message may be left in an avcC or hvcC either.
      const left = await seiUserDataLeft(output, { ...nal, samples: inSamples.changed });
      const again = leftInHeaders((t) => t.nal?.headerMessages ?? 0);
      if (left !== 0 || again !== 0) {
        throw new BadFileError("The video stream's encoder information could not be removed.", new Error(`SEI user-data messages left in the copy: ${String(left)} in the samples, ${String(again)} in the headers`));
      }
      seiUserData += inSamples.messages + track.nal!.headerMessages;
      unreadUnits += inSamples.unread;
    } else {
      const sei = await removeSeiUserData(source, stream, copy, stream, () => Promise.resolve(wholeFile), codec, workDir);
      seiUserData += sei.messages;
      unreadUnits += sei.unread;
    }
  }
  let mpeg4UserData = 0;
  for (const track of plan.tracks) {
    if (track.mpeg4 == null) continue;
    const walk = await walkSampleUserData(output, track.mpeg4.chunks, false);
    // The walk read the copy: a chunk it did not write to holds no text; those it wrote to are read again.
    const left = walk == null ? null : (await walkSampleUserData(output, walk.changed, true))?.units;
    if (walk == null || left == null) throw new Error("an MPEG-4 chunk the plan accepted could not be walked");
    const again = leftInHeaders((t) => t.mpeg4?.headerUnits ?? 0);
    if (left !== 0 || again !== 0) {
      throw new BadFileError("The video stream's encoder information could not be removed.", new Error(`MPEG-4 user-data units left in the copy: ${String(left)} in the samples, ${String(again)} in the headers`));
    }
    mpeg4UserData += walk.units + track.mpeg4.headerUnits;
  }
  let aacText = 0;
  for (const track of plan.tracks) {
    if (track.aac == null) continue;
    const walk = walkAacSamples(output, track.aac.samples, false);
    // The walk read the copy: a sample it did not write to holds no text; those it wrote to are read again.
    const left = walkAacSamples(output, walk.changed, true).elements;
    const again = leftInHeaders((t) => t.aac?.headerText ?? 0);
    if (left !== 0 || again !== 0) {
      throw new BadFileError(
        "The audio stream's encoder information could not be removed.",
        new Error(`AAC text left in the copy: ${left} element(s) in the samples, ${String(again)} in the headers`),
      );
    }
    aacText += walk.elements + track.aac.headerText;
  }
  for (const track of plan.tracks) if (track.jp2Frames != null) await blankFrameComments(output, track.jp2Frames);
  let dvPacks = 0;
  for (const track of plan.tracks) {
    if (DV_FORMATS.has(track.format) && track.videoOrdinal != null) dvPacks += await cleanDvFrames({ ...source, file: output }, `V:${track.videoOrdinal}`, "MOV");
  }
  return { hidden: { subtitles: 0, subtitleHeaders: 0, seiUserData, unreadUnits, mpeg4UserData, aacText, dvPacks } };
}

export interface RewritePlan {
  fileSize: number;
  ftyp: Buffer;
  ftypAt: number;
  oldMoov: Box;
  moov: Buffer;
  tracks: KeptTrack[];
  /** Top-level boxes to turn into zeroed `free` boxes. */
  blanked: Box[];
  /** Bytes of the media data that are no kept sample. */
  gaps: Range[];
  /** The kept tracks' samples, sorted and joined. */
  samples: Range[];
  /** Whether the movie is a HEIF's picture sequence, read as such by rewriteMoov (the checks of the copy read it again). */
  pictures: boolean;
}

/**
 * A movie beside a HEIF still picture (an AVIF or HEIF image sequence): the top-level `meta` is
 * the picture's, cleaned by the HEIF cleaner and left alone here, as are the media data bytes of
 * its items (`alsoKept`); the tracks may be picture sequences (see `rewriteMoov`).
 */
export interface BesidePictures {
  alsoKept: readonly Range[];
}

export async function planRewrite(input: string, pictures?: BesidePictures): Promise<RewritePlan | null> {
  const fh = await fsp.open(input, "r");
  try {
    const fileSize = (await fh.stat()).size;
    const boxes = await topLevelBoxes(fh, fileSize);
    if (boxes == null || boxes.length === 0) return null;
    const first = boxes[0]!;
    const signature = first.type === "jP  " && first.size === JP2_SIGNATURE.length && (await readBox(fh, first)).equals(JP2_SIGNATURE) ? first : null;
    const ftypBox = boxes[signature == null ? 0 : 1];
    if (ftypBox?.type !== "ftyp") return null;
    const moovs = boxes.filter((b) => b.type === "moov");
    const mdats = boxes.filter((b) => b.type === "mdat");
    if (moovs.length !== 1 || mdats.length === 0 || boxes.some((b) => FRAGMENTS.has(b.type))) return null;
    const oldMoov = moovs[0]!;
    // Blanked boxes get an explicit 32-bit size (a size of 0, "to the end", would swallow what follows).
    if (oldMoov.size > MAX_MOOV_BYTES || ftypBox.size > MAX_FTYP_BYTES || boxes.some((b) => b.header === 8 && b.size > 0xffffffff)) return null;

    const ftyp = cleanFtyp(await readBox(fh, ftypBox));
    const rewrite = rewriteMoov(await readBox(fh, oldMoov), pictures != null);
    if (ftyp == null || rewrite == null) return null;
    // In file order, so both walks below are one pass (a file may have thousands of each).
    const payloads = mdats.map((b) => ({ start: b.at + b.header, end: b.at + b.size }));
    const samples = merge(rewrite.samples);
    const kept = merge([...samples, ...(pictures?.alsoKept ?? [])]);
    if (!kept.every((r) => insideOne(payloads, r))) return null;
    // MPEG-4 Part 2 samples are walked chunk by chunk: a larger chunk is left to the remux.
    if (rewrite.tracks.some((t) => t.mpeg4?.chunks.some((c) => c.end - c.start > MAX_CHUNK) === true)) return null;
    return {
      fileSize,
      ftyp,
      ftypAt: ftypBox.at,
      oldMoov,
      moov: rewrite.moov,
      tracks: rewrite.tracks,
      blanked: boxes.filter((b) => b !== signature && b !== ftypBox && !["moov", "mdat", ...(pictures == null ? [] : ["meta"])].includes(b.type)),
      gaps: gaps(payloads, kept),
      samples,
      pictures: pictures != null,
    };
  } finally {
    await fh.close();
  }
}

/** `ftyp` with ffmpeg's minor version and only standard compatible brands; null when malformed. */
function cleanFtyp(box: Buffer): Buffer | null {
  const header = box.readUInt32BE(0) === 1 ? 16 : 8;
  const payload = box.length - header;
  if (payload < 8 || payload % 4 !== 0) return null;
  const out = Buffer.from(box);
  const major = out.toString("latin1", header, header + 4);
  out.writeUInt32BE(MINOR_VERSION, header + 4);
  for (let at = header + 8; at < out.length; at += 4) {
    if (!STANDARD_BRANDS.has(out.toString("latin1", at, at + 4))) out.write(major, at, "latin1");
  }
  return out;
}

/** Writes the new `moov` where the old one was, the rest of its room a `free` box; or, when that rest is too small for a box header, at the end. */
async function placeMoov(fh: FileHandle, old: Box, moov: Buffer, fileSize: number): Promise<void> {
  const room = old.size - moov.length;
  if (room === 0 || room >= 8) {
    await write(fh, moov, old.at);
    if (room > 0) await blank(fh, { type: "free", at: old.at + moov.length, header: 8, size: room });
    return;
  }
  await blank(fh, old);
  await write(fh, moov, fileSize);
}

/** Turns a box into a `free` box of zeros, of the same length. */
async function blank(fh: FileHandle, box: Box): Promise<void> {
  const header = Buffer.alloc(box.header);
  header.writeUInt32BE(box.header === 16 ? 1 : box.size, 0);
  header.write("free", 4, "latin1");
  if (box.header === 16) header.writeBigUInt64BE(BigInt(box.size), 8);
  await write(fh, header, box.at);
  await zero(fh, { start: box.at + box.header, end: box.at + box.size });
}

async function zero(fh: FileHandle, range: Range): Promise<void> {
  const zeros = Buffer.alloc(Math.min(ZEROS_AT_ONCE, range.end - range.start));
  for (let at = range.start; at < range.end; at += zeros.length) await write(fh, zeros.subarray(0, Math.min(zeros.length, range.end - at)), at);
}

async function write(fh: FileHandle, bytes: Buffer, at: number): Promise<void> {
  let done = 0;
  while (done < bytes.length) done += (await fh.write(bytes, done, bytes.length - done, at + done)).bytesWritten;
}

async function readBox(fh: FileHandle, box: Box): Promise<Buffer> {
  const buf = Buffer.alloc(box.size);
  let done = 0;
  while (done < box.size) {
    const { bytesRead } = await fh.read(buf, done, box.size - done, box.at + done);
    if (bytesRead === 0) throw new Error("the file shrank while it was read");
    done += bytesRead;
  }
  return buf;
}

/** Ranges sorted and joined where they touch or overlap. */
function merge(ranges: readonly Range[]): Range[] {
  const sorted = [...ranges].sort((a, b) => a.start - b.start);
  const out: Range[] = [];
  for (const r of sorted) {
    const last = out[out.length - 1];
    if (last != null && r.start <= last.end) last.end = Math.max(last.end, r.end);
    else out.push({ ...r });
  }
  return out;
}

/** Whether `r` lies inside one of the sorted, disjoint `payloads` (binary search). */
function insideOne(payloads: readonly Range[], r: Range): boolean {
  let lo = 0;
  let hi = payloads.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (payloads[mid]!.start <= r.start) lo = mid;
    else hi = mid - 1;
  }
  const p = payloads[lo];
  return p != null && p.start <= r.start && r.end <= p.end;
}

/** What of the sorted `payloads` no range of the sorted, joined `kept` covers; each kept range lies inside one payload. */
function gaps(payloads: readonly Range[], kept: readonly Range[]): Range[] {
  const out: Range[] = [];
  let k = 0;
  for (const p of payloads) {
    let at = p.start;
    while (k < kept.length && kept[k]!.start < p.end) {
      const r = kept[k++]!;
      if (r.start > at) out.push({ start: at, end: r.start });
      at = Math.max(at, r.end);
    }
    if (at < p.end) out.push({ start: at, end: p.end });
  }
  return out;
}
