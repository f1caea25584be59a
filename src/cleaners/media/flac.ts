import { BadFileError } from "../errors.js";
import type { FileBytes } from "../file-bytes.js";
import { RangeWriter } from "../range-writer.js";
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
    await RangeWriter.rewrite(ctx.input, ctx.output, "wx", async (src, out) => {
      out.bytes(Buffer.from("fLaC", "latin1"));
      const audioStart = await copyBlocks(src, out);
      out.copy(audioStart, await endOfAudio(src, audioStart));
    });
  },

  isStructural: isMediaStructural,
};

/**
 * Copies the kept metadata blocks (the last one flagged as last) and returns where the audio
 * frames start. A kept block is written once the next is found, when its flag is known.
 */
async function copyBlocks(src: FileBytes, out: RangeWriter): Promise<number> {
  let pos = 0;
  for (let tag = await id3v2Length(src, pos); tag > 0; tag = await id3v2Length(src, pos)) pos += tag;
  if ((await src.read(pos, 4)).toString("latin1") !== "fLaC") throw unreadable("it does not start with a FLAC stream marker");
  pos += 4;
  let held: { header: number; from: number; to: number } | undefined;
  const write = (last: boolean): void => {
    if (held == null) return;
    out.bytes(Buffer.from([(held.header & 0x7f) | (last ? 0x80 : 0)]));
    out.copy(held.from, held.to);
  };
  let blocks = 0;
  for (let last = false; !last; ) {
    if (pos + 4 > src.size) throw unreadable("its metadata blocks run past the end of the file");
    const head = src.peek(pos, 4) ?? (await src.read(pos, 4));
    const header = head[0]!;
    last = (header & 0x80) !== 0;
    const type = header & 0x7f;
    const length = head.readUIntBE(1, 3);
    const end = pos + 4 + length;
    if (end > src.size) throw unreadable("a metadata block runs past the end of the file");
    if (blocks++ === 0 && (type !== STREAMINFO || length !== 34)) throw unreadable("its first block is not STREAMINFO");
    if (type === STREAMINFO || type === SEEKTABLE) {
      write(false);
      held = { header, from: pos + 1, to: end };
    }
    if (out.full) await out.flush();
    pos = end;
  }
  write(true);
  // Every frame starts with the 14-bit sync code 0b11111111111110.
  const sync = await src.read(pos, 2);
  if (sync[0] !== 0xff || ((sync[1] ?? 0) & 0xfe) !== 0xf8) throw unreadable("no audio frame follows its metadata");
  return pos;
}

function unreadable(why: string): BadFileError {
  return new BadFileError(`The FLAC file could not be read: ${why}.`);
}
