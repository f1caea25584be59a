import { TooComplexError } from "../errors.js";
import { type FileBytes, WINDOW } from "../file-bytes.js";

/** Where one of a track's sample tables is: the box's type and its payload, [from, to). */
export interface TableBox {
  type: string;
  from: number;
  to: number;
}

/**
 * The tables of one `stbl` box, and the handler of the track holding it. A muxer writes one of
 * each; of two (a damaged or spliced file), ExifTool and ffmpeg read the last, kept here.
 */
export interface SampleTables {
  handler: string;
  sizes: TableBox | null;
  offsets: TableBox | null;
  chunks: TableBox | null;
}

/**
 * Refuses (TooComplexError) a movie whose tracks' samples, where their tables place them, cover
 * more bytes than the file holds (and SLACK_BYTES). Each reader of samples reads every sample
 * where the tables say it lies: ExifTool's embedded-data read (-ee: timed metadata tracks, and H.264 tracks until it
 * finds an SEI message), our walks of NAL units, AAC and MPEG-4 samples, and ffmpeg's remux. A
 * muxer writes each sample once, so the samples of all tracks never hold more than the file;
 * chunks that all point at the same 4 MB held ExifTool to its 60 s timeout (a 4.4 MB file of
 * 100,000 chunks in a metadata track) and the NAL walk to the request's deadline (the same in a
 * video track). The walk is ExifTool's: chunk by chunk, each taking the next sizes, until the
 * sizes run out; bytes past the end of the file are not counted, nor, in the first
 * FREE_LAST_CHUNKS tracks, the chunk that runs past the end (a file cut short, or a stub such as
 * ExifTool's CanonRaw.cr3 whose tracks all end in the same cut picture data).
 *
 * A Novatek camera's list of its GPS samples' places (`moov/gps `), which ExifTool reads too, is
 * counted the same way (20,000 entries over the same 4 MB held ExifTool to its timeout).
 *
 * QuickTime sound whose sample size is 1 counts sound frames, not bytes (IMA4 or MACE hold several
 * frames in a byte): those tables are not counted; no reader walks them sample by sample.
 */
export async function checkSampleTables(src: FileBytes, tracks: readonly SampleTables[], lists: readonly TableBox[]): Promise<void> {
  let covered = 0;
  let timed = 0;
  const room = src.size + SLACK_BYTES;
  const check = (): void => {
    if (covered > room) throw new TooComplexError("quicktime: the tracks' samples cover more bytes than the file holds");
    if (timed > MAX_TIMED_SAMPLES) throw new TooComplexError(`quicktime: more than ${MAX_TIMED_SAMPLES} samples of timed metadata`);
  };
  for (const list of lists) {
    const walked = await walkSampleList(src, list, { bytes: room - covered, samples: MAX_TIMED_SAMPLES - timed });
    covered += walked.bytes;
    timed += walked.samples;
    check();
  }
  let freeLastChunks = FREE_LAST_CHUNKS;
  for (const track of tracks) {
    const { sizes: sizeTable, offsets: offsetTable, chunks: chunkTable } = track;
    if (sizeTable == null || offsetTable == null || chunkTable == null) continue;
    const sizes = await sampleSizes(src, sizeTable);
    if (sizes == null || (sizes.fixed === 1 && track.handler === "soun")) continue;
    const media = MEDIA_HANDLERS.has(track.handler);
    const walked = await walkSamples(src, sizes, offsetTable, chunkTable, { bytes: room - covered, samples: media ? Infinity : MAX_TIMED_SAMPLES - timed }, freeLastChunks > 0);
    if (walked.freeLastChunk) freeLastChunks--;
    covered += walked.bytes;
    if (!media) timed += walked.samples;
    check();
  }
}

/**
 * Samples of the tracks ExifTool reads one by one (-ee: every handler but picture and sound),
 * over all such tracks. Each becomes a document of tags: a QuickTime text sample costs it about
 * 230 µs and 3.7 kB until the read ends (100,000 four-byte samples, a 400 kB file: 23 s of CPU,
 * 374 MB, past its 60 s timeout on a busy machine; a million, 4 MB: 1.7 GB). A dash cam's position
 * track has one sample a second, a drone's subtitles one a frame (54,000 in 30 minutes at 30 fps),
 * a GoPro's GPMF one a second: the limit lets through half an hour at one a frame (~14 s of
 * ExifTool at the worst).
 */
export const MAX_TIMED_SAMPLES = 60_000;
/**
 * Bytes the samples may cover beyond the file's own: a damaged or spliced file whose tables
 * overlap a little costs the readers little; the files refused cover gigabytes.
 */
const SLACK_BYTES = 16 * 1024 * 1024;
/** Tracks whose one chunk running past the end of the file is not counted: every reader stops there. */
const FREE_LAST_CHUNKS = 8;
/** Handlers whose samples ExifTool does not read one by one (video only until it finds an SEI message, bounded by bytes). */
const MEDIA_HANDLERS = new Set(["vide", "soun"]);

/**
 * A list of samples as (offset, size) pairs after a version and a count, as Novatek cameras write
 * their GPS samples' places (`moov/gps `): counted as the tables are.
 */
async function walkSampleList(src: FileBytes, list: TableBox, room: { bytes: number; samples: number }): Promise<{ bytes: number; samples: number }> {
  const head = await src.read(list.from, 8);
  if (head.length < 8) return { bytes: 0, samples: 0 };
  const count = Math.min(head.readUInt32BE(4), Math.floor((list.to - list.from - 8) / 8));
  const pairs = new Entries(src, list.from + 8, list.from + 8 + count * 8, 32);
  let covered = 0;
  let samples = 0;
  for (; samples < count && covered <= room.bytes && samples <= room.samples; samples++) {
    const offset = pairs.held(1) ?? (await pairs.next());
    const size = pairs.held(1) ?? (await pairs.next());
    if (offset == null || size == null) break;
    covered += Math.max(0, Math.min(offset + size, src.size) - Math.min(offset, src.size));
  }
  return { bytes: covered, samples };
}

interface Sizes {
  count: number;
  /** The size of every sample, or 0 when each has its own. */
  fixed: number;
  /** Each sample's size, for a table without a fixed size (`stsz` of 32-bit entries, `stz2` of 4, 8 or 16 bits). */
  entries: Entries | null;
}

async function sampleSizes(src: FileBytes, box: TableBox): Promise<Sizes | null> {
  const head = await src.read(box.from, 12);
  if (head.length < 12) return null;
  const count = head.readUInt32BE(8);
  if (box.type === "stsz") {
    const fixed = head.readUInt32BE(4);
    return { count, fixed, entries: fixed !== 0 ? null : new Entries(src, box.from + 12, box.to, 32) };
  }
  const bits = head[7]!;
  return bits === 4 || bits === 8 || bits === 16 ? { count, fixed: 0, entries: new Entries(src, box.from + 12, box.to, bits) } : null;
}

/** The samples and the bytes they cover, counted as ExifTool walks them; stops once past either of `room`. */
async function walkSamples(src: FileBytes, sizes: Sizes, offsetsBox: TableBox, chunksBox: TableBox, room: { bytes: number; samples: number },
  mayEndPastFile: boolean,
): Promise<{ bytes: number; samples: number; freeLastChunk: boolean }> {
  const chunkHead = await src.read(chunksBox.from, 8);
  const offsetHead = await src.read(offsetsBox.from, 8);
  if (chunkHead.length < 8 || offsetHead.length < 8) return { bytes: 0, samples: 0, freeLastChunk: false };
  const runs = new Entries(src, chunksBox.from + 8, Math.min(chunksBox.to, chunksBox.from + 8 + chunkHead.readUInt32BE(4) * 12), 32);
  const offsets = new Entries(src, offsetsBox.from + 8, Math.min(offsetsBox.to, offsetsBox.from + 8 + offsetHead.readUInt32BE(4) * (offsetsBox.type === "co64" ? 8 : 4)), offsetsBox.type === "co64" ? 64 : 32);
  const nextRun = async () => {
    const first = await runs.next();
    const perChunk = await runs.next();
    await runs.next(); // the sample description
    return first == null || perChunk == null ? null : { first, perChunk };
  };
  let covered = 0;
  let sample = 0;
  let perChunk = 0;
  let freeLastChunk = false;
  // As ExifTool reads `stsc`: an entry is taken at chunk 1 whatever its first chunk says, then
  // one more at most per chunk, once the chunk reaches the next entry's first chunk.
  let pending = await nextRun();
  let nextChunk = 0;
  for (let chunk = 1; ; chunk++) {
    // The synchronous path first: a long recording has a million chunks, and an await each costs more than the walk.
    const offset = offsets.held(1) ?? (await offsets.next());
    if (offset == null) break;
    if (chunk >= nextChunk && pending != null) {
      perChunk = pending.perChunk;
      pending = await nextRun();
      if (pending != null) nextChunk = pending.first;
    }
    if (sample + perChunk > sizes.count) break;
    const length = sizes.entries == null ? sizes.fixed * perChunk : (sizes.entries.held(perChunk) ?? (await sizes.entries.sum(perChunk)));
    if (length == null) break;
    sample += perChunk;
    const endsPastFile = offset < src.size && offset + length > src.size;
    if (endsPastFile && mayEndPastFile && !freeLastChunk) freeLastChunk = true;
    else covered += Math.max(0, Math.min(offset + length, src.size) - Math.min(offset, src.size));
    if (covered > room.bytes || sample > room.samples) break;
  }
  return { bytes: covered, samples: sample, freeLastChunk };
}

/** A table's entries of `bits` bits, big-endian, read in order a window at a time. */
class Entries {
  private buf: Buffer = Buffer.alloc(0);
  /** Bits into `buf` already taken. */
  private bit = 0;
  private at: number;

  constructor(
    private readonly src: FileBytes,
    from: number,
    private readonly to: number,
    private readonly bits: 4 | 8 | 16 | 32 | 64,
  ) {
    this.at = from;
  }

  /** The next `n` entries added up when the window holds them all, without reading; else undefined, having taken none. */
  held(n: number): number | undefined {
    if (this.bit + n * this.bits > this.buf.length * 8) return undefined;
    let total = 0;
    for (let i = 0; i < n; i++) total += this.entry();
    return total;
  }

  /** The next entry, or null when the table ends. */
  async next(): Promise<number | null> {
    return this.sum(1);
  }

  /** The next `n` entries added up, or null when the table ends first. */
  async sum(n: number): Promise<number | null> {
    let total = 0;
    for (let left = n; left > 0; ) {
      if (this.bit + this.bits > this.buf.length * 8 && !(await this.refill())) return null;
      const available = Math.floor((this.buf.length * 8 - this.bit) / this.bits);
      const take = Math.min(left, available);
      // Synchronous over what the window holds: a chunk may have thousands of samples.
      for (let i = 0; i < take; i++) total += this.entry();
      left -= take;
    }
    return total;
  }

  private entry(): number {
    const byte = this.bit >> 3;
    this.bit += this.bits;
    switch (this.bits) {
      case 4:
        return (this.bit & 7) === 4 ? this.buf[byte]! >> 4 : this.buf[byte]! & 0x0f;
      case 8:
        return this.buf[byte]!;
      case 16:
        return this.buf.readUInt16BE(byte);
      case 32:
        return this.buf.readUInt32BE(byte);
      case 64:
        return Number(this.buf.readBigUInt64BE(byte));
    }
  }

  private async refill(): Promise<boolean> {
    const taken = this.bit >> 3;
    this.at += taken;
    const length = Math.min(WINDOW, this.to - this.at);
    if (length < Math.ceil(this.bits / 8)) return false;
    this.buf = await this.src.read(this.at, length);
    this.bit -= taken * 8;
    return this.buf.length * 8 >= this.bit + this.bits;
  }
}
