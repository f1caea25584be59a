import fs from "node:fs/promises";
import path from "node:path";
import { makeGif, makeHeif, makeJpeg, makePng, makeSvg, makeTiff, makeWebp } from "./make-images.js";
import { makeBmp, makeJxl, makePhotoshopPsd } from "./make-formats.js";
import { id3v1, id3v2, makeMarkedAv } from "./make-av-formats.js";
import { makeMarkedMedia, type MediaKind } from "./make-media.js";
import { makeMarkedJpeg, makeOffice, type OfficeKind } from "./make-office.js";
import { makeMarkedPdf } from "./make-pdf.js";
import { makeEmf, makeWmf } from "./make-legacy-pictures.js";
import { makeSmartObjectPsd } from "./make-psd-layers.js";
import { makeMarkedRtf } from "./make-rtf.js";
import { handZip, makeTar } from "./make-archives.js";
import { makeMarkedEpub } from "./make-epub.js";
import { makeMarkedLegacyOffice } from "./make-legacy-office.js";
import { connectionsPart, makeXlsb } from "./make-xlsb.js";
import { chunk as midiChunk, header as midiHeader, song } from "./make-midi.js";
import { ffmpegCaf, markCaf } from "./make-caf.js";
import { ffmpegAu } from "./make-au.js";
import { markedDsdiff } from "./make-dsdiff.js";
import { makeBareMpegVideo } from "./make-mpeg2.js";
import { makeSeiStream } from "./make-sei.js";
import { buildExr, exrPreview, exrString } from "./make-exr.js";
import { markedRadiance } from "./make-radiance.js";
import { encodeTta } from "./make-tta.js";

/** A valid file of one supported type, carrying `marker` in its metadata. */
export interface Seed {
  name: string;
  bytes: Buffer;
  /**
   * The marker is not checked in its copies, only that the service answers, in time, and lives.
   * RTF: a flipped bit turns a metadata field into text the document shows (`{\info` damaged:
   * its title becomes text) and readers disagree on what a damaged file shows (LibreOffice hides
   * some text the specification shows). Its marker is checked by its own tests.
   */
  answersOnly?: true;
  /**
   * Where a copy keeps what its own structure calls content, left out of the marker check: a
   * mutated length or a flipped type can make metadata bytes pixels, samples or notes, which every
   * reader shows or plays and a cleaner must keep. Each is read from the copy by hand, as its own
   * header says, never by the service's code; see `CONTENT` for each type's case.
   */
  content?: (copy: Buffer) => ByteRange[];
}

/** Bytes [start, end) of a copy; past its end is cut off. */
export interface ByteRange {
  start: number;
  end: number;
}

/**
 * A PSD's composite image data: everything after its header and three length-prefixed sections.
 * A mutated section length (a zero run over the layer section's) makes what were layer records
 * the composite image's raw pixels.
 */
function psdImageData(copy: Buffer): ByteRange[] {
  let at = 26;
  for (let section = 0; section < 3; section++) {
    if (at + 4 > copy.length) return [];
    at += 4 + copy.readUInt32BE(at);
  }
  return at < copy.length ? [{ start: at, end: copy.length }] : [];
}

/**
 * What a MIDI copy plays, as a player walks its tracks: the data bytes of channel messages, the
 * bytes of system exclusive messages and the words of lyrics. A mutation that breaks a track's
 * event sync makes the text bytes after it running-status note data (or a system exclusive
 * message), and a flipped meta type makes a text event a lyric (0x01 ^ 0x04): every player plays
 * or shows them, and the cleaner keeps music byte for byte. The rest stays checked: chunks,
 * delta times and every other meta event, the text the cleaner must drop.
 */
function midiMusic(copy: Buffer): ByteRange[] {
  const played: ByteRange[] = [];
  const byte = (at: number): number => copy[at] ?? 0;
  /** A variable-length number at `at`: its value and where it ends. */
  const vlq = (at: number): [number, number] => {
    let value = 0;
    do value = value * 128 + (byte(at) & 0x7f);
    while ((byte(at++) & 0x80) !== 0 && at < copy.length);
    return [value, at];
  };
  if (copy.length < 8) return played;
  for (let at = 8 + copy.readUInt32BE(4); at + 8 <= copy.length; at += 8 + copy.readUInt32BE(at + 4)) {
    if (copy.toString("latin1", at, at + 4) !== "MTrk") continue;
    const end = Math.min(copy.length, at + 8 + copy.readUInt32BE(at + 4));
    let running = 0;
    for (let p = vlq(at + 8)[1]; p < end; p = vlq(p)[1]) {
      const status = byte(p);
      if (status === 0xff || status === 0xf0 || status === 0xf7) {
        const [length, data] = vlq(p + (status === 0xff ? 2 : 1));
        if (status !== 0xff || byte(p + 1) === 0x05) played.push({ start: data, end: data + length });
        p = data + length;
      } else {
        if (status >= 0x80) running = status;
        const data = status >= 0x80 ? p + 1 : p;
        const length = running >> 4 === 0xc || running >> 4 === 0xd ? 1 : 2;
        played.push({ start: data, end: data + length });
        p = data + length;
      }
    }
  }
  return played;
}

/**
 * An AU copy's samples, as its own header counts them (to the end when their size is unknown). A
 * mutated data offset or size makes the annotation, or the bytes after the samples, samples.
 */
function auSamples(copy: Buffer): ByteRange[] {
  if (copy.length < 24) return [];
  const start = copy.readUInt32BE(4);
  const size = copy.readUInt32BE(8);
  return [{ start, end: size === 0xffffffff ? copy.length : start + size }];
}

/**
 * A CAF copy's audio data chunk's body (a size of -1 runs to the end). A mutated chunk size can
 * make the chunks after the sound part of it.
 */
function cafData(copy: Buffer): ByteRange[] {
  for (let at = 8; at + 12 <= copy.length; ) {
    const size = copy.readBigInt64BE(at + 4);
    const end = size < 0n ? copy.length : Math.min(copy.length, at + 12 + Number(size));
    if (copy.toString("latin1", at, at + 4) === "data") return [{ start: at + 12, end }];
    if (size < 0n) break;
    at = end;
  }
  return [];
}

/**
 * A DSDIFF copy's sound chunk's body ("DSD " or "DST "). A mutated chunk size can make the chunks
 * after the sound part of it.
 */
function dsdiffSound(copy: Buffer): ByteRange[] {
  for (let at = 16; at + 12 <= copy.length; ) {
    const end = Math.min(copy.length, at + 12 + Number(copy.readBigUInt64BE(at + 4)));
    const id = copy.toString("latin1", at, at + 4);
    if (id === "DSD " || id === "DST ") return [{ start: at + 12, end }];
    at = end + (end % 2);
  }
  return [];
}

/**
 * A bare MPEG-1/2 stream copy's slices (units of start codes 01 to AF), the pictures' data, each
 * to the next start code. A mutation that breaks a user data unit's start code (a zero run over
 * its 01 byte) makes its text trailing bytes of the slice before it, and a flipped code byte
 * (B2 ^ 80) makes it a slice of its own: there is no unit left to blank, and the cleaner copies
 * slices byte for byte. Every other unit stays checked.
 */
function mpegSlices(copy: Buffer): ByteRange[] {
  const slices: ByteRange[] = [];
  const prefix = Buffer.from([0, 0, 1]);
  for (let at = copy.indexOf(prefix); at >= 0; ) {
    const next = copy.indexOf(prefix, at + 3);
    const code = copy[at + 3] ?? 0;
    if (code >= 0x01 && code <= 0xaf) slices.push({ start: at + 4, end: next < 0 ? copy.length : next });
    at = next;
  }
  return slices;
}

/**
 * A bare H.264 or HEVC stream's slices (VCL units, see `CONTENT`), each
 * from its header to the next start code: as with MPEG-2, a mutation that breaks an SEI unit's
 * start code makes its user data trailing bytes of the slice before it, which decoders read as
 * the picture's and the cleaner copies byte for byte.
 */
function nalSlices(copy: Buffer, isSlice: (header: number) => boolean): ByteRange[] {
  const slices: ByteRange[] = [];
  const prefix = Buffer.from([0, 0, 1]);
  for (let at = copy.indexOf(prefix); at >= 0; ) {
    const next = copy.indexOf(prefix, at + 3);
    if (isSlice(copy[at + 3] ?? 0)) slices.push({ start: at + 4, end: next < 0 ? copy.length : next });
    at = next;
  }
  return slices;
}

/**
 * A Radiance HDR copy's pixels: everything after the resolution line, the line after the empty
 * one that ends the header. A mutated size on that line makes bytes after the pixels pixels.
 */
function radiancePixels(copy: Buffer): ByteRange[] {
  const headerEnd = copy.indexOf("\n\n", 0, "latin1");
  const resolutionEnd = headerEnd < 0 ? -1 : copy.indexOf("\n", headerEnd + 2, "latin1");
  return resolutionEnd < 0 ? [] : [{ start: resolutionEnd + 1, end: copy.length }];
}

/**
 * A True Audio copy's stream as its own seek table says (http://tausoft.org/wiki/True_Audio_Codec_Format):
 * the 22-byte header, one 32-bit size per frame of 256/245 s and a CRC, then the frames. A mutated
 * seek table, or a tag footer no longer found, makes a tag's bytes frames, which decoders read.
 */
function ttaStream(copy: Buffer): ByteRange[] {
  if (copy.length < 22 || copy.toString("latin1", 0, 4) !== "TTA1") return [];
  const frameLength = Math.floor((256 * copy.readUInt32LE(10)) / 245);
  const frames = frameLength === 0 ? 0 : Math.ceil(copy.readUInt32LE(14) / frameLength);
  let end = 22 + frames * 4 + 4;
  for (let i = 0; i < frames && 22 + i * 4 + 4 <= copy.length; i++) end += copy.readUInt32LE(22 + i * 4);
  return [{ start: 0, end }];
}

/** Each type's content, by the seed's extension. */
const CONTENT: Readonly<Record<string, (copy: Buffer) => ByteRange[]>> = {
  ".psd": psdImageData,
  ".mid": midiMusic,
  ".au": auSamples,
  ".caf": cafData,
  ".dff": dsdiffSound,
  ".m2v": mpegSlices,
  // H.264: slices (1-5), auxiliary slices (19) and the slice extensions of other views and layers
  // (20, 21), which MVC and SVC decoders read. HEVC: the slice types the standard defines (0-9,
  // 16-21); its reserved ones no decoder reads, and the cleaner makes them filler. Neither with
  // the forbidden bit set: decoders drop such a unit as invalid.
  ".h264": (copy) => nalSlices(copy, (h) => h < 0x80 && (((h & 0x1f) >= 1 && (h & 0x1f) <= 5) || ((h & 0x1f) >= 19 && (h & 0x1f) <= 21))),
  ".hevc": (copy) => nalSlices(copy, (h) => h < 0x80 && (((h >> 1) & 0x3f) <= 9 || (((h >> 1) & 0x3f) >= 16 && ((h >> 1) & 0x3f) <= 21))),
  ".hdr": radiancePixels,
  ".tta": ttaStream,
};

const MEDIA: readonly MediaKind[] = ["mp3", "aac", "flac", "wav", "m4a", "mp4", "mkv", "ogg", "avi", "mov", "3gp", "webm", "opus", "mka"];
const AV = ["aiff", "aifc", "ape", "wma", "wmv", "flv", "ts", "wv", "mpg"] as const;
const OFFICE: readonly OfficeKind[] = ["docx", "xlsx", "pptx", "odt", "ods", "odp"];

/**
 * One valid, metadata-laden file of every family the service cleans, made by the same helpers
 * the cleaners' own tests use. Each is made in a folder of its own: some helpers use fixed names.
 */
export async function makeCorpus(dir: string, marker: string): Promise<Seed[]> {
  const makers: Array<[string, (d: string) => Promise<string | Buffer>]> = [
    ["photo.jpg", (d) => makeJpeg(d, marker)],
    ["image.png", (d) => makePng(d, marker)],
    ["scan.tif", (d) => makeTiff(d, marker)],
    ["anim.gif", (d) => makeGif(d, marker)],
    ["pic.webp", (d) => makeWebp(d, marker, false)],
    ["drawing.svg", (d) => makeSvg(d, marker, "Visible")],
    ["report.pdf", (d) => makeMarkedPdf(d, "plain", marker)],
    ["layers.psd", async (d) => makeSmartObjectPsd(d, marker, await makeMarkedJpeg(d, marker))],
    ...MEDIA.map((k): [string, (d: string) => Promise<string>] => [`media.${k}`, (d) => makeMarkedMedia(d, k, marker)]),
    ...OFFICE.map((k): [string, (d: string) => Promise<Buffer>] => [
      `doc.${k}`,
      async (d) => (await makeOffice(k, marker, await makeMarkedJpeg(d, marker))).bytes,
    ]),
    ["book.xlsb", () => makeXlsb(marker, { noteAuthor: `${marker}Author`, extraParts: [["xl/connections.bin", connectionsPart(marker), "connections"]] })],
    ...(["doc", "xls", "ppt"] as const).map((k): [string, (d: string) => Promise<string>] => [`old.${k}`, async (d) => makeMarkedLegacyOffice(d, k, marker, [await makeMarkedJpeg(d, marker)])]),
    ["book.epub", async (d) => makeMarkedEpub(marker, await makeMarkedJpeg(d, marker))],
    ["photos.zip", async (d) => handZip([{ name: "photo.jpg", data: await makeMarkedJpeg(d, marker), comment: `${marker} member` }, { name: "notes.txt", data: Buffer.from("plain words\n"), deflate: true }], `${marker} archive`)],
    ["photos.tar", async (d) => makeTar([{ name: "photo.jpg", data: await makeMarkedJpeg(d, marker), owner: marker, pax: { comment: `${marker} comment` } }])],
    ["photo.heic", (d) => makeHeif(d, marker, "heic", { jpegThumbnail: true })],
    ["photo.avif", (d) => makeHeif(d, marker, "avif")],
    ["photo.jxl", (d) => makeJxl(d, marker)],
    ["pic.bmp", (d) => makeBmp(d, marker, false)],
    ["layers2.psd", (d) => makePhotoshopPsd(d, marker)],
    ...AV.map((k): [string, (d: string) => Promise<string>] => [`av.${k}`, (d) => makeMarkedAv(d, k, marker)]),
    ["song.mid", async () => Buffer.concat([midiHeader(2, Buffer.from(marker, "latin1")), song(marker), midiChunk("XFIH", Buffer.from(`XF02 ${marker} singer`, "latin1"))])],
    ["sound.caf", async (d) => markCaf(await ffmpegCaf(d, "made.caf", "alac", marker), marker)],
    ["sound.au", (d) => ffmpegAu(d, "sound.au", "pcm_s16be", `title=${marker} take`, `artist=${marker} singer`, `comment=${marker} notes`)],
    ["sound.dff", async () => markedDsdiff(marker)],
    ["video.m2v", (d) => makeBareMpegVideo(d, "video.m2v", "mpeg2video", marker)],
    ["clip.h264", (d) => makeSeiStream(d, "h264", marker)],
    ["clip.hevc", (d) => makeSeiStream(d, "hevc", marker)],
    ["render.exr", async () => buildExr([{ width: 16, height: 8, extra: [exrString("owner", `${marker} owner`), exrString("comments", marker), exrPreview(4, 2, marker)] }])],
    ["light.hdr", (d) => markedRadiance(d, "light.hdr", 24, [`SOFTWARE=${marker}`, `# ${marker} notes`, `rpict /home/${marker}/scene.oct`])],
    ["song.tta", async (d) => {
      const { stream, apeTag } = await encodeTta(d, marker);
      return Buffer.concat([id3v2(marker), stream, apeTag, id3v1(marker)]);
    }],
  ];
  const seeds: Seed[] = [];
  for (const [name, make] of makers) {
    const sub = await fs.mkdtemp(path.join(dir, "seed-"));
    const made = await make(sub);
    const content = CONTENT[path.extname(name)];
    seeds.push({ name, bytes: typeof made === "string" ? await fs.readFile(made) : made, ...(content != null ? { content } : {}) });
  }
  // An RTF as LibreOffice writes it, with Word's metadata groups added (make-rtf.ts).
  const rtf = await makeMarkedRtf(await fs.mkdtemp(path.join(dir, "seed-")), { marker, note: `${marker}Note`, gone: `${marker}Gone`, inserted: "Inserted" });
  seeds.push({ name: "doc.rtf", bytes: await fs.readFile(rtf), answersOnly: true });
  seeds.push({ name: "drawing.emf", bytes: makeEmf(marker) }, { name: "drawing.wmf", bytes: makeWmf(marker) });
  return seeds;
}
