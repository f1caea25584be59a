import crypto from "node:crypto";
import { BadFileError, TooComplexError } from "../errors.js";
import { type FileBytes, WINDOW } from "../file-bytes.js";
import type { RangeWriter } from "../range-writer.js";
import { blankAll, blankChunks, WRONG_LENGTH } from "./stored-wav.js";

/** Monkey's Audio format flag: the original WAV header is not stored (a standard one is made). */
const CREATE_WAV_HEADER = 32;
const HAS_PEAK_LEVEL = 4;
const HAS_SEEK_ELEMENTS = 16;

/** The most of the stream's headers and seek table, or of the stored WAV header or trailer, held in memory. */
const MAX_REGION = 16 * 1024 * 1024;

/**
 * Monkey's Audio keeps the header and the trailer of the WAV file it was made from, to give it
 * back whole on decompression: a WAV's `LIST` INFO tags, `bext` description or `id3 ` chunk are
 * stored there verbatim. This writes the stream [start, end) of `src` (from its "MAC ") to `out`
 * with them blanked: each such chunk becomes a `JUNK` chunk of the same length full of zeros, the
 * trailer one `JUNK` chunk, so no offset moves and a decompressed WAV still parses. Only the
 * headers, seek table, stored header and trailer are held in memory; the frames are copied (and
 * hashed) a window at a time.
 *
 * Bytes after the stream's end as its descriptor states it, before the tags found after it, are
 * no part of it: a tag whose end was cut off or damaged, which no tag search finds. They are left
 * out.
 *
 * The file's MD5 covers those bytes; it is brought up to date when it was right to begin with
 * (WAV data, frames and trailer, then the header and seek table, for version 3.98 and later).
 */
export async function writeApeStream(src: FileBytes, out: RangeWriter, start: number, end: number): Promise<void> {
  const layout = locate(await src.read(start, Math.min(end - start, 52)), end - start);
  if (layout == null) return out.copy(start, end);
  const region = async (from: number, length: number): Promise<Buffer> => {
    if (length > MAX_REGION) throw new TooComplexError(`a Monkey's Audio header region of ${length} bytes`);
    return Buffer.from(await src.read(start + from, length));
  };
  const headers = await region(0, layout.header);
  // A seek table's length that was damaged puts the stored header somewhere in the seek table or the frames.
  if (layout.totalFrames != null && headers.readUInt32LE(layout.totalFrames) * 4 > layout.seekTable[1] - layout.seekTable[0]) throw damaged("its seek table is shorter than its frames");
  const wavHeader = await region(layout.header, layout.headerLength);
  const trailer = await region(layout.trailer, layout.trailerLength);
  const frames: [number, number] = [start + layout.header + layout.headerLength, start + layout.trailer];
  const blankedHeader = Buffer.from(wavHeader);
  const wrong = blankChunks(blankedHeader) ?? (await wavHeaderInFrames(src, frames));
  if (wrong != null) throw damaged(wrong);
  const blankedTrailer = Buffer.from(trailer);
  blankAll(blankedTrailer);
  if (layout.md5 != null) {
    const was = crypto.createHash("md5").update(wavHeader);
    const now = crypto.createHash("md5").update(blankedHeader);
    const scratch = Buffer.allocUnsafe(WINDOW);
    for (let at = frames[0]; at < frames[1]; at += WINDOW) {
      const { bytes } = await src.slice(at, Math.min(WINDOW, frames[1] - at), scratch);
      was.update(bytes);
      now.update(bytes);
    }
    was.update(trailer);
    now.update(blankedTrailer);
    for (const h of [was, now]) h.update(headers.subarray(...layout.apeHeader)).update(headers.subarray(...layout.seekTable));
    if (was.digest().equals(headers.subarray(layout.md5, layout.md5 + 16))) now.digest().copy(headers, layout.md5);
  }
  out.bytes(headers);
  out.bytes(blankedHeader);
  out.copy(...frames);
  out.bytes(blankedTrailer);
}

interface Layout {
  header: number;
  headerLength: number;
  trailer: number;
  trailerLength: number;
  /** Where the MD5 is, when the version has one, and what it covers. */
  md5: number | null;
  apeHeader: [number, number];
  seekTable: [number, number];
  /** Where the APE header's count of frames is (version 3.98 and later), each of which has an entry in the seek table. */
  totalFrames: number | null;
}

/** Where the parts of a stream of `length` bytes are, from its first bytes `s` (offsets from its "MAC "); null for one too short to have headers. */
function locate(s: Buffer, length: number): Layout | null {
  if (s.length < 32) return null;
  const version = s.readUInt16LE(4);
  if (version >= 3980) {
    if (s.length < 52) return null;
    const descriptor = s.readUInt32LE(8);
    const apeHeader = s.readUInt32LE(12);
    const seekTable = s.readUInt32LE(16);
    const header = descriptor + apeHeader + seekTable;
    const headerLength = s.readUInt32LE(20);
    const frames = s.readUInt32LE(24) + s.readUInt32LE(28) * 2 ** 32;
    const trailerLength = s.readUInt32LE(32);
    // The descriptor's fields run to 52 (its MD5 last), the APE header's to 24: shorter ones overlap what follows.
    if (descriptor < 52 || apeHeader < 24) throw damaged("its headers are shorter than their fields");
    // A stream cut short, or whose frames' length is damaged, has its stored WAV trailer nowhere
    // that can be told: refused, as much as one whose stored header runs past its end.
    const trailer = header + headerLength + frames;
    fits(trailer + trailerLength, length);
    return {
      header, headerLength, trailer, trailerLength, md5: 36,
      apeHeader: [descriptor, descriptor + apeHeader], seekTable: [descriptor + apeHeader, header], totalFrames: descriptor + 12,
    };
  }
  const flags = s.readUInt16LE(8);
  const header = 32 + ((flags & HAS_PEAK_LEVEL) !== 0 ? 4 : 0) + ((flags & HAS_SEEK_ELEMENTS) !== 0 ? 4 : 0);
  const headerLength = (flags & CREATE_WAV_HEADER) !== 0 ? 0 : s.readUInt32LE(16);
  const trailerLength = s.readUInt32LE(20);
  fits(header + headerLength + trailerLength, length);
  return { header, headerLength, trailer: length - trailerLength, trailerLength, md5: null, apeHeader: [0, 0], seekTable: [0, 0], totalFrames: null };
}

/**
 * The headers, the stored WAV header and trailer must lie within the stream: copied as they are,
 * the WAV's tags stored in them would go back with it.
 */
function fits(needed: number, length: number): void {
  if (needed > length) throw damaged("its frames or the WAV header and trailer it stores run past its end");
}

function damaged(why: string): BadFileError {
  return new BadFileError(`The Monkey's Audio file is damaged: ${why}.`);
}

/**
 * The damage when the stored WAV header, or part of it, lies among the frames [from, to), where it
 * would be copied as it is, or null:
 * - "RIFF" where the frames start: the stored header's length was damaged, and the rest of the
 *   WAV's header (its tags) follows it;
 * - a WAV header ("RIFF", a size, "WAVE") within their first 64 KiB: the stream's fields were read
 *   by the wrong layout (a version with a bit flipped reads it as one from before 3.98, whose flags
 *   then say no header is stored).
 */
async function wavHeaderInFrames(src: FileBytes, [from, to]: [number, number]): Promise<string | null> {
  // At least the 4 bytes the first check has always read, even where the frames are shorter.
  const head = await src.read(from, Math.max(4, Math.min(to - from, 64 * 1024)));
  if (head.toString("latin1", 0, 4) === "RIFF") return WRONG_LENGTH;
  for (let at = head.indexOf("RIFF", 0, "latin1"); at >= 0 && at + 12 <= head.length; at = head.indexOf("RIFF", at + 1, "latin1")) {
    if (head.toString("latin1", at + 8, at + 12) === "WAVE") return "a WAV header lies among its frames";
  }
  return null;
}
