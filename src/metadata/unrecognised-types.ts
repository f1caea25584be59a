import fsp from "node:fs/promises";
import { startsLikeOs2Bitmap } from "../cleaners/image/bmp-array.js";
import { DDS_HEADER, isDdsHead } from "../cleaners/image/dds-layout.js";
import { readTgaHeader, TGA_HEADER } from "../cleaners/image/tga-header.js";
import { startsLike } from "../cleaners/legacy-office/embedded-metafile.js";
import { isTarHeader, TAR_BLOCK } from "../cleaners/archive/tar.js";
import { startsHeader } from "../cleaners/media/adts.js";
import { isMidiHead, MIDI_HEADER } from "../cleaners/media/midi-events.js";
import type { SeiCodec } from "../cleaners/media/sei.js";
import { damagedCompoundHead, namedByRootStreams } from "./compound-types.js";
import { namedByParts } from "./package-types.js";
import { ANNEXB_HEAD, annexBCodecOf, readAnnexBTags } from "./annexb-fields.js";
import { readDdsTags } from "./dds-fields.js";
import { AU_HEADER, auHeaderOf, readAuTags } from "./au-fields.js";
import { isCafHead, readCafTags } from "./caf-fields.js";
import { isDsdiffHead, readDsdiffTags } from "./dsdiff-fields.js";
import { readMidiTags } from "./midi-fields.js";
import { isRmidHead, readRmidTags, RMID, RMID_HEADER } from "./rmid-fields.js";
import { oldExcelType } from "./old-excel.js";
import { oldWordType } from "./old-word.js";
import { readTgaTags } from "./tga-fields.js";
import { tagName } from "./tag-name.js";
import type { RawRead, RawTags, ReadBytes } from "./read-task.js";

/** An APEv2 tag larger than this is still cut off by the cleaner, but its items are not listed. */
const MAX_APE_TAG = 16 * 1024 * 1024;
const APE_FOOTER = 32;
const ID3V1 = 128;

/**
 * Types ExifTool does not recognise, told apart by their first bytes so that the service can pick
 * a cleaner and verification can re-read the result: Musepack stream version 8 ("MPCK", what
 * Debian's mpcenc writes; ExifTool knows only version 7, and calls a version-8 file an unknown
 * type, or MP3 when an ID3v2 tag starts it or an ID3v1 tag ends it). The File tags are filled in as ExifTool fills them
 * for version 7, its "Unknown file type" error is dropped, and the APEv2 tag such a file ends
 * with (before any ID3v1 tag, which ExifTool reads itself) is read here, named as ExifTool names
 * APE items. So are True Audio streams ("TTA1", which ExifTool does not know at all), tagged
 * alike.
 *
 * Raw AAC (ADTS frames) that starts with an ID3v2 tag, as some recorders write it: ExifTool
 * recognises ADTS only at the file's first byte and calls such a file MP3 (it reads the tags).
 * An ADTS header (layer bits 00) is never an MPEG audio frame's, so the type is told by the
 * first bytes after the tags. What ExifTool reads from the first frame (profile, rate, channels,
 * the encoder's text) is not read then; the cleaned copy, which starts with its first frame, is
 * read in full.
 *
 * EMF drawings (Windows enhanced metafiles, in DOCX and PPTX media folders): ExifTool knows WMF
 * by name but not EMF, which starts with a header record whose signature " EMF" sits at byte 40.
 *
 * StarView metafiles (SVM: "VCLMTF"), the pictures LibreOffice stores for an embedded chart or
 * formula in ODF documents, which ExifTool does not know.
 *
 * tar archives of the pre-POSIX (Unix V7) format, without the "ustar" magic ExifTool looks for
 * (Pillow's hopper.tar; GNU tar reads and writes them): told by their first header's checksum.
 *
 * OS/2 bitmap arrays ("BA", often named .ico or .bmp) and lone OS/2 icons and pointers ("CI",
 * "CP", "IC", "PT"): ExifTool knows only "BM" bitmaps; these are named BMP (as ImageMagick reads
 * them) and cleaned by the BMP cleaner (image/bmp-array.ts).
 *
 * Truevision Targa pictures (TGA), which have no magic number and no ExifTool module: told by
 * their header's fields (tga-header.ts), their text fields read here (tga-fields.ts). An
 * uncompressed true-colour one with no image ID and no colour map starts as ExifTool's ICO magic
 * says a cursor does (0, 0, 2, 0, any, 0): ExifTool reads it as a cursor of no images, which no
 * cursor is; one whose image ID is 2, 4, 6 or 8 bytes long matches its ACR-NEMA (old DICOM)
 * magic instead (Pillow's tga_id_field.tga). Either is taken for a Targa picture when its header
 * holds a Targa header's values throughout (an ACR-NEMA file would need an empty first element
 * numbered as a Targa image type followed by a picture's size and depth). So is one ExifTool
 * calls MP3 for an audio frame header or ID3v1 "TAG" among its bytes.
 *
 * DSDIFF audio (.dff, the other format DSD albums are sold in): "FRM8" and "DSD "; its comments,
 * artist, title and markers read here (dsdiff-fields.ts).
 *
 * Core Audio Format files (.caf, Apple's): "caff", version 1, then the audio description chunk;
 * their information chunk, edit comments, marker names and material identifier read here
 * (caf-fields.ts).
 *
 * Standard MIDI Files (.mid, .kar): a header chunk, "MThd"; their text and other metadata
 * events read here (midi-fields.ts). RIFF MIDI files (.rmi), which ExifTool calls RIFF: a RIFF
 * form of type "RMID" (rmid-fields.ts).
 *
 * Sun/NeXT audio (.au, .snd): ".snd" and a header of known values; its annotation read here
 * (au-fields.ts).
 *
 * H.264 and HEVC elementary streams (.h264, .hevc): a start code and the unit an encoder opens a
 * stream with; the user data of their first SEI units read here (annexb-fields.ts).
 *
 * DirectDraw Surface textures (DDS), which ExifTool has no module for: "DDS " and the header's
 * size, 124 (dds-layout.ts); the writer's signature in its header read here (dds-fields.ts).
 *
 * Office 97-2003 files, and password-protected Office 2007+ ones, by their compound file's root
 * streams (compound-types.ts), and one cut within its header as a damaged compound file; Excel
 * 2.x-4.0 files by their first record (old-excel.ts) and Word for Windows 2.0 ones by their
 * header (old-word.ts), so that their refusal names them. Excel binary workbooks, which ExifTool
 * calls DOCX, by their workbook part (package-types.ts).
 */
export async function completeRead(file: string, read: RawRead, head?: Buffer): Promise<RawRead> {
  const type = read.tags["File:FileType"];
  const misnamed = (type === "CUR" && Number(read.tags["File:ImageCount"] ?? 0) === 0) || type === "ACR";
  if (type === "DOCX") return namedByParts(file, read);
  if (type === "WV") return withWavPackApeTag(file, read);
  if (type === "RIFF") return withRmidTags(file, read, head);
  // ExifTool calls a file MP3 by a frame header anywhere in its first 256 bytes, and M2TS by a
  // 0x47 byte every 188 (M2T) or 192 bytes: a MIDI file's notes can be either (or an ID3v1 tag a
  // tagger appended to it or to a CAF file). Neither MP3 nor a transport stream starts as a type
  // of READ_HERE does.
  const loose = type == null || type === "MP3" || type === "M2T" || type === "M2TS";
  if (!loose && !misnamed) return namedByRootStreams(file, read);
  const opened = new LazyFile(file);
  try {
    // Most MP3s' ID3v2 tags end within the head the caller read: the file is then not opened.
    const bytes = opened.after(head);
    if (type == null && startsLike("emf", await bytes(0, 44))) return recognisedAs(read, "EMF", "emf", "image/emf");
    if (type == null && (await bytes(0, 6)).toString("latin1") === "VCLMTF") return recognisedAs(read, "SVM", "svm", "image/x-svm");
    if (type == null && isTarHeader(await bytes(0, TAR_BLOCK))) return recognisedAs(read, "TAR", "tar", "application/x-tar");
    if (type == null && startsLikeOs2Bitmap(await bytes(0, 32))) return recognisedAs(read, "BMP", "bmp", "image/bmp");
    for (const own of loose ? READ_HERE : []) {
      if (!own.isHead(await bytes(0, own.headLength))) continue;
      const { tags, messages } = recognisedAs(tagsOnly(read), own.type, own.extension, own.mime);
      return { tags: { ...tags, ...(await own.readTags(bytes, await opened.size())) }, messages };
    }
    if (type === "M2T" || type === "M2TS") return read;
    const excel = type == null ? oldExcelType(await bytes(0, 8)) : null;
    if (excel != null) return recognisedAs(read, excel, "xls", "application/vnd.ms-excel");
    const word = type == null ? oldWordType(await bytes(0, 4)) : null;
    if (word != null) return recognisedAs(read, word, "doc", "application/msword");
    const compound = damagedCompoundHead(read, await bytes(0, 8));
    if (compound != null) return compound;
    // ExifTool calls a file MP3 by an MPEG audio frame header anywhere in its first 256 bytes or
    // "TAG" 128 bytes before its end: a Targa picture's ID, pixels or extension area can hold
    // either. No MP3 starts as a Targa header (an ID3v2 tag or a frame's sync bytes rule it out).
    const mp3Targa = type === "MP3" && readTgaHeader(await bytes(0, TGA_HEADER), true) != null;
    const targa = type == null || misnamed || mp3Targa ? await readTgaTags(bytes, await opened.size()) : null;
    if (targa != null) {
      const { tags, messages } = recognisedAs(misnamed || mp3Targa ? fileTagsOnly(read) : read, "TGA", "tga", "image/x-tga");
      return { tags: { ...tags, ...targa }, messages };
    }
    if (misnamed) return namedByRootStreams(file, read);
    const afterTags = await bytes(await afterId3v2(bytes), 7);
    if (type === "MP3" && startsHeader(afterTags, 0)) {
      return { tags: { ...read.tags, "File:FileType": "AAC", "File:FileTypeExtension": "aac", "File:MIMEType": "audio/aac" }, messages: read.messages };
    }
    const tagged = TAGGED_STREAMS[afterTags.toString("latin1", 0, 4)];
    if (tagged == null) return read;
    const { tags, messages } = recognisedAs(read, ...tagged);
    return { tags: { ...tags, ...(await readApeTag(bytes, await opened.size())) }, messages };
  } finally {
    await opened.close();
  }
}

/** Streams tagged as MP3s are (ID3v2 before, APEv2 and ID3v1 after) that ExifTool does not know, by their magic number: type, extension, MIME. */
const TAGGED_STREAMS: Readonly<Record<string, [string, string, string]>> = {
  MPCK: ["MPC", "mpc", "audio/x-musepack"],
  TTA1: ["TTA", "tta", "audio/x-tta"],
};

/** A type ExifTool does not read, told by its first bytes and read here. */
interface ReadHere {
  headLength: number;
  isHead(head: Buffer): boolean;
  type: string;
  extension: string;
  mime: string;
  readTags(bytes: ReadBytes, size: number): Promise<RawTags>;
}

const READ_HERE: readonly ReadHere[] = [
  { headLength: 16, isHead: isDsdiffHead, type: "DFF", extension: "dff", mime: "audio/x-dff", readTags: readDsdiffTags },
  { headLength: 12, isHead: isCafHead, type: "CAF", extension: "caf", mime: "audio/x-caf", readTags: readCafTags },
  { headLength: MIDI_HEADER, isHead: isMidiHead, type: "MIDI", extension: "mid", mime: "audio/midi", readTags: readMidiTags },
  { headLength: AU_HEADER, isHead: (head) => auHeaderOf(head) != null, type: "AU", extension: "au", mime: "audio/basic", readTags: readAuTags },
  annexB("h264", "H264", "video/h264"),
  annexB("hevc", "HEVC", "video/h265"),
  {
    headLength: 8,
    isHead: isDdsHead,
    type: "DDS",
    extension: "dds",
    mime: "image/vnd-ms.dds",
    readTags: async (bytes) => readDdsTags(await bytes(0, DDS_HEADER)),
  },
];

/** An H.264 or HEVC elementary stream, named `type` (annexb-fields.ts). */
function annexB(codec: SeiCodec, type: string, mime: string): ReadHere {
  return { headLength: ANNEXB_HEAD, isHead: (head) => annexBCodecOf(head) === codec, type, extension: codec, mime, readTags: (bytes, size) => readAnnexBTags(bytes, size, codec) };
}

/**
 * WavPack files of versions before 5 (stream versions 0x403-0x40f), which ExifTool reads as a WAV
 * by the header they store, never looking at the APEv2 tag they end with: it is read here.
 */
async function withWavPackApeTag(file: string, read: RawRead): Promise<RawRead> {
  if (Object.keys(read.tags).some((k) => k.startsWith("APE:"))) return read;
  const opened = new LazyFile(file);
  try {
    return { tags: { ...read.tags, ...(await readApeTag(opened.after(), await opened.size())) }, messages: read.messages };
  } finally {
    await opened.close();
  }
}

/**
 * A RIFF form ExifTool names no type of: a RIFF MIDI file (.rmi) is named, and the MIDI file in it
 * read here (rmid-fields.ts) besides the INFO list ExifTool reads.
 */
async function withRmidTags(file: string, read: RawRead, head?: Buffer): Promise<RawRead> {
  const opened = new LazyFile(file);
  try {
    const bytes = opened.after(head);
    if (!isRmidHead(await bytes(0, RMID_HEADER))) return read;
    const { tags, messages } = recognisedAs(read, RMID, "rmi", "audio/mid");
    return { tags: { ...tags, ...(await readRmidTags(bytes, await opened.size())) }, messages };
  } finally {
    await opened.close();
  }
}

/** The items of the APEv2 tag a file of `size` bytes ends with (before any ID3v1 tag, which ExifTool reads itself), named as ExifTool names them. */
async function readApeTag(bytes: ReadBytes, size: number): Promise<RawTags> {
  let end = size;
  if (end >= ID3V1 + 4) {
    const id3v1 = await bytes(end - ID3V1, ID3V1);
    if (id3v1.toString("latin1", 0, 3) === "TAG") end -= ID3V1;
  }
  if (end < APE_FOOTER + 4) return {};
  const footer = await bytes(end - APE_FOOTER, APE_FOOTER);
  const itemsSize = footer.readUInt32LE(12) - APE_FOOTER;
  if (footer.toString("latin1", 0, 8) !== "APETAGEX" || itemsSize < 0 || itemsSize > MAX_APE_TAG || itemsSize > end - APE_FOOTER - 4) return {};
  return apeTags(await bytes(end - APE_FOOTER - itemsSize, itemsSize), footer.readUInt32LE(16));
}

/**
 * What ExifTool's ICO module reads from a Targa picture's header (its type and a count of no
 * images), and its ID3 module's size of an ID3v1 tag that was the picture's bytes.
 */
const MISREAD_TAGS = new Set(["File:ImageType", "File:ImageCount", "File:ID3Size"]);

/** A read of a Targa picture as the type ExifTool took it for: only what it says of the file itself. */
function fileTagsOnly(read: RawRead): RawRead {
  return { tags: Object.fromEntries(Object.entries(read.tags).filter(([key]) => key.startsWith("File:") && !MISREAD_TAGS.has(key))), messages: [] };
}

/**
 * A read of a file ExifTool took for another type by a loose magic number (MP3, a transport
 * stream): what it says of the file, and the tags it read (an ID3v1 tag a tagger appended, which
 * stay in the report), without what it made of the type's own structure or its warnings about it
 * ("File doesn't begin with the start of a packet").
 */
function tagsOnly(read: RawRead): RawRead {
  if (read.tags["File:FileType"] == null) return read;
  const id3 = Object.entries(read.tags).filter(([key]) => key.startsWith("ID3:"));
  return { tags: { ...fileTagsOnly(read).tags, ...Object.fromEntries(id3) }, messages: [] };
}

/** A file opened on its first read, if any. */
class LazyFile {
  private handle: Promise<fsp.FileHandle> | null = null;

  constructor(private readonly path: string) {}

  private open(): Promise<fsp.FileHandle> {
    this.handle ??= fsp.open(this.path, "r");
    return this.handle;
  }

  async read(at: number, length: number): Promise<Buffer> {
    const { buffer, bytesRead } = await (await this.open()).read(Buffer.alloc(length), 0, length, at);
    return buffer.subarray(0, bytesRead);
  }

  /** Its bytes, read from `head` (the file's first bytes, when the caller has them) as far as it goes. */
  after(head?: Buffer): ReadBytes {
    return async (at, length) => (head != null && at + length <= head.length ? head.subarray(at, at + length) : this.read(at, length));
  }

  async size(): Promise<number> {
    return (await (await this.open()).stat()).size;
  }

  async close(): Promise<void> {
    if (this.handle != null) await (await this.handle).close();
  }
}

/** APEv2 items (https://wiki.hydrogenaud.io/index.php?title=APE_Tags_Header): size, flags, key, NUL, value. */
function apeTags(items: Buffer, count: number): RawTags {
  const tags: RawTags = {};
  let pos = 0;
  for (let i = 0; i < count && pos + 9 <= items.length; i++) {
    const length = items.readUInt32LE(pos);
    const flags = items.readUInt32LE(pos + 4);
    const keyEnd = items.indexOf(0, pos + 8);
    if (keyEnd < 0 || keyEnd + 1 + length > items.length) break;
    const key = items.toString("latin1", pos + 8, keyEnd);
    const value = items.subarray(keyEnd + 1, keyEnd + 1 + length);
    tags[`APE:${tagName(key)}`] = ((flags >> 1) & 3) === 1 ? `(Binary data ${length} bytes, use -b option to extract)` : value.toString("utf8");
    pos = keyEnd + 1 + length;
  }
  return tags;
}

/** A file starting with more ID3v2 tags than this is not looked at further. */
const MAX_ID3V2 = 4;

/** Where the ID3v2 tags a file may start with end (each: "ID3", version, flags, a 28-bit size, an optional footer). */
async function afterId3v2(bytes: ReadBytes): Promise<number> {
  let at = 0;
  for (let i = 0, head = await bytes(0, 10); i < MAX_ID3V2 && head.length === 10 && head.toString("latin1", 0, 3) === "ID3"; i++, head = await bytes(at, 10)) {
    if (head.subarray(6, 10).some((b) => b > 0x7f)) break;
    at += 10 + head.subarray(6, 10).reduce((n, b) => n * 128 + b, 0) + ((head[5]! & 0x10) !== 0 ? 10 : 0);
  }
  return at;
}

/** `read` as ExifTool would give it had it known the type: its File tags set, its "unknown file type" error dropped. */
function recognisedAs(read: RawRead, fileType: string, extension: string, mime: string): RawRead {
  const { ["ExifTool:Error"]: error, ...tags } = read.tags;
  return {
    tags: { ...tags, "File:FileType": fileType, "File:FileTypeExtension": extension, "File:MIMEType": mime },
    messages: read.messages.filter((m) => m !== error),
  };
}
