import fsp from "node:fs/promises";
import { CAF_CHUNK_HEADER, type CafChunk, cafChunks } from "../../metadata/caf-fields.js";
import { BadFileError, TooComplexError } from "../errors.js";
import { FileBytes } from "../file-bytes.js";
import { type AacConfig, aacConfig, walkAacSamples } from "./iso-aac.js";
import type { Range } from "./iso-samples.js";

/**
 * Apple's format identifiers of AAC in a CAF's audio description (CoreAudioBaseTypes.h): LC, HE,
 * HE v2, LD, ELD and its SBR variants. The AudioSpecificConfig in the magic cookie says whether
 * its packets are raw data blocks (`hasRawBlocks`).
 */
const AAC_FORMATS = new Set(["aac ", "aach", "aacp", "aacl", "aace", "aacf", "aacg"]);
/** Packets walked at a time. */
const BATCH = 65_536;
/** Packets walked at most: a day of 48 kHz AAC is ~4 million. */
const MAX_PACKETS = 8_000_000;
/** The data chunk's edit count before the packets. */
const EDIT_COUNT = 4;
/** A magic cookie or packet table larger than this is not read (MAX_PACKETS entries of at most 5 bytes each). */
const MAX_READ = 5 * MAX_PACKETS + 24;

const damaged = (why: string): BadFileError => new BadFileError(`The CAF file is damaged: ${why}.`);

/**
 * The text an encoder writes into AAC (ffmpeg's "Lavc…", libfaac's name after its version, any
 * writer's fill data: `aac-text.ts`) in the packets of the CAF `file`, blanked in place: the
 * leading fill and program config elements of every raw data block the packet table places in
 * the data chunk, and the comment of the cookie's program config. The copy is then walked again:
 * text left makes it refused. Resolves to the elements blanked; 0 for a CAF of another codec.
 */
export async function blankCafAacText(file: string): Promise<number> {
  const src = await FileBytes.open(file);
  let read: AacChunks | null;
  try {
    read = await aacChunks(src);
  } finally {
    await src.close();
  }
  if (read == null) return 0;
  const { chunks, config, bytesPerPacket, pakt } = read;
  let blanked = 0;
  if (config.rawBlocks && config.comment != null) {
    const fh = await fsp.open(file, "r+");
    try {
      const at = chunks.get("kuki")!.at + CAF_CHUNK_HEADER + config.comment.start;
      await fh.write(Buffer.alloc(config.comment.end - config.comment.start), 0, config.comment.end - config.comment.start, at);
    } finally {
      await fh.close();
    }
    blanked++;
  }
  if (!config.rawBlocks) return blanked;
  forEachPacketBatch(chunks, bytesPerPacket, pakt, (packets) => {
    blanked += walkAacSamples(file, packets, false).elements;
  });
  let left = 0;
  forEachPacketBatch(chunks, bytesPerPacket, pakt, (packets) => {
    left += walkAacSamples(file, packets, true).elements;
  });
  if (left > 0) throw new BadFileError("The AAC sound's encoder text could not be removed.", new Error(`${left} AAC elements with text left in the CAF copy`));
  return blanked;
}

/** What an AAC CAF's walk needs, read once: its chunks, the cookie's configuration, the packet size or table. */
interface AacChunks {
  chunks: ReadonlyMap<string, CafChunk>;
  config: AacConfig;
  bytesPerPacket: number;
  /** The packet table, when the packets' sizes vary (bytesPerPacket 0) and they are raw data blocks. */
  pakt: Buffer | null;
}

/** The chunks of the copy (the cleaner kept the first of each kind) read for the AAC walk; null for a CAF of another codec. */
async function aacChunks(src: FileBytes): Promise<AacChunks | null> {
  const chunks = new Map<string, CafChunk>();
  for (const c of await cafChunks((at, length) => src.read(at, length), src.size)) if (!chunks.has(c.id)) chunks.set(c.id, c);
  const body = async (id: string): Promise<Buffer | null> => {
    const chunk = chunks.get(id);
    if (chunk == null) return null;
    if (chunk.size > MAX_READ) throw new TooComplexError(`a CAF chunk of ${chunk.size} bytes to read`);
    return src.read(chunk.at + CAF_CHUNK_HEADER, chunk.size);
  };
  const desc = await body("desc");
  if (desc == null || desc.length < 32 || !AAC_FORMATS.has(desc.toString("latin1", 8, 12))) return null;
  const kuki = await body("kuki");
  const config = kuki == null ? null : aacConfig(kuki, 0, kuki.length);
  if (config == null) throw damaged("its AAC magic cookie cannot be read");
  const bytesPerPacket = desc.readUInt32BE(16);
  const pakt = config.rawBlocks && bytesPerPacket === 0 ? await body("pakt") : null;
  if (config.rawBlocks && bytesPerPacket === 0 && (pakt == null || pakt.length < 24)) throw damaged("its packets have no packet table");
  return { chunks, config, bytesPerPacket, pakt };
}

/**
 * The packets of the data chunk, as the packet table (or a constant packet size) places them,
 * handed to `visit` BATCH at a time (a day of sound is millions); those past the chunk's end are
 * not there.
 */
function forEachPacketBatch(chunks: ReadonlyMap<string, CafChunk>, bytesPerPacket: number, pakt: Buffer | null, visit: (batch: Range[]) => void): void {
  const data = chunks.get("data");
  if (data == null || data.size < EDIT_COUNT) throw damaged("it holds no audio data");
  const end = data.at + CAF_CHUNK_HEADER + data.size;
  let at = data.at + CAF_CHUNK_HEADER + EDIT_COUNT;
  let batch: Range[] = [];
  let packets = 0;
  const add = (size: number): boolean => {
    if (at + size > end) return false;
    if (++packets > MAX_PACKETS) throw new TooComplexError(`a CAF file of more than ${MAX_PACKETS} packets`);
    batch.push({ start: at, end: at + size });
    at += size;
    if (batch.length === BATCH) {
      visit(batch);
      batch = [];
    }
    return true;
  };
  if (pakt == null) {
    while (add(bytesPerPacket));
  } else {
    const count = pakt.readBigInt64BE(0);
    for (let pos = 24, n = 0n; n < count; n++) {
      let size = 0;
      for (;;) {
        const b = pakt[pos++];
        if (b == null) throw damaged("its packet table is cut off");
        if (size > 0x00ffffff) throw damaged("its packet table gives a packet larger than any");
        size = size * 128 + (b & 0x7f);
        if ((b & 0x80) === 0) break;
      }
      if (!add(size)) break;
    }
  }
  if (batch.length > 0) visit(batch);
}
