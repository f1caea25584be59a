import { BadFileError } from "../errors.js";
import type { FileBytes } from "../file-bytes.js";
import { RangeWriter } from "../range-writer.js";
import type { CleanContext, Cleaner } from "../types.js";
import { type KeptChunk, writeKeptChunks } from "./kept-chunks.js";
import { samplesEnd } from "./samples-end.js";
import { isMediaStructural } from "./structural.js";
import { anyOf, structuralTags } from "./structural-lists.js";

/**
 * The chunks a player needs: the format (`COMM`), the samples (`SSND`), AIFC's format version
 * (`FVER`, required there) and Apple's channel layout (`CHAN`, which speaker each channel feeds).
 */
const KEPT_CHUNKS = new Set(["COMM", "SSND", "FVER", "CHAN"]);

/** The only format version AIFC defines (ExifTool shows its timestamp as a date). */
const AIFC_VERSION_1 = "1990:05:23 14:40:00";

const isAiffStructural = structuralTags(
  // The compressor's name is part of `COMM` and names the sample encoding ("not compressed").
  { AIFF: ["NumChannels", "NumSampleFrames", "SampleSize", "SampleRate", "CompressionType", "CompressorName"] },
  { AIFF: { FormatVersionTime: [AIFC_VERSION_1] } },
);

/**
 * AIFF and AIFC, by hand: an IFF `FORM` of chunks that each state their id and length (Apple,
 * "Audio Interchange File Format" 1.3, and its AIFC draft), so keeping the chunks that make the
 * sound is exact.
 *
 * Kept, byte for byte: `COMM`, `SSND`, `FVER`, `CHAN`. Dropped: the text chunks `NAME`, `AUTH`,
 * `(c) `, `ANNO` and `COMT` (comments with timestamps), `ID3 ` tags, `MARK` and `INST` (cue
 * points and loops, edit state), `APPL` (application data), `MIDI`, `AESD`, and every other chunk,
 * plus anything after the `FORM`.
 */
export const aiffCleaner: Cleaner = {
  name: "aiff",
  fileTypes: ["AIFF", "AIFC"],

  async clean(ctx: CleanContext): Promise<void> {
    await RangeWriter.rewrite(ctx.input, ctx.output, "wx", async (src, out) => {
      const { form, chunks } = await keptChunks(src);
      writeKeptChunks(out, "FORM", form, chunks);
    });
  },

  isStructural: anyOf(isMediaStructural, isAiffStructural),
};

async function keptChunks(src: FileBytes): Promise<{ form: string; chunks: KeptChunk[] }> {
  const head = await src.read(0, 12);
  const form = head.toString("latin1", 8, 12);
  if (head.length < 12 || head.toString("latin1", 0, 4) !== "FORM" || (form !== "AIFF" && form !== "AIFC")) throw unreadable("it is not an AIFF form");
  const declared = head.readUInt32BE(4) + 8;
  const end = declared > 8 && declared <= src.size ? declared : src.size;

  const kept: KeptChunk[] = [];
  const seen = new Set<string>();
  let pos = 12;
  while (pos + 8 <= end) {
    const chunk = src.peek(pos, 8) ?? (await src.read(pos, 8));
    const id = chunk.toString("latin1", 0, 4);
    // A chunk that claims more than the form holds ends with it; `SSND` where chunks follow its samples.
    let size = chunk.readUInt32BE(4);
    if (size > end - pos - 8) size = (id === "SSND" ? await samplesEnd(src, pos + 8, end, true) : end) - pos - 8;
    if (KEPT_CHUNKS.has(id) && !seen.has(id)) {
      seen.add(id);
      kept.push({ id, at: pos + 8, size });
    }
    pos += 8 + size + (size % 2);
  }
  if (!seen.has("COMM")) throw unreadable("it has no format chunk");
  // A file with no sample frames may lack SSND (the specification allows it).
  return { form, chunks: kept };
}

function unreadable(why: string): BadFileError {
  return new BadFileError(`The AIFF file could not be read: ${why}.`);
}
