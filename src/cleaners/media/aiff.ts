import fsp from "node:fs/promises";
import { BadFileError } from "../errors.js";
import { FileBytes } from "../file-bytes.js";
import type { CleanContext, Cleaner } from "../types.js";
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
    const buf = await fsp.readFile(ctx.input);
    const { form, chunks } = await keptChunks(buf);
    const body = chunks.reduce((n, c) => n + c.length, 0);
    const header = Buffer.alloc(12);
    header.write("FORM", 0, "latin1");
    header.writeUInt32BE(4 + body, 4);
    header.write(form, 8, "latin1");
    const fh = await fsp.open(ctx.output, "wx");
    try {
      await fh.writev([header, ...chunks]);
    } finally {
      await fh.close();
    }
  },

  isStructural: anyOf(isMediaStructural, isAiffStructural),
};

async function keptChunks(buf: Buffer): Promise<{ form: string; chunks: Buffer[] }> {
  const form = buf.toString("latin1", 8, 12);
  if (buf.toString("latin1", 0, 4) !== "FORM" || (form !== "AIFF" && form !== "AIFC")) throw unreadable("it is not an AIFF form");
  const declared = buf.readUInt32BE(4) + 8;
  const end = declared > 8 && declared <= buf.length ? declared : buf.length;

  const kept: Buffer[] = [];
  const seen = new Set<string>();
  let pos = 12;
  while (pos + 8 <= end) {
    const id = buf.toString("latin1", pos, pos + 4);
    // A chunk that claims more than the form holds ends with it; `SSND` where chunks follow its samples.
    let size = buf.readUInt32BE(pos + 4);
    if (size > end - pos - 8) size = (id === "SSND" ? await samplesEnd(FileBytes.ofHead(buf, buf.length), pos + 8, end, true) : end) - pos - 8;
    if (KEPT_CHUNKS.has(id) && !seen.has(id)) {
      seen.add(id);
      kept.push(...chunk(id, buf.subarray(pos + 8, pos + 8 + size)));
    }
    pos += 8 + size + (size % 2);
  }
  if (!seen.has("COMM")) throw unreadable("it has no format chunk");
  // A file with no sample frames may lack SSND (the specification allows it).
  return { form, chunks: kept };
}

/** A chunk's pieces: header, data (not copied), and the pad byte IFF requires after an odd length. */
function chunk(id: string, data: Buffer): Buffer[] {
  const head = Buffer.alloc(8);
  head.write(id, 0, "latin1");
  head.writeUInt32BE(data.length, 4);
  return data.length % 2 === 1 ? [head, data, Buffer.alloc(1)] : [head, data];
}

function unreadable(why: string): BadFileError {
  return new BadFileError(`The AIFF file could not be read: ${why}.`);
}
