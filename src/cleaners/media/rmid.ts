import { RIFF_CHUNK_HEADER, RMID, RMID_HEADER, type RiffChunk, isRmidHead, rmidChunks } from "../../metadata/rmid-fields.js";
import { BadFileError, UnsupportedTypeError } from "../errors.js";
import type { FileBytes } from "../file-bytes.js";
import { RangeWriter } from "../range-writer.js";
import type { CleanContext, Cleaner } from "../types.js";
import { checkMusic, writeCleanMidi } from "./midi.js";
import { isMediaStructural } from "./structural.js";

const damaged = (why: string): BadFileError => new BadFileError(`The RIFF MIDI file is damaged: ${why}.`);

/**
 * RIFF MIDI files (.rmi: a Standard MIDI File in a RIFF form of type "RMID", as Windows and some
 * sequencers save them). The copy is the form with its `data` chunk alone, the MIDI file in it
 * cleaned as a .mid is (midi.ts); the INFO list (title, copyright, software), a DISP chunk and any
 * other chunk go. Instruments of its own (a DLS collection) would be part of how it sounds, with
 * names and INFO lists of their own inside, and offsets a copy without those would have to redo:
 * such a file is not supported.
 */
export const rmidCleaner: Cleaner = {
  name: "rmid",
  fileTypes: [RMID],

  async clean(ctx: CleanContext): Promise<void> {
    const music = await RangeWriter.rewrite(ctx.input, ctx.output, "wx", async (src, out) => {
      const smf = await midiChunk(src);
      const head = Buffer.alloc(RMID_HEADER + RIFF_CHUNK_HEADER);
      head.write("RIFFsizeRMIDdata", 0, "latin1");
      out.bytes(head);
      const digest = await writeCleanMidi(src, out, smf.at, smf.at + smf.size);
      const size = out.length - head.length;
      if (size % 2 === 1) out.bytes(Buffer.alloc(1));
      await out.patch(4, le32(out.length - RIFF_CHUNK_HEADER));
      await out.patch(RMID_HEADER + 4, le32(size));
      return digest;
    });
    ctx.outputFinal();
    await checkMusic(ctx.output, music, async (copy) => {
      const smf = await midiChunk(copy);
      return { start: smf.at, end: smf.at + smf.size };
    });
  },

  isStructural: isMediaStructural,
};

/** The form's `data` chunk: the MIDI file. */
async function midiChunk(src: FileBytes): Promise<RiffChunk> {
  if (!isRmidHead(await src.read(0, RMID_HEADER))) throw damaged("it does not start with a RIFF form of type RMID");
  const chunks = await rmidChunks((at, length) => src.read(at, length), src.size);
  if (chunks.some((c) => c.id === "RIFF" && c.form === "DLS ")) throw new UnsupportedTypeError("RIFF MIDI with its own DLS instruments");
  const smf = chunks.find((c) => c.id === "data");
  if (smf == null) throw damaged("it holds no whole data chunk");
  return smf;
}

function le32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return b;
}
