import { BadFileError, TooComplexError } from "../errors.js";
import type { FileBytes } from "../file-bytes.js";
import { RangeWriter } from "../range-writer.js";
import type { CleanContext, Cleaner } from "../types.js";
import { endOfAudio, id3v2Length } from "./audio-tags.js";
import { blankAll, blankChunks } from "./stored-wav.js";
import { isMediaStructural } from "./structural.js";

/** A block's header (WavPack 5 file format, "Block header"): "wvpk", the size after those 8 bytes, then numbers. */
const BLOCK_HEADER = 32;

/** Bits of a metadata sub-block's id byte (WavPack 5 file format, "Metadata sub-blocks"). */
const FUNCTION = 0x3f;
const OPTIONAL = 0x20;
const ODD_SIZE = 0x40;
const LARGE = 0x80;

/**
 * Sub-blocks the decoder reads the sound from, each numbers or coded samples: the encoder's
 * settings, decorrelation terms, weights and samples, entropy variables, the hybrid profile,
 * noise shaping, float and 32-bit integer details, the bitstreams, channel and DSD details; then
 * the optional ones of the same kind: configuration, the audio's MD5, a non-standard sample
 * rate, the MD5 of the audio in its original format, the new configuration, channel identities
 * and the extended-precision bitstream.
 */
const DECODING = new Set([0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x25, 0x26, 0x27, 0x29, 0x2a, 0x2b, 0x2c]);
/** The original file's extension ("wav", "aiff", "dsf"), which names the file a decoder restores. */
const ALT_EXTENSION = 0x28;
/** A checksum of the block's bytes before it, brought up to date when the block changes. */
const BLOCK_CHECKSUM = 0x2f;
/** What an extension may be to be kept: anything else in that sub-block could carry anything. */
const EXTENSION = /^[A-Za-z0-9]{1,8}$/;
/** The header and the trailer of the WAV file the sound was made from, stored as they were. */
const RIFF_HEADER = 0x21;
const RIFF_TRAILER = 0x22;

/** The most of one block held in memory to rewrite it (WavPack's own blocks stay under 1 MiB). */
const MAX_BLOCK = 16 * 1024 * 1024;
/** The most sub-blocks one block may hold (the encoder writes about ten): each is looked at and listed. */
const MAX_SUB_BLOCKS = 1024;

const damaged = (why: string): BadFileError => new BadFileError(`The WavPack file is damaged: ${why}.`);

interface SubBlock {
  at: number;
  end: number;
  id: number;
}

/** What becomes of a sub-block in the copy: kept as it is, left out, or kept with its WAV chunks blanked. */
type Fate = "keep" | "drop" | "blank";

/**
 * WavPack (.wv): a run of "wvpk" blocks of coded sound, then APEv2 or ID3v1 tags (title, artist,
 * cover), which are cut off whole (audio-tags.ts). Inside the blocks, the encoder keeps the header
 * and trailer of the file it was made from, to give it back whole on decompression:
 * - a WAV's, with its `LIST` INFO tags, `bext` description or `id3 ` chunk: those chunks are
 *   blanked in place (stored-wav.ts), as for Monkey's Audio. ExifTool reads that header to
 *   recognise files of WavPack's versions before 5, so it stays;
 * - another format's (WavPack 5): an AIFF's name, author and comments, a Core Audio file's
 *   information chunk, a DSF's ID3 tag. Those sub-blocks are left out; a decoder then writes a
 *   fresh header of the same format.
 * Padding and optional sub-blocks of kinds no decoder reads are left out too. What is kept is the
 * allow-list above, byte for byte; only a block that changes is rebuilt (its size and its
 * checksum), every other block is copied as it is, a window at a time.
 */
export const wavPackCleaner: Cleaner = {
  name: "wavpack",
  fileTypes: ["WV"],

  async clean(ctx: CleanContext): Promise<void> {
    await RangeWriter.rewrite(ctx.input, ctx.output, "wx", async (src, out) => {
      let start = 0;
      for (let tag = await id3v2Length(src, start); tag > 0; tag = await id3v2Length(src, start)) start += tag;
      const end = await endOfAudio(src, start);
      for (let at = start; at < end; ) {
        const head = await src.read(at, BLOCK_HEADER);
        if (head.length < BLOCK_HEADER || head.toString("latin1", 0, 4) !== "wvpk") {
          throw at === start ? new BadFileError("The WavPack file could not be read: no WavPack block starts after its tags.") : damaged("a block does not start where the one before it ends");
        }
        const blockEnd = at + 8 + head.readUInt32LE(4);
        if (blockEnd < at + BLOCK_HEADER || blockEnd > end) throw damaged("a block runs past the end of its sound");
        const subBlocks = [];
        for (const s of await walk(src, at + BLOCK_HEADER, blockEnd)) subBlocks.push({ ...s, fate: await fate(src, s) });
        if (subBlocks.every((s) => s.fate === "keep")) out.copy(at, blockEnd);
        else out.bytes(await rebuild(src, head, subBlocks));
        if (out.full) await out.flush();
        at = blockEnd;
      }
    });
  },

  isStructural: isMediaStructural,
};

/** The sub-blocks of a block's body [at, end), each of which must end within it. */
async function walk(src: FileBytes, at: number, end: number): Promise<SubBlock[]> {
  const found: SubBlock[] = [];
  while (at < end) {
    const h = src.peek(at, 4) ?? (await src.read(at, 4));
    const id = h[0]!;
    const large = (id & LARGE) !== 0;
    if (at + (large ? 4 : 2) > end) throw damaged("a block ends inside a sub-block's header");
    const words = large ? h[1]! + (h[2]! << 8) + (h[3]! << 16) : h[1]!;
    const next = at + (large ? 4 : 2) + words * 2;
    if (next > end) throw damaged("a sub-block runs past the end of its block");
    if ((id & OPTIONAL) === 0 && !DECODING.has(id & FUNCTION) && (id & FUNCTION) !== 0) throw damaged("a block holds data of a kind no WavPack decoder reads");
    if (found.length === MAX_SUB_BLOCKS) throw new TooComplexError(`a WavPack block of more than ${MAX_SUB_BLOCKS} sub-blocks`);
    found.push({ at, end: next, id: id & FUNCTION });
    at = next;
  }
  return found;
}

/** What becomes of a sub-block: the decoder's own and a plain extension are kept, the block checksum too (recomputed). */
async function fate(src: FileBytes, s: SubBlock): Promise<Fate> {
  if (DECODING.has(s.id) || s.id === BLOCK_CHECKSUM) return "keep";
  if (s.id === RIFF_HEADER || s.id === RIFF_TRAILER) return "blank";
  if (s.id !== ALT_EXTENSION || s.end - s.at > 12) return "drop";
  return EXTENSION.test((await body(src, s)).toString("latin1")) ? "keep" : "drop";
}

/** Where a sub-block's data lies in its bytes `b`: after its id and size, before the byte that pads an odd size. */
function dataOf(b: Buffer): Buffer {
  return b.subarray((b[0]! & LARGE) !== 0 ? 4 : 2, b.length - ((b[0]! & ODD_SIZE) !== 0 ? 1 : 0));
}

async function body(src: FileBytes, s: SubBlock): Promise<Buffer> {
  return dataOf(await src.read(s.at, s.end - s.at));
}

/** The block of header `head` with its sub-blocks' fates carried out: its size and its checksum say so. */
async function rebuild(src: FileBytes, head: Buffer, subBlocks: ReadonlyArray<SubBlock & { fate: Fate }>): Promise<Buffer> {
  const kept = subBlocks.filter((s) => s.fate !== "drop");
  const length = kept.reduce((n, s) => n + s.end - s.at, BLOCK_HEADER);
  if (length > MAX_BLOCK) throw new TooComplexError(`a WavPack block of ${length} bytes`);
  const block = Buffer.alloc(length);
  head.copy(block, 0, 0, BLOCK_HEADER);
  block.writeUInt32LE(length - 8, 4);
  let at = BLOCK_HEADER;
  for (const s of kept) {
    const sub = block.subarray(at, at + s.end - s.at);
    (await src.read(s.at, s.end - s.at)).copy(sub);
    if (s.id === BLOCK_CHECKSUM) writeChecksum(block, at);
    else if (s.id === RIFF_HEADER) {
      const wrong = blankChunks(dataOf(sub));
      if (wrong != null) throw damaged(wrong);
    } else if (s.id === RIFF_TRAILER) blankAll(dataOf(sub));
    at += sub.length;
  }
  return block;
}

/**
 * Brings the checksum sub-block at `at` of `block` up to date with the bytes before it, as
 * WavPack's decoder checks it: a 32-bit sum over 16-bit little-endian words, each step times
 * three, folded to 16 bits when the sub-block holds two bytes.
 */
function writeChecksum(block: Buffer, at: number): void {
  const size = block[at + 1]! * 2;
  if ((block[at]! & (LARGE | ODD_SIZE)) !== 0 || (size !== 2 && size !== 4)) throw damaged("a block's checksum is not two or four bytes");
  let sum = 0xffffffff;
  for (let i = 0; i + 1 < at; i += 2) sum = (Math.imul(sum, 3) + block[i]! + (block[i + 1]! << 8)) >>> 0;
  if (size === 4) block.writeUInt32LE(sum, at + 2);
  else block.writeUInt16LE((sum ^ (sum >>> 16)) & 0xffff, at + 2);
}
