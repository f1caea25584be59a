import fsp from "node:fs/promises";
import { UnsupportedTypeError } from "../errors.js";
import type { CleanContext, CleanOutcome, Cleaner } from "../types.js";
import { checkAviHeaders } from "./avi-headers.js";
import { ebmlDocType } from "./ebml-doctype.js";
import { cleanIsoBoxes } from "./iso-rewrite.js";
import { cleanStreams, type LeaveOut } from "./streams.js";
import { isMediaStructural, isQuickTimeStructural } from "./structural.js";

interface Target {
  demuxer: string;
  muxer: string;
  demuxerArgs?: readonly string[];
  /** Muxer options (e.g. the M2TS packet layout). */
  muxerArgs?: readonly string[];
  /** ISO BMFF: write the input's major brand again, so an M4A stays an M4A (ExifTool's FileType follows it). */
  keepBrand?: boolean;
  /** ISO BMFF / QuickTime: try the exact box rewrite first (`iso-rewrite.ts`); it declines what it cannot do exactly. */
  boxRewrite?: boolean;
  /** Matroska: a file whose EBML DocType is "webm" is written by this muxer instead (audio-only WebM and Matroska are both MKA to ExifTool). */
  webmMuxer?: string;
  /** Streams ffprobe lists as content that are not content in this format (see `streams.ts`). */
  leaveOut?: LeaveOut;
}

/**
 * Containers whose streams ffmpeg copies into a fresh, tag-free container (see `ffmpeg.ts`).
 * Writing these by hand would mean re-implementing sample tables, cues and indexes; a stream
 * copy is exact for the streams and leaves nothing of the old container behind. What the copy
 * alone would keep is handled on the way (`streams.ts`): telemetry subtitle tracks, editor
 * fields in ASS headers, encoder identification inside H.264/HEVC.
 */
export function remuxCleaner(name: string, targets: Record<string, Target>, isStructural: Cleaner["isStructural"] = isMediaStructural): Cleaner {
  return {
    name,
    fileTypes: Object.keys(targets),
    async clean(ctx: CleanContext): Promise<CleanOutcome> {
      const target = targets[ctx.fileType];
      if (target == null) throw new Error(`${name} cleaner called for ${ctx.fileType}`);
      const source = { file: ctx.input, demuxer: target.demuxer, demuxerArgs: target.demuxerArgs ?? [] };
      if (target.boxRewrite === true) {
        const rewritten = await cleanIsoBoxes(ctx.input, ctx.output, ctx.workDir, source);
        if (rewritten != null) return rewritten;
      }
      const brand = target.keepBrand === true ? await majorBrand(ctx.input) : null;
      const muxer = target.webmMuxer != null && (await ebmlDocType(ctx.input)) === "webm" ? target.webmMuxer : target.muxer;
      return cleanStreams({
        source,
        output: ctx.output,
        muxer,
        muxerArgs: [...(target.muxerArgs ?? []), ...(brand != null ? ["-brand", brand] : [])],
        typeName: ctx.fileType,
        workDir: ctx.workDir,
        ...(target.leaveOut != null ? { leaveOut: target.leaveOut } : {}),
        samplesInMediaData: target.boxRewrite === true,
      });
    },
    isStructural,
  };
}

/** The `ftyp` box's major brand, when it is four printable characters. */
async function majorBrand(file: string): Promise<string | null> {
  const fh = await fsp.open(file, "r");
  try {
    const head = Buffer.alloc(12);
    const { bytesRead } = await fh.read(head, 0, 12, 0);
    if (bytesRead < 12 || head.toString("latin1", 4, 8) !== "ftyp") return null;
    const brand = head.toString("latin1", 8, 12);
    return /^[\x20-\x7e]{4}$/.test(brand) ? brand : null;
  } finally {
    await fh.close();
  }
}

// External media references (`dref` aliases/URLs) are never followed; that is ffmpeg's default,
// stated here because it guards against reading other files.
export const MOV_DEMUXER_ARGS = ["-enable_drefs", "0"];

// Most of these files (a phone's or an encoder's video, music) are rewritten box by box, which
// costs a copy of the file and no helper program; the rest (subtitles, fragments, unknown boxes)
// are remuxed.
const ISO = { demuxer: "mov", demuxerArgs: MOV_DEMUXER_ARGS, boxRewrite: true };

const isoMovies = remuxCleaner("quicktime", {
  MP4: { ...ISO, muxer: "mp4", keepBrand: true },
  M4A: { ...ISO, muxer: "mp4", keepBrand: true },
  M4V: { ...ISO, muxer: "mp4", keepBrand: true },
  "3GP": { ...ISO, muxer: "3gp", keepBrand: true },
  "3G2": { ...ISO, muxer: "3g2", keepBrand: true },
  MOV: { ...ISO, muxer: "mov" },
}, isQuickTimeStructural);

/**
 * The ISO movies, and what ExifTool also names MP4: the low-overhead form of HEIF (major brand
 * `mif3`, a `mini` box in place of `meta`, ISO/IEC 23008-12:2025), whose Exif and XMP sit in that
 * box's bit-packed header, which ExifTool does not read. It is no movie, and the remux would call
 * it a damaged MP4: it is named as a type no cleaner here handles.
 */
export const quickTimeCleaner: Cleaner = {
  ...isoMovies,
  async clean(ctx: CleanContext): Promise<CleanOutcome | void> {
    if ((await majorBrand(ctx.input)) === "mif3") throw new UnsupportedTypeError("low-overhead HEIF, brand mif3");
    return isoMovies.clean(ctx);
  },
};

/** A HEIF image sequence with no still picture beside its frames, which the HEIF cleaner hands over: a movie only. */
export const heifMovieCleaner = remuxCleaner("heif-movie", { HEIFS: { ...ISO, muxer: "mp4", keepBrand: true } }, isQuickTimeStructural);

// No CRC-32 elements: the copy is patched in place afterwards (SEI user data in clusters, hvcC and
// ASS headers in the track entries), which would leave the checksums of those elements wrong.
const MATROSKA_MUXER_ARGS = ["-write_crc32", "0"];

export const matroskaCleaner = remuxCleaner("matroska", {
  MKV: { demuxer: "matroska", muxer: "matroska", muxerArgs: MATROSKA_MUXER_ARGS },
  WEBM: { demuxer: "matroska", muxer: "webm", muxerArgs: MATROSKA_MUXER_ARGS },
  // Audio only: an audio-only WebM keeps its DocType, which players check.
  MKA: { demuxer: "matroska", muxer: "matroska", webmMuxer: "webm", muxerArgs: MATROSKA_MUXER_ARGS },
});

const aviRemux = remuxCleaner("avi", {
  AVI: { demuxer: "avi", muxer: "avi" },
});

/** AVI: its header lists are checked first (`avi-headers.ts`), since ffmpeg reads past a damaged chunk's list. */
export const aviCleaner: Cleaner = {
  ...aviRemux,
  async clean(ctx: CleanContext): Promise<CleanOutcome | void> {
    await checkAviHeaders(ctx.input);
    return aviRemux.clean(ctx);
  },
};

/**
 * Ogg: the comment header is mandatory, so ffmpeg writes a new, empty one whose vendor string is
 * the neutral "ffmpeg" (what it writes in bitexact mode) instead of the encoder's name and version.
 */
export const oggCleaner = remuxCleaner("ogg", {
  OGG: { demuxer: "ogg", muxer: "ogg" },
  OGV: { demuxer: "ogg", muxer: "ogg" },
  OPUS: { demuxer: "ogg", muxer: "opus" },
});
