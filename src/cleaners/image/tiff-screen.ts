import { TooComplexError } from "../errors.js";
import { FileBytes } from "../file-bytes.js";
import { IMAGE_SOURCE_DATA } from "./psd-document-data.js";
import { checkDocumentDataShape } from "./psd-screen.js";
import { TYPE_SIZE } from "./tiff-types.js";

/**
 * Directories (IFDs: pages, thumbnails, SubIFDs, EXIF, GPS and Interoperability IFDs) before a
 * TIFF is refused: ExifTool reads each (a chain of 100,000 one-pixel pages, 11 MB, held it past its
 * 60 s timeout at 890 MB; 10,000 pages took the service ~60 s on a busy machine). The TIFF cleaner
 * refuses a chain of more than 10,000 anyway; a fax archive of a few thousand pages stays below.
 */
export const MAX_TIFF_IFDS = 10_000;
/**
 * Entries in one directory: ExifTool makes a tag of each (65,535 entries, the most a classic TIFF
 * IFD holds, 786 kB: 17 s). Real IFDs have tens, a DNG's a few hundred.
 */
export const MAX_TIFF_IFD_ENTRIES = 4_096;
/**
 * Entries in all directories together (~0.15 ms each in ExifTool on a busy machine): 10,000 pages
 * of 10 entries each, or a few thousand pages of real writers' 15-25.
 */
export const MAX_TIFF_ENTRIES = 100_000;

/**
 * Directory entries in all the EXIF blocks of a file that is no TIFF (a JPEG's APP1 segments, a
 * PNG's eXIf chunks, a WebP's EXIF chunk), maker notes counted: ExifTool reads every block, and a
 * JPEG of 20 EXIF segments each holding a maker note of 5,400 entries (1.3 MB) took it 25 s. A
 * photo has one block, of a few hundred entries.
 */
export const MAX_EXIF_ENTRIES = 20_000;
/**
 * Directory entries that maker notes seem to hold (see `makerNoteEntries`), in one maker note:
 * ExifTool reads a maker note's directories as it reads the file's (one of 65,535 entries, 786 kB:
 * 13 s and 1.4 MB of JSON; five such pages, 4 MB: 55 s at 400 MB). Real maker notes hold tens to
 * a few hundred entries, in a handful of directories.
 */
export const MAX_MAKER_NOTE_ENTRIES = 16_384;
/**
 * Bytes of maker notes scanned in one file: one camera's is at most a few MB (a Nikon NEF's holds
 * its preview); thousands of maker notes over one large region would make the scan itself the cost.
 */
export const MAX_MAKER_NOTE_BYTES = 64 * 1024 * 1024;
const MAKER_NOTE = 0x927c;

/** SubIFDs, EXIF, GPS, Interoperability: fields whose values are offsets of directories. */
const IFD_POINTERS: ReadonlySet<number> = new Set([330, 34665, 34853, 40965]);
/** Field types holding 32-bit (LONG, IFD) and 64-bit (LONG8, IFD8) offsets. */
const OFFSET_SIZES: ReadonlyMap<number, number> = new Map([
  [4, 4],
  [13, 4],
  [16, 8],
  [18, 8],
]);

interface Layout {
  le: boolean;
  big: boolean;
  /** Bytes of a count, an entry, an offset. */
  countSize: number;
  entrySize: number;
  word: number;
}

export function isTiffHead(bytes: Buffer): boolean {
  return layoutOf(bytes) != null;
}

function layoutOf(bytes: Buffer): Layout | undefined {
  if (bytes.length < 8) return undefined;
  const order = bytes.toString("latin1", 0, 2);
  if (order !== "II" && order !== "MM") return undefined;
  const le = order === "II";
  const magic = le ? bytes.readUInt16LE(2) : bytes.readUInt16BE(2);
  if (magic === 42) return { le, big: false, countSize: 2, entrySize: 12, word: 4 };
  if (magic === 43 && bytes.length >= 16) return { le, big: true, countSize: 8, entrySize: 20, word: 8 };
  return undefined;
}

/** Where a TIFF structure's bytes are: a file, or an EXIF block of another file, held in memory. */
interface TiffBytes {
  readonly size: number;
  /** Exactly the bytes [at, at + length), which the caller checked lie within `size`. */
  bytes(at: number, length: number): Promise<Buffer>;
}

/**
 * What the TIFF structures of one file add up to against the limits: a TIFF's own, or every EXIF
 * block of a JPEG (ExifTool reads each, maker notes and all).
 */
export class TiffTally {
  private directories = 0;
  private entries = 0;
  private makerNoteBytes = 0;

  constructor(private readonly maxEntries = MAX_TIFF_ENTRIES) {}

  /** One more directory walked. */
  directory(): void {
    this.directories++;
    this.pointers(0);
  }

  /** Checks the directories walked and `pending` more to walk. */
  pointers(pending: number): void {
    if (this.directories + pending > MAX_TIFF_IFDS) throw new TooComplexError(`tiff: more than ${MAX_TIFF_IFDS} directories`);
  }

  /** Counts `n` more entries, checking the total. */
  add(n: number): void {
    this.entries += n;
    if (this.entries > this.maxEntries) throw new TooComplexError(`tiff: more than ${this.maxEntries} directory entries`);
  }

  /** Counts `length` more bytes of maker notes to scan, checking the total. */
  scan(length: number): void {
    this.makerNoteBytes += length;
    if (this.makerNoteBytes > MAX_MAKER_NOTE_BYTES) throw new TooComplexError(`tiff: more than ${MAX_MAKER_NOTE_BYTES} bytes of maker notes`);
  }
}

/**
 * Refuses (TooComplexError) a TIFF (or a raw format built on one) of more directories or entries
 * than the limits, walking every IFD chain and the IFDs that SubIFDs, EXIF, GPS and
 * Interoperability fields point at, reading counts, pointers and next offsets only, and counting
 * what maker notes hold; and the Photoshop layers of tag 37724 against a PSD's limits. An offset outside the file, or one already walked, ends that walk:
 * damage is the cleaner's to judge.
 */
export async function checkTiffShape(file: string): Promise<void> {
  const src = await FileBytes.open(file);
  try {
    const layers: Array<[number, number]> = [];
    await walkTiff({ size: src.size, bytes: (at, length) => bytesAt(src, at, length) }, new TiffTally(), layers);
    for (const [at, length] of layers) await checkDocumentDataShape(src, at, at + length);
  } finally {
    await src.close();
  }
}

/**
 * The same for a TIFF structure inside another file (an EXIF block: a JPEG's APP1 segment, a PNG's
 * eXIf chunk, a WebP's EXIF chunk), `length` bytes from `start`, counted into `tally`, which the
 * file's other EXIF blocks share. JPEG's "Exif\0\0" before it is stepped over, as ExifTool does
 * wherever a writer put it; bytes that hold no TIFF structure are no EXIF block and pass.
 */
export async function checkExifBlock(src: FileBytes, start: number, length: number, tally: TiffTally): Promise<void> {
  const end = Math.min(start + length, src.size);
  const from = end - start > EXIF_ID.length && (await bytesAt(src, start, EXIF_ID.length)).equals(EXIF_ID) ? start + EXIF_ID.length : start;
  await walkTiff({ size: Math.max(0, end - from), bytes: (at, n) => bytesAt(src, from + at, n) }, tally);
}

const EXIF_ID = Buffer.from("Exif\0\0", "latin1");

/**
 * The same for an EXIF block held in memory (a HEIF's EXIF item, put together from its extents,
 * inflated...), a TIFF structure from its first byte, counted into `tally`.
 */
export async function checkTiffBytes(bytes: Buffer, tally: TiffTally): Promise<void> {
  await walkTiff({ size: bytes.length, bytes: async (at, n) => bytes.subarray(at, at + n) }, tally);
}

/** `layers`, when given, gets where each out-of-line value of tag 37724 (Photoshop's layers) lies: [offset, length]. */
async function walkTiff(src: TiffBytes, tally: TiffTally, layers?: Array<[number, number]>): Promise<void> {
  if (src.size < 8) return;
  const header = await src.bytes(0, Math.min(16, src.size));
  const layout = layoutOf(header);
  if (layout == null) return;
  const fields = new Fields(layout);
  const pending = [fields.word(header, layout.big ? 8 : 4)];
  const seen = new Set<number>();
  const makerNotes = new MakerNotes(tally);
  for (let at = pending.pop(); at != null; at = pending.pop()) {
    if (at === 0 || seen.has(at) || at + layout.countSize > src.size) continue;
    seen.add(at);
    tally.directory();
    const n = fields.word(await src.bytes(at, layout.countSize), 0, layout.countSize);
    const length = n * layout.entrySize + layout.word;
    if (at + layout.countSize + length > src.size) continue;
    if (n > MAX_TIFF_IFD_ENTRIES) throw new TooComplexError(`tiff: a directory of more than ${MAX_TIFF_IFD_ENTRIES} entries`);
    tally.add(n);
    const table = await src.bytes(at + layout.countSize, length);
    pending.push(fields.word(table, n * layout.entrySize));
    for (let i = 0; i < n; i++) {
      const e = i * layout.entrySize;
      if (fields.u16(table, e) === MAKER_NOTE) {
        const bytes = fields.word(table, e + 4) * (TYPE_SIZE[fields.u16(table, e + 2)] ?? 1);
        if (bytes > layout.word) tally.add(await makerNotes.entriesOf(src, fields.word(table, e + 4 + layout.word), bytes));
        continue;
      }
      if (layers != null && fields.u16(table, e) === IMAGE_SOURCE_DATA) {
        const bytes = fields.word(table, e + 4) * (TYPE_SIZE[fields.u16(table, e + 2)] ?? 1);
        const from = fields.word(table, e + 4 + layout.word);
        if (bytes > layout.word && from + bytes <= src.size) layers.push([from, bytes]);
        continue;
      }
      if (!IFD_POINTERS.has(fields.u16(table, e))) continue;
      const size = OFFSET_SIZES.get(fields.u16(table, e + 2));
      if (size == null) continue;
      const count = fields.word(table, e + 4);
      const valueAt = e + 4 + layout.word;
      const values = count * size <= layout.word ? table.subarray(valueAt, valueAt + count * size) : await valuesAt(src, fields.word(table, valueAt), count * size);
      // Each pointer counts as a directory even when already walked: ExifTool reads it again.
      tally.pointers(pending.length + values.length / size);
      for (let k = 0; k + size <= values.length; k += size) pending.push(fields.word(values, k, size));
    }
  }
}

/**
 * The directory entries each maker note seems to hold, scanned once per place. Maker notes have
 * dozens of layouts (a bare directory, one after a maker's header, one after a TIFF header of its
 * own, directories pointed at from inside), which ExifTool tells apart by the camera's make; rather
 * than follow them all, the scan counts what any of them could be read as: 12-byte records whose
 * type field names a TIFF type, in runs of two or more (records of type 0 between them, which
 * ExifTool skips, do not end a run), in the alignment and byte order that hold the most. Image
 * data inside a maker note (a preview) rarely forms such runs.
 */
class MakerNotes {
  private readonly counted = new Map<string, number>();

  constructor(private readonly tally: TiffTally) {}

  async entriesOf(src: TiffBytes, at: number, bytes: number): Promise<number> {
    if (at >= src.size) return 0;
    const length = Math.min(bytes, src.size - at);
    const key = `${at}:${length}`;
    const known = this.counted.get(key);
    if (known != null) return known;
    this.tally.scan(length);
    const entries = await makerNoteEntries(src, at, length);
    if (entries > MAX_MAKER_NOTE_ENTRIES) throw tooManyEntries();
    this.counted.set(key, entries);
    return entries;
  }
}

const tooManyEntries = (): TooComplexError => new TooComplexError(`tiff: a maker note of more than ${MAX_MAKER_NOTE_ENTRIES} directory entries`);

/** The bytes of a maker note scanned at once: a multiple of the 12-byte record. */
const SCAN_WINDOW = 12 * 65_536;
/**
 * A record whose values lie out of line weighs one entry more per this many bytes of them: ExifTool
 * decodes many such values as a table of tags of their own (Canon's CameraSettings: 48 tags from
 * 96 bytes), so that a 63 kB JPEG whose maker note held 4,369 records each pointing at 96 bytes of
 * their own (overlapping) took it 10-12 s of CPU (24-38 s on a busy machine).
 */
const VALUE_BYTES_PER_ENTRY = 16;
/** The out-of-line bytes of one record weighed at most (a preview or an opaque block is read as one tag). */
const MAX_WEIGHED_VALUE_BYTES = 4096;

/** TYPE_SIZE by a 16-bit type field's value (0: no TIFF type), for the scan's hot loop. */
const SIZE_OF_TYPE = (() => {
  const sizes = new Uint8Array(65_536);
  for (const [type, size] of Object.entries(TYPE_SIZE)) sizes[Number(type)] = size;
  return sizes;
})();

/** ASCII and UNDEFINED: values ExifTool holds as a string, whatever their length, rather than decode as numbers. */
const TEXT_TYPES = new Set([2, 7]);
/**
 * Values past which ExifTool decodes no numeric array ("Ignoring ... with excessive count", Exif.pm):
 * such a value costs it nothing, however many records point at it.
 */
const MAX_DECODED_VALUES = 100_000;

/**
 * Per alignment (0-11) and byte order (12-23: big-endian) of the scan: the records of its current
 * run and of its finished runs of 2+, their weight, and the values longer than the note that the
 * current run's records point at.
 */
class Runs {
  readonly run = new Float64Array(24);
  readonly runWeight = new Float64Array(24);
  readonly total = new Float64Array(24);
  readonly weight = new Float64Array(24);
  /** (offset, length, kind) triples: kind 1 for numbers ExifTool decodes, 0 for text. */
  readonly runLong: number[][] = Array.from({ length: 24 }, () => []);

  constructor(
    /** The note's length: values no longer weigh as they are; longer ones only where they are shared. */
    private readonly length: number,
    /** The TIFF structure's size: values past it are not read. */
    private readonly size: number,
  ) {}

  /**
   * One more record in run `k`, of type `type` (a TIFF type) whose `count` values of `size` bytes
   * are at `offset` (NaN: unknown, the record's last bytes lie past the note).
   */
  record(k: number, type: number, count: number, size: number, offset: number): void {
    // Past the limit in one run already: refused now, before the run's values take more memory.
    if (++this.run[k]! > MAX_MAKER_NOTE_ENTRIES) throw tooManyEntries();
    const bytes = count * size;
    if (!(bytes > 4) || offset + bytes > this.size) return;
    if (bytes <= this.length) this.runWeight[k]! += Math.min(bytes, MAX_WEIGHED_VALUE_BYTES);
    else if (TEXT_TYPES.has(type)) this.runLong[k]!.push(offset, bytes, 0);
    else if (count <= MAX_DECODED_VALUES) this.runLong[k]!.push(offset, bytes, 1);
  }

  end(k: number): void {
    const n = this.run[k]!;
    if (n === 0) return;
    if (n >= 2) {
      this.total[k]! += n;
      this.weight[k]! += this.runWeight[k]! + sharedBytes(this.runLong[k]!);
      if (this.total[k]! + this.weight[k]! / VALUE_BYTES_PER_ENTRY > MAX_MAKER_NOTE_ENTRIES) throw tooManyEntries();
    }
    this.run[k] = 0;
    this.runWeight[k] = 0;
    this.runLong[k]!.length = 0;
  }

  /** The entries of the alignment and byte order that weigh the most. */
  most(): number {
    let most = 0;
    for (let k = 0; k < 24; k++) {
      this.end(k);
      most = Math.max(most, this.total[k]! + Math.floor(this.weight[k]! / VALUE_BYTES_PER_ENTRY));
    }
    return most;
  }
}

/**
 * The shared bytes of a text value (ASCII, UNDEFINED) longer than the note weighed at most: less
 * than a value in the note (records read in the data of a raw's maker note, in a file of 30 MB,
 * point at megabytes that overlap).
 */
const MAX_WEIGHED_SHARED_BYTES = 1024;
/**
 * The same for numbers ExifTool decodes (at most MAX_DECODED_VALUES of them), each record's again:
 * 1,799 records pointing at one table of 12,800 values past a 53 kB JPEG's maker note took it 5.7 s
 * of CPU decoded as Canon's CameraSettings, 12.2 s as plain numbers (3-7 ms a record on a busy
 * machine: 20-45 entries); 248 records pointing at 8 tables of 65,000 values, 31 on each (2.4 MB),
 * 7.9 s, when they weighed 1 kB each (15,608 entries). Numbers past that count, which ExifTool
 * skips, and the false records in a raw's data that point at them weigh nothing.
 */
const MAX_WEIGHED_SHARED_NUMBERS = 4096;
/**
 * The same for a value that more than DEEPLY_SHARED earlier values of its run already cover: a
 * table many records read (240 records pointing at one table of 100,000 values, a 203 kB TIFF:
 * 9.9 s of CPU), which the overlaps of false records in a raw's data never reach.
 */
const MAX_WEIGHED_DEEPLY_SHARED_BYTES = 4096;
const DEEPLY_SHARED = 32;

/**
 * The bytes of values (offset, length, kind triples) of one run that an earlier one of the run
 * already covers, up to MAX_WEIGHED_SHARED_BYTES each for text (MAX_WEIGHED_DEEPLY_SHARED_BYTES
 * where many do) and MAX_WEIGHED_SHARED_NUMBERS for decoded numbers: a
 * value longer than the note is no cost of its own (ExifTool reads what the file holds), but
 * ExifTool decodes a table again each time a record points at it.
 */
function sharedBytes(values: number[]): number {
  const order = Array.from({ length: values.length / 3 }, (_, i) => i).sort((a, b) => values[3 * a]! - values[3 * b]!);
  // The ends of the earlier values that reach past the current one's start (a min-heap).
  const ends = new MinHeap();
  let covered = 0;
  let shared = 0;
  for (const i of order) {
    const from = values[3 * i]!;
    const to = from + values[3 * i + 1]!;
    while (ends.size > 0 && ends.top() <= from) ends.pop();
    const cap = values[3 * i + 2] === 1 ? MAX_WEIGHED_SHARED_NUMBERS : ends.size > DEEPLY_SHARED ? MAX_WEIGHED_DEEPLY_SHARED_BYTES : MAX_WEIGHED_SHARED_BYTES;
    shared += Math.min(Math.max(0, Math.min(to, covered) - from), cap);
    covered = Math.max(covered, to);
    ends.push(to);
  }
  return shared;
}

/** A heap of numbers, smallest on top. */
class MinHeap {
  private readonly items: number[] = [];

  get size(): number {
    return this.items.length;
  }

  top(): number {
    return this.items[0]!;
  }

  push(v: number): void {
    const a = this.items;
    a.push(v);
    for (let i = a.length - 1; i > 0; ) {
      const parent = (i - 1) >> 1;
      if (a[parent]! <= v) break;
      a[i] = a[parent]!;
      a[parent] = v;
      i = parent;
    }
  }

  pop(): void {
    const a = this.items;
    const last = a.pop()!;
    if (a.length === 0) return;
    a[0] = last;
    for (let i = 0; ; ) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < a.length && a[l]! < a[m]!) m = l;
      if (r < a.length && a[r]! < a[m]!) m = r;
      if (m === i) return;
      [a[i], a[m]] = [a[m]!, a[i]!];
      i = m;
    }
  }
}

async function makerNoteEntries(src: TiffBytes, start: number, length: number): Promise<number> {
  const runs = new Runs(length, src.size);
  for (let base = 0; base + 4 <= length; base += SCAN_WINDOW) {
    // Past the window: a record's type, count and offset (bytes 2-11) for a record starting at its end.
    const want = Math.min(SCAN_WINDOW + 11, length - base);
    const bytes = await src.bytes(start + base, want);
    for (let i = 0; i + 4 <= bytes.length && i < SCAN_WINDOW; i++) {
      // The type field is the record's bytes 2-3, its count 4-7, its values' offset 8-11. A record
      // of type 0 ExifTool steps over without a word (padding), so it ends no run: 2,400 records
      // pointing at tables of 48 values, each followed by one of type 0, took it 7.8 s of CPU.
      if (bytes[i + 2] === 0 && bytes[i + 3] === 0) continue;
      const phase = i % 12;
      const typeLe = bytes[i + 2]! | (bytes[i + 3]! << 8);
      const typeBe = (bytes[i + 2]! << 8) | bytes[i + 3]!;
      const le = SIZE_OF_TYPE[typeLe]!;
      const be = SIZE_OF_TYPE[typeBe]!;
      const whole = i + 12 <= bytes.length;
      if (le === 0) runs.end(phase);
      else runs.record(phase, typeLe, whole ? bytes.readUInt32LE(i + 4) : NaN, le, whole ? bytes.readUInt32LE(i + 8) : NaN);
      if (be === 0) runs.end(12 + phase);
      else runs.record(12 + phase, typeBe, whole ? bytes.readUInt32BE(i + 4) : NaN, be, whole ? bytes.readUInt32BE(i + 8) : NaN);
    }
  }
  return runs.most();
}

/** Exactly the bytes [at, at + length), which the caller checked lie in the file. */
async function bytesAt(src: FileBytes, at: number, length: number): Promise<Buffer> {
  // Directories may lie anywhere: an exact read each, not a window of a mebibyte per directory.
  return src.peek(at, length) ?? (await src.slice(at, length, Buffer.allocUnsafe(length))).bytes;
}

/** A pointer field's out-of-line values, or none when they run past the file's end (damage). */
async function valuesAt(src: TiffBytes, at: number, length: number): Promise<Buffer> {
  return at + length <= src.size ? src.bytes(at, length) : Buffer.alloc(0);
}

/** Numbers in the file's byte order. */
class Fields {
  constructor(private readonly layout: Layout) {}

  u16(b: Buffer, at: number): number {
    return this.layout.le ? b.readUInt16LE(at) : b.readUInt16BE(at);
  }

  /** An offset or count (`size` bytes: the layout's word by default); past 2^53 reads as 0, an end. */
  word(b: Buffer, at: number, size = this.layout.word): number {
    if (size === 2) return this.u16(b, at);
    if (size === 4) return this.layout.le ? b.readUInt32LE(at) : b.readUInt32BE(at);
    const v = this.layout.le ? b.readBigUInt64LE(at) : b.readBigUInt64BE(at);
    return v > BigInt(Number.MAX_SAFE_INTEGER) ? 0 : Number(v);
  }
}
