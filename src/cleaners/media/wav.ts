import { BadFileError, UnsupportedTypeError } from "../errors.js";
import type { FileBytes } from "../file-bytes.js";
import { RangeWriter } from "../range-writer.js";
import type { CleanContext, Cleaner } from "../types.js";
import { isMediaStructural } from "./structural.js";
import { type KeptChunk, writeKeptChunks } from "./kept-chunks.js";
import { samplesEnd } from "./samples-end.js";
import { FACT_SIZE, formatLength, WAVEFORMATEX_SIZE } from "./wav-format.js";

/** The chunks a player needs: the format, the sample count of compressed formats, the samples. */
const KEPT_CHUNKS = new Set(["fmt ", "fact", "data"]);

/**
 * WAV, by hand: a RIFF file is a list of chunks, each with an id and a length
 * (https://www.mmsp.ece.mcgill.ca/Documents/AudioFormats/WAVE/WAVE.html), so keeping only the
 * chunks that make the sound is exact; ffmpeg's WAV muxer would re-derive the format chunk.
 *
 * Kept: `data` byte for byte, `fmt ` up to the end of what its format reads, and `fact`'s sample count (Microsoft ADPCM, GSM, A-law...:
 * every format but PCM writes one). Dropped: `LIST` (INFO tags, adtl labels), `bext`
 * (broadcast description, originator, dates), `id3 `/`ID3 `, `iXML`, `axml`, `_PMX` (XMP),
 * `cue `, `smpl`, `DISP`, `JUNK`/`PAD ` and every other chunk, and bytes after the RIFF form.
 */
export const wavCleaner: Cleaner = {
  name: "wav",
  fileTypes: ["WAV"],

  async clean(ctx: CleanContext): Promise<void> {
    await RangeWriter.rewrite(ctx.input, ctx.output, "wx", async (src, out) => writeKeptChunks(out, "RIFF", "WAVE", await keptChunks(src)));
  },

  isStructural: isMediaStructural,
};

async function keptChunks(src: FileBytes): Promise<KeptChunk[]> {
  const head = await src.read(0, 12);
  const form = head.toString("latin1", 0, 4);
  if (form === "RF64" || form === "BW64") throw new UnsupportedTypeError(`${form} WAV`);
  if (head.length < 12 || form !== "RIFF" || head.toString("latin1", 8, 12) !== "WAVE") throw unreadable("it is not a RIFF WAVE file");
  // A RIFF size of 0 or past the end comes from recorders that never finished the file.
  const declared = head.readUInt32LE(4) + 8;
  const end = declared > 8 && declared <= src.size ? declared : src.size;

  const kept: KeptChunk[] = [];
  const seen = new Set<string>();
  let pos = 12;
  while (pos + 8 <= end) {
    const chunk = src.peek(pos, 8) ?? (await src.read(pos, 8));
    const id = chunk.toString("latin1", 0, 4);
    // A chunk that claims more than the form holds ends with it; `data` where chunks follow its samples.
    let size = chunk.readUInt32LE(4);
    if (size > end - pos - 8) size = (id === "data" ? await samplesEnd(src, pos + 8, end, false) : end) - pos - 8;
    if (KEPT_CHUNKS.has(id) && !seen.has(id)) {
      if (id === "data" && !seen.has("fmt ")) throw unreadable("its samples come before their format");
      seen.add(id);
      const length = id === "fact" ? Math.min(size, FACT_SIZE) : id === "fmt " ? formatLength(await src.read(pos + 8, Math.min(size, WAVEFORMATEX_SIZE)), size) : size;
      kept.push({ id, at: pos + 8, size: length });
    }
    pos += 8 + size + (size % 2);
  }
  if (!seen.has("fmt ") || !seen.has("data")) throw unreadable("it has no format or no sample data");
  return kept;
}

function unreadable(why: string): BadFileError {
  return new BadFileError(`The WAV file could not be read: ${why}.`);
}
