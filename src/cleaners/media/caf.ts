import { CAF_CHUNK_HEADER, CAF_FILE_HEADER, isCafHead } from "../../metadata/caf-fields.js";
import { BadFileError, TooComplexError } from "../errors.js";
import { RangeWriter } from "../range-writer.js";
import type { CleanContext, Cleaner } from "../types.js";
import { blankCafAacText } from "./caf-aac.js";
import { isMediaStructural } from "./structural.js";

/**
 * Chunks that say how to play the sound, or are the sound (Apple's Core Audio Format
 * Specification): the audio description, the audio data, the packet table of variable-size
 * packets, the codec's magic cookie and the channel layout. Any other goes: the information chunk
 * (artist, title, recorded date, encoding application, comments), edit comments, markers,
 * regions and the strings naming them, the unique material identifier, a maker's `uuid` chunk,
 * overview and peak chunks (drawn from the sound, and stale once it is edited), an instrument's
 * or MIDI chunk (as a WAV's `smpl` and `inst` go), free space, and chunks of no known kind.
 */
const KEPT = new Set(["desc", "data", "pakt", "kuki", "chan"]);
/** The most top-level chunks walked (a real file has about six). */
const MAX_CHUNKS = 4096;
/** The audio data chunk starts with an edit count, which the copy sets to 0. */
const EDIT_COUNT = 4;

const damaged = (why: string): BadFileError => new BadFileError(`The CAF file is damaged: ${why}.`);

/**
 * Core Audio Format (.caf: GarageBand, Logic, afconvert, iOS apps' recordings), which ExifTool
 * does not read: the file header and the first chunk of each kind in `KEPT`, in their order, the
 * sound copied byte for byte a window at a time. The audio data's edit count becomes 0. A data
 * chunk whose size is unknown (-1, a recording never finished) runs to the end of the file and
 * stays last, as it must; one said to run past the end is refused as damaged. Bytes after the
 * last whole chunk (an ID3 tag a tagger appended) go. In AAC packets, the encoder's text is then
 * blanked in place (`caf-aac.ts`).
 */
export const cafCleaner: Cleaner = {
  name: "caf",
  fileTypes: ["CAF"],

  async clean(ctx: CleanContext) {
    await RangeWriter.rewrite(ctx.input, ctx.output, "wx", async (src, out) => {
      const head = await src.read(0, CAF_FILE_HEADER + CAF_CHUNK_HEADER);
      if (!isCafHead(head)) throw damaged("it does not start with a CAF header and audio description");
      out.bytes(Buffer.from(head.subarray(0, CAF_FILE_HEADER)));
      const seen = new Set<string>();
      for (let at = CAF_FILE_HEADER, count = 0; at + CAF_CHUNK_HEADER <= src.size; count++) {
        if (count === MAX_CHUNKS) throw new TooComplexError(`a CAF file of more than ${MAX_CHUNKS} chunks`);
        const h = await src.read(at, CAF_CHUNK_HEADER);
        const id = h.toString("latin1", 0, 4);
        const declared = h.readBigInt64BE(4);
        const whole = declared >= 0n && BigInt(at + CAF_CHUNK_HEADER) + declared <= BigInt(src.size);
        const open = id === "data" && declared === -1n;
        // Audio data said to run past the end would take in the chunks after it as sound.
        if (!whole && id === "data" && !open) throw damaged("its audio data chunk runs past the end of the file");
        // What follows the last whole chunk is no chunk (or one cut off): it goes.
        if (!whole && !open) break;
        const end = whole ? at + CAF_CHUNK_HEADER + Number(declared) : src.size;
        if (KEPT.has(id) && !seen.has(id)) {
          seen.add(id);
          if (id === "data") writeData(out, at, end, open);
          else out.copy(at, end);
        }
        at = end;
        if (out.full) await out.flush();
      }
      if (!seen.has("data")) throw damaged("it holds no audio data");
    });
    return { hidden: { aacText: await blankCafAacText(ctx.output) } };
  },

  isStructural: isMediaStructural,
};

/** The audio data chunk [at, end) with its edit count zeroed; its size unknown (-1) when it was. */
function writeData(out: RangeWriter, at: number, end: number, unknownSize: boolean): void {
  if (end - at < CAF_CHUNK_HEADER + EDIT_COUNT) throw damaged("its audio data chunk is cut off");
  const header = Buffer.alloc(CAF_CHUNK_HEADER + EDIT_COUNT);
  header.write("data", 0, "latin1");
  header.writeBigInt64BE(unknownSize ? -1n : BigInt(end - at - CAF_CHUNK_HEADER), 4);
  out.bytes(header);
  out.copy(at + CAF_CHUNK_HEADER + EDIT_COUNT, end);
}
