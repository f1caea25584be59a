import { alacCookieLength } from "./alac-cookie.js";
import { av1ConfigLength } from "./av1-config.js";
import { type Box, boxHeader, childBoxes } from "./iso-boxes.js";
import { chunkRanges, MAX_ENTRIES, type Range } from "./iso-samples.js";
import { type AacConfig, aacConfig } from "./iso-aac.js";
import { cleanEsds, decoderConfig } from "./iso-mpeg4.js";
import { cleanNalConfig, nalLengthSize } from "./iso-sei.js";
import { plainJp2Header } from "../image/jp2-header.js";
import type { SeiCodec } from "./sei.js";

/** A track the clean copy keeps, in the copy's order. */
export interface KeptTrack {
  kind: "video" | "audio";
  /** The sample entry's four-letter code (`avc1`, `mp4a`...). */
  format: string;
  /** Among the file's video tracks (ffmpeg's `V:n`), for a video track. */
  videoOrdinal: number | null;
  /**
   * H.264/HEVC with one sample description: how its samples' NAL units are framed and where the
   * samples are, for the SEI rewrite (iso-sei.ts), and the user-data messages already removed
   * from its `hvcC`. Null otherwise (the SEI, if any, is left to ffmpeg's scan).
   */
  nal: NalFraming | null;
  /**
   * MPEG-4 Part 2 (`mp4v`): where its samples are, for the user-data rewrite (iso-mpeg4.ts), and
   * the units already blanked in its `esds`. Null for other formats.
   */
  mpeg4: { chunks: Range[]; headerUnits: number } | null;
  /**
   * AAC framed as raw data blocks: where its samples are, for the rewrite of their text elements
   * (iso-aac.ts), and the program config comments already blanked in its `esds`. Null for other
   * formats.
   */
  aac: { samples: Range[]; headerText: number } | null;
  /**
   * Motion JPEG 2000 (`mjp2`): where each frame is, for the blanking of its codestream's
   * comments (jp2-codestream-comments.ts). Null for other formats.
   */
  jp2Frames: Range[] | null;
}

export interface NalFraming {
  lengthSize: number;
  samples: Range[];
  headerMessages: number;
}

export interface MoovRewrite {
  /** The new `moov` box, whole: never longer than the original. */
  moov: Buffer;
  tracks: KeptTrack[];
  /** Where the kept tracks' samples are in the file: every other byte of the media data goes. */
  samples: Range[];
}

/*
 * The allow-lists below are what ffmpeg's own MP4/MOV muxers write (and ExifTool reads back as
 * structure): a file made only of these is rewritten here exactly, and anything else sends the
 * whole file to the remux (`remux` in ffmpeg.ts), as before. Boxes in DROPPED are metadata or
 * references to it and simply go.
 */

/** Boxes that go wherever they are: user data, metadata, XMP and other `uuid`s, padding, references between tracks. */
const DROPPED = new Set(["udta", "meta", "uuid", "free", "skip", "wide", "iods", "tref", "load"]);

/** Handlers of tracks that carry no picture or sound: GPS and telemetry (`meta`, `camm`), timecode, hint tracks, MPEG-4 systems. */
const DROPPED_HANDLERS = new Set(["meta", "tmcd", "camm", "hint", "odsm", "sdsm"]);

/**
 * Sample formats of such tracks. ffmpeg takes a track's kind from its sample format, not its
 * handler: a "metadata" track of AAC samples is sound to it, which the remux keeps. Only these
 * formats are dropped; a track with any other goes to the remux.
 */
const DATA_FORMATS = new Set(["mebx", "gpmd", "camm", "tmcd", "rtp ", "srtp", "mp4s", "urim", "metx", "mett"]);

/**
 * A chapter list as QuickTime and audiobooks keep it: a track of text samples (a title each) that
 * another track names in its `tref/chap`. ffmpeg reads such a track as the file's chapters, not
 * as a stream, and its remux leaves chapters out with the other metadata, as the Nero `chpl` list
 * in `udta` goes here: the track is dropped and its samples zeroed. A text track no `chap` names
 * is a subtitle track (content) and goes to the remux.
 */
const CHAPTER_HANDLERS = new Set(["text", "sbtl"]);
const CHAPTER_FORMATS = new Set(["text", "tx3g"]);

/** Sample tables that are numbers only; `stsd` is rewritten. */
const SAMPLE_TABLES = new Set(["stts", "ctts", "stss", "stsc", "stsz", "stco", "co64", "sdtp", "sgpd", "sbgp", "cslg", "stps"]);

const VIDEO_FORMATS = new Set(["avc1", "avc3", "hvc1", "hev1", "mp4v", "av01", "vp09", "s263", "mjp2"]);
const AUDIO_FORMATS = new Set(["mp4a", "ac-3", "ec-3", "Opus", "alac", "samr", "sawb", "sowt", "twos", "lpcm", "ulaw", "alaw", ".mp3"]);
/**
 * Codec configuration and display boxes inside a sample entry; `colr` only as numbers (nclx/nclc),
 * never an ICC profile. Motion JPEG 2000 (ISO/IEC 15444-3): the frames' JP2 header (`jp2h`, see
 * jp2-header.ts), profile (`jp2p`), subsampling (`jsub`) and original field order (`orfo`).
 */
const VIDEO_ENTRY_CHILDREN = new Set(["avcC", "hvcC", "esds", "pasp", "colr", "btrt", "fiel", "clap", "av1C", "vpcC", "d263", "jp2h", "jp2p", "jsub", "orfo"]);
const AUDIO_ENTRY_CHILDREN = new Set(["esds", "chan", "wave", "dOps", "alac", "damr", "dac3", "dec3", "btrt"]);
/**
 * Codec configuration and display boxes of a fixed length, only numbers: a longer one would carry
 * bytes no reader reads (which ExifTool shows as one unnamed blob, or not at all), so it goes to
 * the remux, which writes its own. `alac`: see alac-cookie.ts. The pixel aspect ratio (`pasp`),
 * bit rates (`btrt`), field order (`fiel`) and clean aperture (`clap`) of ISO/IEC 14496-12 12.1;
 * `colr` by numbers: COLOUR_SIZES.
 * `damr`: AMRSpecificBox (3GPP TS 26.244): vendor, decoder version, mode set, mode change period,
 * frames per sample. `d263`: H263SpecificBox: vendor, decoder version, level, profile. In both the
 * vendor and version name the encoder's maker and are blanked (MAKER_CONFIGS). `jsub` and `orfo`:
 * Motion JPEG 2000's subsampling (four numbers) and field count and order (two).
 */
const FIXED_CONFIG_SIZES: Readonly<Record<string, number>> = { damr: 8 + 9, d263: 8 + 7, jsub: 8 + 4, orfo: 8 + 2, ccst: 8 + 8, pasp: 8 + 8, btrt: 8 + 12, fiel: 8 + 2, clap: 8 + 32 };
/** A `colr` box by numbers: its type, the primaries, transfer and matrix codes, and for `nclx` the full-range flag. */
const COLOUR_SIZES: Readonly<Record<string, number>> = { nclx: 8 + 11, nclc: 8 + 10 };
const MAKER_CONFIGS = new Set(["damr", "d263"]);
/**
 * In the picture sequence of an AVIF or HEIF file (`pictures`): the coding constraints (`ccst`,
 * ISO/IEC 23008-12 7.3.3: flags only) and the auxiliary type (`auxi`, 7.5.3: the URN saying the
 * track is the alpha plane or a depth map of another).
 */
const PICTURE_ENTRY_CHILDREN = new Set([...VIDEO_ENTRY_CHILDREN, "ccst", "auxi"]);
const AUXILIARY_URN = /^urn:[\w:.\-]{1,120}$/;
/** Inside a QuickTime sound entry's `wave`: the format, its configuration, the terminator. */
const WAVE_CHILDREN = new Set(["frma", "mp4a", "esds", "enda", "chan", "\0\0\0\0"]);

/** The fixed part of a sample entry before its child boxes (after the 8-byte header). */
const VISUAL_ENTRY_FIXED = 78;
const SOUND_ENTRY_FIXED = [28, 44, 64]; // sound sample description versions 0, 1, 2

/**
 * The `moov` box without metadata, or null when it holds anything this rewrite does not know to
 * be exact: kept are the movie and track headers (their dates set to zero), edit lists, and for
 * each picture and sound track its sample tables, with the sample descriptions' vendor and
 * compressor name blanked and every handler's name emptied. Gone: user data, `meta`, XMP and
 * every other `uuid`, and whole tracks of telemetry, timecode, hints or chapter titles. Subtitle
 * tracks (which may be telemetry, see telemetry.ts), fragmented files, external data references,
 * encrypted or unknown codecs, unknown boxes: null.
 */
export function rewriteMoov(buf: Buffer, pictures = false): MoovRewrite | null {
  const children = childBoxes(buf, 8, buf.length);
  if (children == null || buf.toString("latin1", 4, 8) !== "moov" || buf.readUInt32BE(0) !== buf.length) return null;
  const parts: Buffer[] = [];
  const tracks: KeptTrack[] = [];
  const samples: Range[] = [];
  let headers = 0;
  let videoOrdinal = 0;
  const chapterTracks = chapterTrackIds(buf, children);
  for (const box of children) {
    if (box.type === "mvhd") {
      headers++;
      parts.push(withZeroDates(buf, box));
    } else if (box.type === "trak") {
      const trak = rewriteTrak(buf, box, chapterTracks, pictures);
      if (trak == null) return null;
      if (trak === "dropped") continue;
      const isVideo = trak.track.kind === "video";
      tracks.push({ ...trak.track, videoOrdinal: isVideo ? videoOrdinal++ : null });
      parts.push(trak.bytes);
      if (samples.length + trak.samples.length > MAX_ENTRIES) return null;
      for (const r of trak.samples) samples.push(r);
    } else if (!DROPPED.has(box.type)) return null;
  }
  if (headers !== 1 || tracks.length === 0) return null;
  return { moov: container("moov", parts), tracks, samples };
}

interface TrakRewrite {
  bytes: Buffer;
  track: Omit<KeptTrack, "videoOrdinal">;
  samples: Range[];
}

/** The ids of the tracks the movie's tracks name as their chapter lists (`tref/chap`). */
function chapterTrackIds(buf: Buffer, moovChildren: readonly Box[]): ReadonlySet<number> {
  const ids = new Set<number>();
  for (const trak of moovChildren.filter((b) => b.type === "trak")) {
    for (const tref of (inside(buf, trak) ?? []).filter((b) => b.type === "tref")) {
      for (const chap of (inside(buf, tref) ?? []).filter((b) => b.type === "chap")) {
        for (let at = chap.at + chap.header; at + 4 <= chap.at + chap.size; at += 4) ids.add(buf.readUInt32BE(at));
      }
    }
  }
  return ids;
}

/** The `tkhd`'s track id (after its dates: 32-bit in version 0, 64-bit in version 1). */
function trackId(buf: Buffer, tkhd: Box): number | null {
  const at = tkhd.at + tkhd.header + (buf[tkhd.at + tkhd.header] === 1 ? 20 : 12);
  return at + 4 <= tkhd.at + tkhd.size ? buf.readUInt32BE(at) : null;
}

function rewriteTrak(buf: Buffer, trak: Box, chapterTracks: ReadonlySet<number>, pictures: boolean): TrakRewrite | "dropped" | null {
  const children = inside(buf, trak);
  if (children == null) return null;
  const mdia = only(children, "mdia");
  const tkhd = only(children, "tkhd");
  if (mdia == null || tkhd == null) return null;
  const id = trackId(buf, tkhd);
  const media = rewriteMdia(buf, mdia, id != null && chapterTracks.has(id), pictures);
  if (media == null || media === "dropped") return media;
  const parts: Buffer[] = [];
  for (const box of children) {
    if (box.type === "tkhd") parts.push(withZeroDates(buf, box));
    else if (box.type === "mdia") parts.push(media.bytes);
    else if (box.type === "edts") {
      const edits = inside(buf, box);
      if (edits == null || edits.some((b) => b.type !== "elst")) return null;
      parts.push(slice(buf, box));
    } else if (box.type === "tref" && pictures && auxiliaryOf(buf, box) != null) {
      if (auxiliaryOf(buf, box) !== true) return null;
      parts.push(slice(buf, box));
    } else if (!DROPPED.has(box.type)) return null;
  }
  return { bytes: container("trak", parts), track: media.track, samples: media.samples };
}

/**
 * Whether a track's references (`tref`) make it the auxiliary picture (alpha, depth) of another
 * (`auxl`), which a reader needs to show the sequence as it is: true when they are only that,
 * false when that and others, null when none is.
 */
function auxiliaryOf(buf: Buffer, tref: Box): boolean | null {
  const types = (inside(buf, tref) ?? []).map((b) => b.type);
  if (!types.includes("auxl")) return null;
  return types.every((t) => t === "auxl");
}

function rewriteMdia(buf: Buffer, mdia: Box, chapterList: boolean, pictures: boolean): TrakRewrite | "dropped" | null {
  const children = inside(buf, mdia);
  if (children == null) return null;
  const hdlr = only(children, "hdlr");
  const minf = only(children, "minf");
  if (hdlr == null || minf == null || only(children, "mdhd") == null || hdlr.size - hdlr.header < 12) return null;
  const handler = buf.toString("latin1", hdlr.at + hdlr.header + 8, hdlr.at + hdlr.header + 12);
  if (DROPPED_HANDLERS.has(handler)) return onlyFormats(buf, minf, DATA_FORMATS) ? "dropped" : null;
  if (chapterList && CHAPTER_HANDLERS.has(handler)) return onlyFormats(buf, minf, CHAPTER_FORMATS) ? "dropped" : null;
  // The picture sequence of an AVIF or HEIF file (`pict`) and its alpha plane's (auxiliary video, `auxv`): video to ffmpeg and players.
  const kind = handler === "vide" || (pictures && (handler === "pict" || handler === "auxv")) ? "video" : handler === "soun" ? "audio" : null;
  if (kind == null) return null;
  const media = rewriteMinf(buf, minf, kind, pictures);
  if (media == null) return null;
  const parts: Buffer[] = [];
  for (const box of children) {
    if (box.type === "mdhd") parts.push(withZeroDates(buf, box));
    else if (box.type === "hdlr") parts.push(withoutHandlerName(buf, box));
    else if (box.type === "minf") parts.push(media.bytes);
    else if (!DROPPED.has(box.type)) return null;
  }
  return { bytes: container("mdia", parts), track: media.track, samples: media.samples };
}

/** Every sample description of the track (under `minf`) is of one of `formats`. */
function onlyFormats(buf: Buffer, minf: Box, formats: ReadonlySet<string>): boolean {
  const stbl = only(inside(buf, minf) ?? [], "stbl");
  const stsd = stbl == null ? null : only(inside(buf, stbl) ?? [], "stsd");
  if (stsd == null || stsd.size - stsd.header < 8) return false;
  const entries = childBoxes(buf, stsd.at + stsd.header + 8, stsd.at + stsd.size);
  return entries != null && entries.length > 0 && entries.every((e) => formats.has(e.type));
}

function rewriteMinf(buf: Buffer, minf: Box, kind: "video" | "audio", pictures: boolean): TrakRewrite | null {
  const children = inside(buf, minf);
  if (children == null) return null;
  const stbl = only(children, "stbl");
  if (stbl == null || only(children, "dinf") == null) return null;
  const tables = rewriteStbl(buf, stbl, kind, pictures);
  if (tables == null) return null;
  const parts: Buffer[] = [];
  for (const box of children) {
    if ((box.type === "vmhd" && kind === "video") || (box.type === "smhd" && kind === "audio")) parts.push(slice(buf, box));
    else if (box.type === "hdlr") parts.push(withoutHandlerName(buf, box));
    else if (box.type === "dinf") {
      if (!selfContained(buf, box)) return null;
      parts.push(slice(buf, box));
    } else if (box.type === "stbl") parts.push(tables.bytes);
    else if (!DROPPED.has(box.type)) return null;
  }
  return { bytes: container("minf", parts), track: tables.track, samples: tables.samples };
}

function rewriteStbl(buf: Buffer, stbl: Box, kind: "video" | "audio", pictures: boolean): TrakRewrite | null {
  const children = inside(buf, stbl);
  if (children == null) return null;
  const stsd = only(children, "stsd");
  if (stsd == null) return null;
  const descriptions = rewriteStsd(buf, stsd, kind, pictures);
  if (descriptions == null) return null;
  const samples = chunkRanges(buf, stbl.at + stbl.header, stbl.at + stbl.size, descriptions.count);
  // A track with no sample is left to the remux, which leaves it out and so refuses the copy.
  if (samples == null || samples.length === 0) return null;
  const parts: Buffer[] = [];
  for (const box of children) {
    if (box.type === "stsd") parts.push(descriptions.bytes);
    else if (SAMPLE_TABLES.has(box.type)) parts.push(slice(buf, box));
    else return null;
  }
  let nal: NalFraming | null = null;
  let aac: KeptTrack["aac"] = null;
  if (descriptions.aacHeaderText != null) {
    const aacSamples = chunkRanges(buf, stbl.at + stbl.header, stbl.at + stbl.size, descriptions.count, true);
    if (aacSamples == null) return null;
    aac = { samples: aacSamples, headerText: descriptions.aacHeaderText };
  }
  if (descriptions.nal != null) {
    const perSample = chunkRanges(buf, stbl.at + stbl.header, stbl.at + stbl.size, descriptions.count, true);
    if (perSample == null) return null;
    nal = { ...descriptions.nal, samples: perSample };
  }
  const mpeg4 = descriptions.mpeg4Units == null ? null : { chunks: samples, headerUnits: descriptions.mpeg4Units };
  const jp2Frames = descriptions.format === "mjp2" ? chunkRanges(buf, stbl.at + stbl.header, stbl.at + stbl.size, descriptions.count, true) : null;
  if (descriptions.format === "mjp2" && jp2Frames == null) return null;
  return { bytes: container("stbl", parts), track: { kind, format: descriptions.format, nal, mpeg4, aac, jp2Frames }, samples };
}

/** The sample descriptions with vendor and compressor name blanked; one format per track. */
interface Descriptions {
  bytes: Buffer;
  count: number;
  format: string;
  /** The NAL length size of an H.264/HEVC track with one description, and the messages cleaned from its hvcC. */
  nal: { lengthSize: number; headerMessages: number } | null;
  /** MPEG-4 Part 2: the user-data units blanked in the entries' `esds`. */
  mpeg4Units: number | null;
  /** Every entry is AAC framed as raw data blocks: the program config comments blanked in their `esds`. Null otherwise. */
  aacHeaderText: number | null;
}

function rewriteStsd(buf: Buffer, stsd: Box, kind: "video" | "audio", pictures: boolean): Descriptions | null {
  const p = stsd.at + stsd.header;
  if (stsd.size - stsd.header < 8) return null;
  const count = buf.readUInt32BE(p + 4);
  const entries = childBoxes(buf, p + 8, stsd.at + stsd.size);
  if (entries == null || entries.length !== count || count === 0) return null;
  const format = entries[0]!.type;
  const out = Buffer.from(slice(buf, stsd));
  let nal: Descriptions["nal"] = null;
  let mpeg4Units: number | null = null;
  let aacEntries = 0;
  let aacHeaderText = 0;
  const cuts: Cut[] = [];
  for (const entry of entries) {
    if (entry.type !== format || entry.header !== 8) return null;
    const at = entry.at - stsd.at;
    if (kind === "video") {
      if (!VIDEO_FORMATS.has(entry.type) || entry.size < 8 + VISUAL_ENTRY_FIXED) return null;
      if (!childrenAllowed(buf, entry.at + 8 + VISUAL_ENTRY_FIXED, entry.at + entry.size, pictures ? PICTURE_ENTRY_CHILDREN : VIDEO_ENTRY_CHILDREN)) return null;
      if (!fixedSizes(buf, entry.at + 8 + VISUAL_ENTRY_FIXED, entry.at + entry.size)) return null;
      out.fill(0, at + 8 + 12, at + 8 + 16); // vendor
      out.fill(0, at + 8 + 42, at + 8 + 74); // compressor name
      blankMakers(buf, entry.at + 8 + VISUAL_ENTRY_FIXED, entry.at + entry.size, out, stsd.at);
      const codec = SEI_CODECS[entry.type];
      if (codec != null) {
        const config = nalConfig(buf, entry.at + 8 + VISUAL_ENTRY_FIXED, entry.at + entry.size, codec, out, stsd.at);
        if (config == null) return null;
        if (config.cut != null) cuts.push({ entry: at, ...config.cut });
        // With several descriptions the samples are left to ffmpeg's scan (which counts the messages).
        if (count === 1) nal = { lengthSize: config.lengthSize, headerMessages: config.messages };
      }
      if (entry.type === "av01") {
        const cut = av1ConfigCut(buf, entry.at + 8 + VISUAL_ENTRY_FIXED, entry.at + entry.size, stsd.at);
        if (cut === null) return null;
        if (cut !== "none") cuts.push({ entry: at, ...cut });
      }
      if (entry.type === "mp4v") {
        const units = mpeg4Headers(buf, entry.at + 8 + VISUAL_ENTRY_FIXED, entry.at + entry.size, out, stsd.at);
        if (units == null) return null;
        mpeg4Units = (mpeg4Units ?? 0) + units;
      }
    } else {
      if (!AUDIO_FORMATS.has(entry.type) || entry.size < 8 + 28) return null;
      const fixed = SOUND_ENTRY_FIXED[buf.readUInt16BE(entry.at + 16)];
      if (fixed == null || entry.size < 8 + fixed) return null;
      if (!childrenAllowed(buf, entry.at + 8 + fixed, entry.at + entry.size, AUDIO_ENTRY_CHILDREN)) return null;
      if (!fixedSizes(buf, entry.at + 8 + fixed, entry.at + entry.size)) return null;
      out.fill(0, at + 8 + 12, at + 8 + 16); // vendor
      blankMakers(buf, entry.at + 8 + fixed, entry.at + entry.size, out, stsd.at);
      if (entry.type === "alac") {
        const cookie = (childBoxes(buf, entry.at + 8 + fixed, entry.at + entry.size) ?? []).filter((b) => b.type === "alac");
        const length = cookie.length === 1 ? alacCookieLength(buf, cookie[0]!) : null;
        if (length == null) return null;
        if (length < cookie[0]!.size) cuts.push({ entry: at, box: cookie[0]!.at - stsd.at, from: cookie[0]!.at - stsd.at + length, to: cookie[0]!.at - stsd.at + cookie[0]!.size });
      }
      if (entry.type === "mp4a") {
        const aac = mp4aConfig(buf, entry.at + 8 + fixed, entry.at + entry.size);
        if (aac == null) return null;
        if (aac.rawBlocks) aacEntries++;
        if (aac.rawBlocks && aac.comment != null) {
          out.fill(0, aac.comment.start - stsd.at, aac.comment.end - stsd.at);
          aacHeaderText++;
        }
      }
    }
  }
  // Entries of AAC and of another codec in one track: left to the remux.
  if (aacEntries > 0 && aacEntries !== count) return null;
  if (cuts.length > 0 && stsd.header !== 8) return null;
  return { bytes: withCuts(out, cuts), count, format, nal, mpeg4Units, aacHeaderText: aacEntries > 0 ? aacHeaderText : null };
}

/** Bytes left out of a copy of an `stsd`, at the end of a box of a sample entry (offsets in the copy, 32-bit sizes). */
interface Cut {
  entry: number;
  box: number;
  from: number;
  to: number;
}

/** The copy of an `stsd` (32-bit size) without the cuts, the box, entry and `stsd` shrunk to match. */
function withCuts(stsd: Buffer, cuts: readonly Cut[]): Buffer {
  const pieces: Buffer[] = [];
  let at = 0;
  for (const cut of cuts) {
    const removed = cut.to - cut.from;
    for (const size of [cut.box, cut.entry, 0]) stsd.writeUInt32BE(stsd.readUInt32BE(size) - removed, size);
    pieces.push(stsd.subarray(at, cut.from));
    at = cut.to;
  }
  pieces.push(stsd.subarray(at));
  return Buffer.concat(pieces);
}

/** Every codec configuration among a sample entry's children `buf[from, to)` that has a fixed length has it. */
function fixedSizes(buf: Buffer, from: number, to: number): boolean {
  return (childBoxes(buf, from, to) ?? []).every((b) => FIXED_CONFIG_SIZES[b.type] == null || b.size === FIXED_CONFIG_SIZES[b.type]);
}

/** The encoder's vendor and version in the AMR and H.263 configurations among a sample entry's children `buf[from, to)`, zeroed in `out` (the copy of the `stsd` at `stsdAt`). */
function blankMakers(buf: Buffer, from: number, to: number, out: Buffer, stsdAt: number): void {
  for (const box of (childBoxes(buf, from, to) ?? []).filter((b) => MAKER_CONFIGS.has(b.type))) out.fill(0, box.at + 8 - stsdAt, box.at + 8 + 5 - stsdAt);
}

const SEI_CODECS: Readonly<Record<string, SeiCodec>> = { avc1: "h264", avc3: "h264", hvc1: "hevc", hev1: "hevc" };

/**
 * The NAL length size from the entry's `avcC`/`hvcC`, with the SEI user data of its NAL arrays
 * cleaned in `out` (the copy of the `stsd` that starts at `stsdAt`), the messages removed, and
 * the bytes past the record's fields to cut from the copy (`cleanNalConfig`); null when the
 * record is missing or malformed.
 */
function nalConfig(buf: Buffer, from: number, to: number, codec: SeiCodec, out: Buffer, stsdAt: number): { lengthSize: number; messages: number; cut: Omit<Cut, "entry"> | null } | null {
  const config = (childBoxes(buf, from, to) ?? []).filter((b) => b.type === (codec === "h264" ? "avcC" : "hvcC"));
  if (config.length !== 1) return null;
  const box = config[0]!;
  const record = buf.subarray(box.at + box.header, box.at + box.size);
  const lengthSize = nalLengthSize(record, codec);
  const cleaned = cleanNalConfig(record, codec);
  if (lengthSize == null || cleaned == null) return null;
  cleaned.record.copy(out, box.at + box.header - stsdAt);
  const cut = tailCut(box, cleaned.length, stsdAt);
  return cut == null ? null : { lengthSize, messages: cleaned.messages, cut: cut === "none" ? null : cut };
}

/** The bytes of an `av01` entry's `av1C` past what a reader needs (`av1ConfigLength`), to cut; null when the record is missing or is not one. */
function av1ConfigCut(buf: Buffer, from: number, to: number, stsdAt: number): Omit<Cut, "entry"> | "none" | null {
  const config = (childBoxes(buf, from, to) ?? []).filter((b) => b.type === "av1C");
  if (config.length !== 1) return null;
  const box = config[0]!;
  const length = av1ConfigLength(buf.subarray(box.at + box.header, box.at + box.size));
  return length == null ? null : tailCut(box, length, stsdAt);
}

/** The cut of the bytes of `box` past the first `length` of its payload: "none" when there are none, null when its header is not the 32-bit one the cut rewrites. */
function tailCut(box: Box, length: number, stsdAt: number): Omit<Cut, "entry"> | "none" | null {
  if (box.header + length === box.size) return "none";
  if (box.header !== 8) return null;
  return { box: box.at - stsdAt, from: box.at + box.header + length - stsdAt, to: box.at + box.size - stsdAt };
}

/** The `esds` object type of MPEG-4 Part 2 video (ISO/IEC 14496-1 7.2.6.6.2). */
const MPEG4_VISUAL = 0x20;

/**
 * The user data of an `mp4v` entry's `esds` blanked in `out` (the copy of the `stsd` that starts
 * at `stsdAt`): the count, or null when the entry has no `esds`, a malformed one, or one of
 * another codec (MPEG-1/2 video, whose captions must stay and whose time codes must go: the
 * remux's pass over its stream does both).
 */
function mpeg4Headers(buf: Buffer, from: number, to: number, out: Buffer, stsdAt: number): number | null {
  const esds = (childBoxes(buf, from, to) ?? []).filter((b) => b.type === "esds");
  if (esds.length !== 1) return null;
  const [start, end] = [esds[0]!.at + esds[0]!.header, esds[0]!.at + esds[0]!.size];
  if (decoderConfig(buf, start, end)?.objectType !== MPEG4_VISUAL) return null;
  return cleanEsds(buf, start, end, out, stsdAt);
}

/**
 * What the `esds` of an `mp4a` entry (its child boxes in `buf[from, to)`; QuickTime puts it
 * inside `wave`) says of its AAC (`iso-aac.ts`); raw blocks false for the other codecs `mp4a` can
 * carry (MP3...). Null when the `esds` is missing, doubled or malformed, so that ffmpeg's remux
 * and its own reading of the stream decide.
 */
function mp4aConfig(buf: Buffer, from: number, to: number): AacConfig | null {
  const children = childBoxes(buf, from, to) ?? [];
  const wave = children.filter((b) => b.type === "wave");
  const esds = [...children, ...wave.flatMap((w) => childBoxes(buf, w.at + w.header, w.at + w.size) ?? [])].filter((b) => b.type === "esds");
  if (esds.length !== 1) return null;
  return aacConfig(buf, esds[0]!.at + esds[0]!.header, esds[0]!.at + esds[0]!.size);
}

function childrenAllowed(buf: Buffer, from: number, to: number, allowed: ReadonlySet<string>): boolean {
  const children = childBoxes(buf, from, to);
  if (children == null) return false;
  return children.every((b) => {
    if (!allowed.has(b.type)) return false;
    if (b.type === "colr") {
      return b.size === COLOUR_SIZES[buf.toString("latin1", b.at + b.header, b.at + b.header + 4)];
    }
    if (b.type === "wave") return childrenAllowed(buf, b.at + b.header, b.at + b.size, WAVE_CHILDREN);
    if (b.type === "jp2h") return plainJp2Header(buf, b.at + b.header, b.at + b.size);
    if (b.type === "auxi") return auxiliaryType(buf, b);
    return true;
  });
}

/** An `auxi` box of version 0 holding a URN and its terminating zero, nothing else. */
function auxiliaryType(buf: Buffer, box: Box): boolean {
  const from = box.at + box.header + 4;
  const end = box.at + box.size;
  if (from > end || buf.readUInt32BE(from - 4) !== 0 || buf[end - 1] !== 0) return false;
  return AUXILIARY_URN.test(buf.toString("latin1", from, end - 1));
}

/** `dinf` holds one `dref` whose entries all say "in this file", with nothing else (no path, no URL). */
function selfContained(buf: Buffer, dinf: Box): boolean {
  const children = inside(buf, dinf);
  if (children == null || children.length !== 1 || children[0]!.type !== "dref") return false;
  const dref = children[0]!;
  if (dref.size - dref.header < 8) return false;
  const entries = childBoxes(buf, dref.at + dref.header + 8, dref.at + dref.size);
  if (entries == null || entries.length !== buf.readUInt32BE(dref.at + dref.header + 4)) return false;
  return entries.every((e) => (e.type === "url " || e.type === "alis") && e.size === e.header + 4 && (buf.readUInt32BE(e.at + e.header) & 1) === 1);
}

/** A copy of a full box whose creation and modification times (version 0: 32 bits, 1: 64) are zero. */
function withZeroDates(buf: Buffer, box: Box): Buffer {
  const out = Buffer.from(slice(buf, box));
  const version = out[box.header] ?? 0;
  const end = box.header + 4 + (version === 1 ? 16 : 8);
  out.fill(0, box.header + 4, Math.min(end, out.length));
  return out;
}

/** A copy of an `hdlr` box with its name (and QuickTime's manufacturer fields) blanked: writers put their own names there. */
function withoutHandlerName(buf: Buffer, box: Box): Buffer {
  const out = Buffer.from(slice(buf, box));
  out.fill(0, Math.min(box.header + 12, out.length));
  return out;
}

function container(type: string, parts: readonly Buffer[]): Buffer {
  const length = parts.reduce((n, b) => n + b.length, 0);
  return Buffer.concat([boxHeader(type, length), ...parts]);
}

function inside(buf: Buffer, box: Box): Box[] | null {
  return childBoxes(buf, box.at + box.header, box.at + box.size);
}

/** The one child of a type, or null when there is none or more than one. */
function only(children: readonly Box[], type: string): Box | null {
  const found = children.filter((b) => b.type === type);
  return found.length === 1 ? found[0]! : null;
}

function slice(buf: Buffer, box: Box): Buffer {
  return buf.subarray(box.at, box.at + box.size);
}
