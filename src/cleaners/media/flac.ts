import fsp from "node:fs/promises";
import { BadFileError } from "../errors.js";
import type { CleanContext, Cleaner } from "../types.js";
import { endOfAudio, id3v2Length } from "./audio-tags.js";
import { isMediaStructural } from "./structural.js";

const STREAMINFO = 0;
const SEEKTABLE = 3;

/**
 * FLAC, by hand: the file is "fLaC", a chain of metadata blocks each stating its type and
 * length (https://xiph.org/flac/format.html#metadata_block), then the audio frames. Rewriting
 * the chain is exact and simpler than a remux, which would re-frame nothing but still rewrite
 * STREAMINFO and drop the seek table.
 *
 * Kept: STREAMINFO (required; it holds the decoder's parameters and the audio's MD5) and
 * SEEKTABLE (offsets into the frames, which do not move). Dropped: VORBIS_COMMENT (tags and the
 * encoder's vendor string; the block is optional in FLAC), PICTURE, APPLICATION, CUESHEET,
 * PADDING and reserved types, plus ID3v2 tags before "fLaC" and ID3v1/APE tags after the frames.
 */
export const flacCleaner: Cleaner = {
  name: "flac",
  fileTypes: ["FLAC"],

  async clean(ctx: CleanContext): Promise<void> {
    const buf = await fsp.readFile(ctx.input);
    const { kept, audioStart } = parse(buf);
    const audioEnd = endOfAudio(buf, audioStart);
    const blocks = kept.map((block, i) => withLastFlag(block, i === kept.length - 1));
    const fh = await fsp.open(ctx.output, "wx");
    try {
      await fh.writev([Buffer.from("fLaC", "latin1"), ...blocks, buf.subarray(audioStart, audioEnd)]);
    } finally {
      await fh.close();
    }
  },

  isStructural: isMediaStructural,
};

function parse(buf: Buffer): { kept: Buffer[]; audioStart: number } {
  let pos = 0;
  for (let tag = id3v2Length(buf, pos); tag > 0; tag = id3v2Length(buf, pos)) pos += tag;
  if (buf.toString("latin1", pos, pos + 4) !== "fLaC") throw unreadable("it does not start with a FLAC stream marker");
  pos += 4;
  const kept: Buffer[] = [];
  for (let last = false; !last; ) {
    if (pos + 4 > buf.length) throw unreadable("its metadata blocks run past the end of the file");
    const header = buf[pos]!;
    last = (header & 0x80) !== 0;
    const type = header & 0x7f;
    const length = buf.readUIntBE(pos + 1, 3);
    const end = pos + 4 + length;
    if (end > buf.length) throw unreadable("a metadata block runs past the end of the file");
    if (kept.length === 0 && (type !== STREAMINFO || length !== 34)) throw unreadable("its first block is not STREAMINFO");
    if (type === STREAMINFO || type === SEEKTABLE) kept.push(buf.subarray(pos, end));
    pos = end;
  }
  // Every frame starts with the 14-bit sync code 0b11111111111110.
  if (buf[pos] !== 0xff || ((buf[pos + 1] ?? 0) & 0xfe) !== 0xf8) throw unreadable("no audio frame follows its metadata");
  return { kept, audioStart: pos };
}

function withLastFlag(block: Buffer, last: boolean): Buffer {
  const copy = Buffer.from(block);
  copy[0] = (copy[0]! & 0x7f) | (last ? 0x80 : 0);
  return copy;
}

function unreadable(why: string): BadFileError {
  return new BadFileError(`The FLAC file could not be read: ${why}.`);
}
