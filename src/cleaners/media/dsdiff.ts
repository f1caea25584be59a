import { BadFileError, TooComplexError } from "../errors.js";
import type { FileBytes } from "../file-bytes.js";
import { RangeWriter } from "../range-writer.js";
import type { CleanContext, Cleaner } from "../types.js";
import { isMediaStructural } from "./structural.js";

/** A chunk's header: its id and its size, a 64-bit big-endian number not counting the header. */
const HEADER = 12;
/** The form's header: "FRM8", its size, then "DSD ". */
const FORM = HEADER + 4;

/**
 * Chunks that say how to play the sound, or are the sound (DSDIFF 1.5, Philips): the format
 * version, the properties, the DSD samples or DST-coded frames, and the DST frames' index. Any
 * other goes: comments (`COMT`, each dated), the edited master information (`DIIN`: artist,
 * title, markers with text, the master's id), a maker's own chunk (`MANF`), the ID3 tag players
 * add (`ID3 `), and chunks of no known kind.
 */
const KEPT = new Set(["FVER", "PROP", "DSD ", "DST ", "DSTI"]);
/** The properties that say how to play the sound: sample rate, channels, compression, loudspeakers. */
const PROPERTIES = new Set(["FS  ", "CHNL", "CMPR", "LSCO"]);
/** The absolute start time (a time code: hours, minutes, seconds, samples), kept zeroed. */
const START_TIME = "ABSS";
/** The properties chunk is small: a few numbers and the compression's name. */
const MAX_PROPERTIES = 1024 * 1024;
/** What a DST sound chunk holds: frame information, frames and their CRCs. */
const DST_CHUNKS = new Set(["FRTE", "DSTF", "DSTC"]);
/** The most chunks listed in the form or the properties (a real file has about ten). */
const MAX_LISTED = 4096;
/** The DST index's entries: a frame's offset from the file's start (64 bits) and its length (32 bits). */
const INDEX_ENTRY = 12;

const damaged = (why: string): BadFileError => new BadFileError(`The DSDIFF file is damaged: ${why}.`);

interface Chunk {
  id: string;
  at: number;
  /** Where its data ends, before any pad byte. */
  end: number;
  /** Where the next chunk starts. */
  next: number;
}

/**
 * DSDIFF (.dff, Philips' Direct Stream Digital Interchange File Format, the other format DSD
 * albums are sold in), which ExifTool does not read: a form of big-endian chunks. The copy is the
 * chunks in `KEPT`, the sound copied byte for byte a window at a time, under a form header giving
 * the new size. In the properties, chunks of other kinds go and the absolute start time is zeroed.
 * A DST index's offsets move back by the bytes dropped before the frames.
 */
export const dsdiffCleaner: Cleaner = {
  name: "dsdiff",
  fileTypes: ["DFF"],

  async clean(ctx: CleanContext): Promise<void> {
    await RangeWriter.rewrite(ctx.input, ctx.output, "wx", async (src, out) => {
      const head = await src.read(0, FORM);
      if (head.length < FORM || head.toString("latin1", 0, 4) !== "FRM8" || head.toString("latin1", 12, 16) !== "DSD ") throw damaged("it does not start with a DSD form");
      const formEnd = Math.min(src.size, HEADER + Number(head.readBigUInt64BE(4)));
      const chunks = await walk(src, FORM, formEnd);
      if (chunks[0]?.id !== "FVER" || chunks[1]?.id !== "PROP") throw damaged("its version and properties do not come first");
      const sounds = chunks.filter((c) => c.id === "DSD " || c.id === "DST ");
      const sound = sounds[0];
      if (sound == null) throw damaged("it holds no sound chunk");
      // One of each: a second sound chunk, which no player reads, would be copied as sound.
      const kept = chunks.filter((c) => KEPT.has(c.id));
      if (sounds.length > 1 || new Set(kept.map((c) => c.id)).size !== kept.length) throw damaged("it holds a chunk twice that it may hold once");
      if (sound.id === "DST ") await checkDstFrames(src, sound);
      const properties = await cleanProperties(src, chunks[1]);
      const length = (c: Chunk): number => (c.id === "PROP" ? properties.length : c.next - c.at);
      const size = kept.reduce((n, c) => n + length(c), 4);
      // The bytes of dropped chunks before the sound, by which a DST index's offsets move back.
      const shift = chunks.filter((c) => c.at < sound.at && !KEPT.has(c.id)).reduce((n, c) => n + c.next - c.at, 0) + (chunks[1].next - chunks[1].at - properties.length);

      const form = Buffer.from(head);
      form.writeBigUInt64BE(BigInt(size), 4);
      out.bytes(form);
      for (const c of kept) {
        if (c.id === "PROP") out.bytes(properties);
        else if (c.id === "DSTI" && shift !== 0) await writeShiftedIndex(src, out, c, shift);
        else out.copy(c.at, c.next);
        if (out.full) await out.flush();
      }
    });
  },

  isStructural: isMediaStructural,
};

/** The chunks in [at, end), each of which must end within it (a last pad byte may be missing). */
async function* chunksIn(src: FileBytes, at: number, end: number): AsyncGenerator<Chunk> {
  while (at + HEADER <= end) {
    const h = src.peek(at, HEADER) ?? (await src.read(at, HEADER));
    const dataEnd = at + HEADER + Number(h.readBigUInt64BE(4));
    if (dataEnd > end) throw damaged(`${named(h.toString("latin1", 0, 4))} runs past the end of the chunk holding it`);
    const next = Math.min(end, dataEnd + (dataEnd % 2));
    yield { id: h.toString("latin1", 0, 4), at, end: dataEnd, next };
    at = next;
  }
  if (at !== end) throw damaged("a chunk is cut off");
}

/** The same, listed: for the form and the properties, which hold a few chunks each. */
async function walk(src: FileBytes, at: number, end: number): Promise<Chunk[]> {
  const found: Chunk[] = [];
  for await (const c of chunksIn(src, at, end)) {
    if (found.length === MAX_LISTED) throw new TooComplexError(`a DSDIFF chunk of more than ${MAX_LISTED} chunks`);
    found.push(c);
  }
  return found;
}

/** A chunk as an error names it: by its id when that is text, as a reader would show it. */
function named(id: string): string {
  return /^[A-Za-z0-9][\x20-\x7e]{3}$/.test(id) ? `its ${id.trim()} chunk` : "a chunk";
}

/** The properties chunk with only the properties that say how to play the sound, its start time zeroed. */
async function cleanProperties(src: FileBytes, prop: Chunk): Promise<Buffer> {
  if (prop.end - prop.at > MAX_PROPERTIES) throw new TooComplexError(`a DSDIFF properties chunk of ${prop.end - prop.at} bytes`);
  const kind = (await src.read(prop.at + HEADER, 4)).toString("latin1");
  if (kind !== "SND ") throw damaged("its properties are not a sound's");
  const parts: Buffer[] = [];
  for (const c of await walk(src, prop.at + HEADER + 4, prop.end)) {
    if (!PROPERTIES.has(c.id) && c.id !== START_TIME) continue;
    const bytes = Buffer.from(await src.read(c.at, c.next - c.at));
    if (c.id === START_TIME) bytes.fill(0, HEADER, c.end - c.at);
    parts.push(bytes, Buffer.alloc(bytes.length % 2));
  }
  const body = Buffer.concat(parts);
  const head = Buffer.alloc(HEADER + 4);
  head.write("PROP", 0, "latin1");
  head.writeBigUInt64BE(BigInt(body.length + 4), 4);
  head.write(kind, HEADER, "latin1");
  return Buffer.concat([head, body]);
}

/**
 * A DST sound chunk holds frame information, frames and their CRCs only: anything else in it would
 * be copied whole with the frames. There is one frame per 1/75 s, so they are walked, not listed.
 */
async function checkDstFrames(src: FileBytes, dst: Chunk): Promise<void> {
  for await (const c of chunksIn(src, dst.at + HEADER, dst.end)) {
    if (!DST_CHUNKS.has(c.id)) throw damaged("its DST sound holds data of a kind no decoder reads");
  }
}

/** The DST index with every frame's offset moved back by `shift` bytes, read and written a window at a time. */
async function writeShiftedIndex(src: FileBytes, out: RangeWriter, index: Chunk, shift: number): Promise<void> {
  out.copy(index.at, index.at + HEADER);
  const entries = Math.floor((index.end - index.at - HEADER) / INDEX_ENTRY);
  const perWindow = 65536;
  for (let first = 0; first < entries; first += perWindow) {
    const count = Math.min(perWindow, entries - first);
    const bytes = Buffer.from(await src.read(index.at + HEADER + first * INDEX_ENTRY, count * INDEX_ENTRY));
    for (let i = 0; i < count; i++) {
      const offset = bytes.readBigUInt64BE(i * INDEX_ENTRY) - BigInt(shift);
      if (offset < 0n) throw damaged("its DST index points before the frames");
      bytes.writeBigUInt64BE(offset, i * INDEX_ENTRY);
    }
    out.bytes(bytes);
    await out.flush();
  }
  out.copy(index.at + HEADER + entries * INDEX_ENTRY, index.next);
}
