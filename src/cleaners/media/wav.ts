import fsp from "node:fs/promises";
import { BadFileError, UnsupportedTypeError } from "../errors.js";
import type { CleanContext, Cleaner } from "../types.js";
import { isMediaStructural } from "./structural.js";

/** The chunks a player needs: the format, the sample count of compressed formats, the samples. */
const KEPT_CHUNKS = new Set(["fmt ", "fact", "data"]);

/**
 * WAV, by hand: a RIFF file is a list of chunks, each with an id and a length
 * (https://www.mmsp.ece.mcgill.ca/Documents/AudioFormats/WAVE/WAVE.html), so keeping only the
 * chunks that make the sound is exact; ffmpeg's WAV muxer would re-derive the format chunk.
 *
 * Kept: `fmt `, `fact`, `data`, byte for byte. Dropped: `LIST` (INFO tags, adtl labels), `bext`
 * (broadcast description, originator, dates), `id3 `/`ID3 `, `iXML`, `axml`, `_PMX` (XMP),
 * `cue `, `smpl`, `DISP`, `JUNK`/`PAD ` and every other chunk, and bytes after the RIFF form.
 */
export const wavCleaner: Cleaner = {
  name: "wav",
  fileTypes: ["WAV"],

  async clean(ctx: CleanContext): Promise<void> {
    const buf = await fsp.readFile(ctx.input);
    const chunks = keptChunks(buf);
    const body = chunks.reduce((n, c) => n + c.length, 0);
    const header = Buffer.alloc(12);
    header.write("RIFF", 0, "latin1");
    header.writeUInt32LE(4 + body, 4);
    header.write("WAVE", 8, "latin1");
    const fh = await fsp.open(ctx.output, "wx");
    try {
      await fh.writev([header, ...chunks]);
    } finally {
      await fh.close();
    }
  },

  isStructural: isMediaStructural,
};

function keptChunks(buf: Buffer): Buffer[] {
  const form = buf.toString("latin1", 0, 4);
  if (form === "RF64" || form === "BW64") throw new UnsupportedTypeError(`${form} WAV`);
  if (form !== "RIFF" || buf.toString("latin1", 8, 12) !== "WAVE") throw unreadable("it is not a RIFF WAVE file");
  // A RIFF size of 0 or past the end comes from recorders that never finished the file.
  const declared = buf.readUInt32LE(4) + 8;
  const end = declared > 8 && declared <= buf.length ? declared : buf.length;

  const kept: Buffer[] = [];
  const seen = new Set<string>();
  let pos = 12;
  while (pos + 8 <= end) {
    const id = buf.toString("latin1", pos, pos + 4);
    const declaredSize = buf.readUInt32LE(pos + 4);
    // Same for a `data` chunk whose size was never filled in: it runs to the end of the file.
    const size = Math.min(declaredSize, end - pos - 8);
    if (KEPT_CHUNKS.has(id) && !seen.has(id)) {
      if (id === "data" && !seen.has("fmt ")) throw unreadable("its samples come before their format");
      seen.add(id);
      kept.push(...chunk(id, buf.subarray(pos + 8, pos + 8 + size)));
    }
    pos += 8 + size + (size % 2);
  }
  if (!seen.has("fmt ") || !seen.has("data")) throw unreadable("it has no format or no sample data");
  return kept;
}

/** A chunk's pieces: its header, its data (not copied) and the pad byte RIFF requires after an odd length. */
function chunk(id: string, data: Buffer): Buffer[] {
  const head = Buffer.alloc(8);
  head.write(id, 0, "latin1");
  head.writeUInt32LE(data.length, 4);
  return data.length % 2 === 1 ? [head, data, Buffer.alloc(1)] : [head, data];
}

function unreadable(why: string): BadFileError {
  return new BadFileError(`The WAV file could not be read: ${why}.`);
}
