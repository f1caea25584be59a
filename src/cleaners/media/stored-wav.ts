import { FACT_SIZE, formatLength } from "./wav-format.js";

/*
 * Lossless audio coders (Monkey's Audio, WavPack) keep the header and the trailer of the WAV file
 * they were made from, to give it back whole on decompression: a WAV's `LIST` INFO tags, `bext`
 * description or `id3 ` chunk are stored there verbatim. These blank them in place, so no offset
 * moves and a decompressed WAV still parses.
 */

export const WRONG_LENGTH = "the length of the WAV header it stores is wrong";

/**
 * The other containers whose header those store (RF64 and Broadcast Wave 64, Sony Wave64, AIFF,
 * Core Audio), blanked whole: a stored header starting otherwise is not where the file's headers
 * say (their lengths are damaged), and the WAV's tags may lie elsewhere.
 */
const OTHER_CONTAINERS: ReadonlySet<string> = new Set(["RF64", "BW64", "riff", "FORM", "caff"]);

/** Chunks of a WAV header that say how to play the samples; any other is blanked. */
const FORMAT_CHUNKS = new Set(["fmt ", "fact", "data"]);

/**
 * The WAV formats those compress (integer PCM, IEEE float, and either in a WAVE_FORMAT_EXTENSIBLE):
 * another in its stored header is damage, whose extension, read by a length of no meaning, could
 * hold anything.
 */
const SAMPLE_FORMATS: ReadonlySet<number> = new Set([1, 3, 0xfffe]);

/**
 * Walks the RIFF chunks of a stored WAV header, blanking all but the format ones and what those
 * hold past their fields. Gives the damage when the header does not end where its data chunk's
 * header does, as a whole one does (its length is wrong), or names a format the file's coder does
 * not compress, or does not start as any header it stores does; null otherwise. The header of
 * another container is blanked whole.
 */
export function blankChunks(h: Buffer): string | null {
  if (h.length === 0) return null;
  const magic = h.toString("latin1", 0, 4);
  if (magic !== "RIFF" && !OTHER_CONTAINERS.has(magic)) return "the WAV header it stores is not where its headers say";
  if (magic !== "RIFF" || h.length < 12) {
    blankAll(h);
    return null;
  }
  let pos = 12;
  while (pos + 8 <= h.length) {
    const id = h.toString("latin1", pos, pos + 4);
    // The data chunk's header ends the stored header; its size names the samples, not bytes here.
    if (id === "data") return pos + 8 === h.length ? null : WRONG_LENGTH;
    const size = Math.min(h.readUInt32LE(pos + 4), h.length - pos - 8);
    if (!FORMAT_CHUNKS.has(id)) {
      h.write("JUNK", pos, "latin1");
      h.fill(0, pos + 8, pos + 8 + size);
    } else {
      if (id === "fmt " && !SAMPLE_FORMATS.has(size >= 2 ? h.readUInt16LE(pos + 8) : -1)) return "the WAV header it stores names a format it does not compress";
      // What the format reads is kept; any bytes past it in the chunk are zeroed.
      const used = id === "fmt " ? formatLength(h.subarray(pos + 8), size) : Math.min(size, FACT_SIZE);
      h.fill(0, pos + 8 + used, pos + 8 + size);
    }
    pos += 8 + size + (size % 2);
  }
  return WRONG_LENGTH;
}

/** Blanks a whole region: a `JUNK` chunk filling it when it is large enough to hold one. */
export function blankAll(b: Buffer): void {
  b.fill(0);
  if (b.length < 8) return;
  b.write("JUNK", 0, "latin1");
  b.writeUInt32LE(b.length - 8, 4);
}
