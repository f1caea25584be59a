import { BadFileError, TooComplexError } from "../errors.js";
import { FileBytes } from "../file-bytes.js";
import { RangeWriter } from "../range-writer.js";
import type { CleanContext, CleanOutcome, Cleaner } from "../types.js";
import type { Assembly } from "./psd-assembly.js";
import { cleanDocumentData, IMAGE_SOURCE_DATA } from "./psd-document-data.js";
import { isPsdStructural } from "./psd-tags.js";
import { overlaps, type Range } from "./byte-ranges.js";
import { checkSameImages } from "./tiff-images.js";
import { foreignJpegSegment } from "./tiff-jpeg.js";
import { TYPE_SIZE } from "./tiff-types.js";

const SHORT = 3;
const LONG = 4;
const UNDEFINED = 7;
const IFD_TYPE = 13;
const LONG8 = 16;
const IFD8 = 18;

/**
 * Classic TIFF (version 42) and BigTIFF (43, the same format with 64-bit offsets and counts for
 * files past 4 GB): the sizes that differ. A copy keeps its source's kind.
 */
interface Layout {
  big: boolean;
  /** Bytes of an offset, of an entry's count, and of a value that fits in its entry. */
  word: 4 | 8;
  /** Bytes of an IFD's entry count. */
  countSize: 2 | 8;
  entrySize: 12 | 20;
}
const CLASSIC: Layout = { big: false, word: 4, countSize: 2, entrySize: 12 };
const BIG: Layout = { big: true, word: 8, countSize: 8, entrySize: 20 };

const ORIENTATION = 274;
const ICC_PROFILE = 34675;
const NEW_SUBFILE_TYPE = 254;
const COMPRESSION = 259;
/** Compression 7: each strip or tile a JPEG stream, the tables shared in JPEGTables. */
const JPEG = 7;
const JPEG_TABLES = 347;
/** Offsets to image data, each with the tag giving the matching byte counts. */
const DATA_POINTERS: ReadonlyMap<number, number> = new Map([
  [273, 279], // StripOffsets -> StripByteCounts
  [324, 325], // TileOffsets -> TileByteCounts
  [513, 514], // JPEGInterchangeFormat -> its length: only kept in pages of old-style JPEG
]);
/**
 * Compression 6, old-style JPEG (TIFF 6.0 section 22, withdrawn since but still read by libtiff):
 * the JPEG stream's headers and tables lie in one JPEG interchange format stream
 * (JPEGInterchangeFormat and its length), the strips hold the coded data. Its fields decode the
 * pixels in such a page only (elsewhere 513 and 514 point at a thumbnail); ExifTool names 513 and
 * 514 in IFD0 "OtherImage". Writers without such a stream stored the tables apart (below), or
 * made each strip a whole stream.
 */
const OLD_JPEG = 6;
const OLD_JPEG_FIELDS: ReadonlyMap<number, string> = new Map([
  [512, "JPEGProc"], [513, "OtherImageStart"], [514, "OtherImageLength"], [515, "JPEGRestartInterval"],
  [517, "JPEGLosslessPredictors"], [518, "JPEGPointTransforms"],
]);
const JPEG_INTERCHANGE = 513;
const STRIP_OFFSETS = 273;
const TILE_OFFSETS = 324;
/**
 * ExifTool's names for 513 and 514 and the bytes they point at in the second and third
 * directories of a TIFF (Exif.pm: IFD1's is EXIF's thumbnail, IFD2's a raw file's big preview;
 * "OtherImage" elsewhere). In a copy holding only pages, an old-style JPEG page there keeps them.
 */
export const INTERCHANGE_NAMES_BY_PAGE: readonly (readonly string[])[] = [
  [],
  ["ThumbnailOffset", "ThumbnailLength", "ThumbnailImage"],
  ["JpgFromRawStart", "JpgFromRawLength", "JpgFromRaw"],
];
/**
 * Old-style JPEG's tables stored apart: one offset per component (0: the previous component's
 * table) to a quantization table (its 64 values) or a Huffman table (16 counts, then as many
 * values as they add up to), from which libtiff builds the stream's headers when the page has no
 * interchange format stream. Numbers that decode the pixels and nothing else, copied over like
 * strips, exactly their length; the bytes around them are not.
 */
const OLD_JPEG_TABLES: ReadonlyMap<number, string> = new Map([[519, "JPEGQTables"], [520, "JPEGDCTables"], [521, "JPEGACTables"]]);
const Q_TABLES = 519;
const Q_TABLE_SIZE = 64;
/** A Huffman table codes at most 256 symbols; a page has at most a few components. */
const MAX_HUFFMAN_VALUES = 256;
const MAX_TABLES = 16;

/**
 * The fields that describe how to decode and show the pixels, by tag number and ExifTool name.
 * Everything else in an IFD (Artist, Software, DocumentName, HostComputer, DateTime, the EXIF,
 * GPS, IPTC, XMP and Photoshop pointers, InkNames...) is metadata. XResolution, YResolution and
 * ResolutionUnit stay because TIFF 6.0 lists them as required fields.
 */
export const STRUCTURAL: ReadonlyMap<number, string> = new Map([
  [254, "SubfileType"], [256, "ImageWidth"], [257, "ImageHeight"], [258, "BitsPerSample"], [259, "Compression"],
  [262, "PhotometricInterpretation"], [266, "FillOrder"], [273, "StripOffsets"], [277, "SamplesPerPixel"],
  [278, "RowsPerStrip"], [279, "StripByteCounts"], [282, "XResolution"], [283, "YResolution"],
  [284, "PlanarConfiguration"], [292, "T4Options"], [293, "T6Options"], [296, "ResolutionUnit"],
  [301, "TransferFunction"], [317, "Predictor"], [318, "WhitePoint"], [319, "PrimaryChromaticities"],
  [320, "ColorMap"], [322, "TileWidth"], [323, "TileLength"], [324, "TileOffsets"], [325, "TileByteCounts"],
  [332, "InkSet"], [334, "NumberOfInks"], [338, "ExtraSamples"], [339, "SampleFormat"], [347, "JPEGTables"],
  [529, "YCbCrCoefficients"], [530, "YCbCrSubSampling"], [531, "YCbCrPositioning"], [532, "ReferenceBlackWhite"],
]);
/**
 * How many values a picture field has (TIFF 6.0's fields): one, a fixed number, or at most one per
 * sample ("samples"). A writer giving more has put bytes no reader looks at under a picture
 * field's name, where they could hold anything: the copy keeps the ones readers take.
 */
const VALUE_COUNTS: ReadonlyMap<number, number | "samples"> = new Map<number, number | "samples">([
  [254, 1], [256, 1], [257, 1], [258, "samples"], [259, 1], [262, 1], [266, 1], [277, 1], [278, 1], [282, 1],
  [283, 1], [284, 1], [292, 1], [293, 1], [296, 1], [317, 1], [318, 2], [319, 6], [322, 1], [323, 1], [332, 1],
  [334, 1], [338, "samples"], [339, "samples"], [529, 3], [530, 2], [531, 1], [532, 6],
]);
const SAMPLES_PER_PIXEL = 277;

/** ASCII and UNDEFINED: field types that hold text or any bytes. */
const TEXT_TYPES: ReadonlySet<number> = new Set([2, 7]);

/**
 * ExifTool's names for StripOffsets, StripByteCounts and the strips themselves in a page of
 * JPEG-compressed strips (its rule for camera previews): in a copy holding only pages, they are a
 * page's picture data.
 */
const JPEG_STRIP_NAMES = ["PreviewImageStart", "PreviewImageLength", "PreviewImage"];
const STRUCTURAL_NAMES = new Set([...STRUCTURAL.values(), ...JPEG_STRIP_NAMES, ...OLD_JPEG_FIELDS.values(), ...OLD_JPEG_TABLES.values(), "OtherImage"]);

interface Entry {
  tag: number;
  type: number;
  count: number;
  /** The value's length in bytes. */
  size: number;
  /** The value's bytes when they fit in the entry (4 bytes or fewer, 8 in BigTIFF), in the file's byte order. */
  inline: Buffer | null;
  /** Where the value lies in the file when it does not fit in the entry. */
  offset: number | null;
}

/** Fields whose value points at another IFD: SubIFDs, EXIF, GPS, Interoperability. */
const IFD_POINTERS: ReadonlySet<number> = new Set([330, 34665, 34853, 40965]);
/** EXIF points at Interoperability: two levels below a page are all TIFF writers use. */
const MAX_IFD_DEPTH = 2;
/**
 * Budgets that keep a hostile file's directories from filling memory (the strips and tiles
 * themselves are never held): real files stay far below them.
 */
const MAX_VALUES = 1 << 20;
const MAX_ENTRIES = 1 << 20;

/**
 * TIFF, rewritten by our own code: in TIFF the picture's own description and the metadata share
 * IFD0, and ExifTool refuses to delete IFD0 (its `-all=` leaves Artist, Make, DocumentName...).
 * Each page's IFD is rebuilt with only the fields that decode the pixels, and the strips or tiles
 * are copied byte for byte by their offsets, whatever the file's size. Reduced-resolution IFDs
 * (thumbnails, previews) and SubIFDs are not carried over; a read of its own (tiff-images.ts)
 * then proves that every other image is there with the same data. An orientation cannot be applied
 * without re-encoding, so a non-trivial one stays. Photoshop's layers (tag 37724) stay, cleaned as a
 * PSD's (psd-document-data.ts): content, which Photoshop opens the file with.
 */
export const tiffCleaner: Cleaner = {
  name: "tiff",
  fileTypes: ["TIFF", "BTF"],
  async clean(ctx: CleanContext): Promise<CleanOutcome | void> {
    const hidden: Record<string, number> = {};
    const pictureFields: string[] = [];
    const keptOrientation = await RangeWriter.rewrite(ctx.input, ctx.output, "w", async (src, out) => {
      const file = await TiffReader.open(src);
      const pages = await file.pages();
      let kept = false;
      const cleaned: Entry[][] = [];
      /** Kept entries whose value the copy rewrites: Photoshop's layers, cleaned. */
      const layers = new Map<Entry, Assembly>();
      const layerCleaning = { src, ctx, count: { blocks: 0 }, rewrites: { values: 0 }, hidden };
      for (const entries of pages) {
        const page: Entry[] = [];
        const oldJpeg = await isOldJpeg(file, entries);
        const samplesField = entries.find((e) => e.tag === SAMPLES_PER_PIXEL);
        const samples = samplesField == null ? 1 : await file.first(samplesField);
        const tags = new Set<number>();
        for (const e of entries) {
          // A field given twice is read once, the first (libtiff ignores the others): a second
          // one, under a picture field's name, could carry anything.
          if (tags.has(e.tag)) continue;
          tags.add(e.tag);
          if (STRUCTURAL.has(e.tag) && e.tag !== JPEG_TABLES && TEXT_TYPES.has(e.type)) throw damaged(`its ${STRUCTURAL.get(e.tag)} field is text, not numbers`);
          if (STRUCTURAL.has(e.tag)) {
            const count = VALUE_COUNTS.get(e.tag);
            if (count != null) await file.cutValues(e, count === "samples" ? samples : count);
            page.push(e);
          } else if (oldJpeg && (OLD_JPEG_FIELDS.has(e.tag) || OLD_JPEG_TABLES.has(e.tag))) page.push(e);
          else if (e.tag === ICC_PROFILE) {
            if (ctx.keep.has("colorProfile")) page.push(e);
          } else if (e.tag === ORIENTATION) {
            const o = await file.first(e);
            if (!ctx.keep.has("orientation") && o !== 1) kept = true;
            if (ctx.keep.has("orientation") || o !== 1) page.push(e);
          } else if (e.tag === IMAGE_SOURCE_DATA && e.offset != null) {
            layers.set(e, await cleanDocumentData(layerCleaning, e.offset, e.offset + e.size));
            page.push(e);
          }
        }
        cleaned.push(page);
      }
      await refuseOverlaps(file, pages, cleaned);
      await writeTiff(file, cleaned, layers, out);
      pictureFields.push(...interchangeNames(cleaned));
      return kept;
    });
    await refuseJpegExtras(ctx.output);
    await checkSameImages(ctx.input, ctx.output);
    return {
      ...(keptOrientation ? { alsoKept: ["orientation"] } : {}),
      ...(Object.keys(hidden).length > 0 ? { hidden } : {}),
      ...(pictureFields.length > 0 ? { pictureFields } : {}),
    };
  },
  // The layers' records as ExifTool reads them from tag 37724 are judged as a PSD's.
  isStructural: (t) => (t.group === "EXIF" && STRUCTURAL_NAMES.has(t.tag)) || isPsdStructural(t),
};

/**
 * Kept fields and strips are copied by their offset and length, so one damaged count (a
 * WhitePoint of 258 values instead of 2, a strip byte count with a high bit set) would copy the
 * XMP packet or the EXIF directory lying next to them as if it were picture data. Whatever the
 * damage, no byte the cleaned file copies may belong to a field that is dropped.
 */
async function refuseOverlaps(file: TiffReader, pages: readonly Entry[][], cleaned: readonly Entry[][]): Promise<void> {
  const kept: Range[] = [];
  for (const page of cleaned) append(kept, valueRanges(page), await file.dataRanges(page), await file.tableRanges(page));
  const dropped: Range[] = [];
  for (const [i, entries] of pages.entries()) {
    append(dropped, await file.metadataRanges(entries.filter((e) => !cleaned[i]!.includes(e)), 0));
  }
  if (overlaps(kept, dropped)) throw damaged("its picture fields overlap its metadata");
}

/**
 * Refuses a copy whose JPEG-compressed pages carry, inside their strips, tiles or tables, segments
 * that are no part of the coding (tiff-jpeg.ts): copied byte for byte and unseen by ExifTool, a
 * comment or an EXIF segment there would be handed back. Read from the copy, whose strips lie in
 * order.
 */
async function refuseJpegExtras(file: string): Promise<void> {
  const src = await FileBytes.open(file);
  try {
    const tiff = await TiffReader.open(src);
    for (const page of await tiff.pages()) {
      const compression = page.find((e) => e.tag === COMPRESSION);
      const scheme = compression == null ? null : await tiff.first(compression);
      if (scheme !== JPEG && scheme !== OLD_JPEG) continue;
      const tables = page.find((e) => e.tag === JPEG_TABLES);
      let ranges: Range[] = [...(tables?.offset != null ? [[tables.offset, tables.offset + tables.size] as const] : []), ...(await tiff.dataRanges(page))];
      // Old-style strips are the coded data alone, unless a writer put headers in them, which
      // libtiff then reads (skipping any other segment), with or without a start of image.
      if (scheme === OLD_JPEG) ranges = await startingWithMarker(src, ranges);
      const foreign = await foreignJpegSegment(src, ranges, scheme === OLD_JPEG);
      if (foreign != null) {
        throw new BadFileError(
          "The TIFF file's JPEG-compressed pictures carry data of their own (comments or application segments) that cannot be removed without changing the pictures.",
          new Error(`tiff: a JPEG stream of a page holds ${foreign}`),
        );
      }
    }
  } finally {
    await src.close();
  }
}

/**
 * The names under which ExifTool reads the copy's old-style JPEG pages' interchange format
 * streams (kept: refuseJpegExtras proves they hold only the coding) where they are not
 * "OtherImage": pages are written in order, so the copy's page i is its directory i.
 */
function interchangeNames(pages: readonly Entry[][]): string[] {
  return pages.flatMap((page, i) => (page.some((e) => e.tag === JPEG_INTERCHANGE) ? (INTERCHANGE_NAMES_BY_PAGE[i] ?? []).map((name) => `EXIF:${name}`) : []));
}

/** Where a TIFF's old-style JPEG pages' interchange format streams start: their own pictures, whatever ExifTool names them. */
export async function oldJpegPageStreams(file: string): Promise<number[]> {
  const src = await FileBytes.open(file);
  try {
    return await (await TiffReader.open(src)).pageInterchangeStreams();
  } finally {
    await src.close();
  }
}

/** Whether the page is old-style JPEG, whose interchange format stream and tables the copy keeps. */
async function isOldJpeg(file: TiffReader, entries: readonly Entry[]): Promise<boolean> {
  const compression = entries.find((e) => e.tag === COMPRESSION);
  return compression != null && (await file.first(compression)) === OLD_JPEG;
}

/**
 * The ranges whose bytes start with a JPEG marker: 0xFF, then neither a stuffed 0 nor a restart
 * marker, the two that coded data can start with.
 */
async function startingWithMarker(src: FileBytes, ranges: readonly Range[]): Promise<Range[]> {
  const found: Range[] = [];
  for (const r of ranges) {
    if (r[1] - r[0] < 2) continue;
    const [ff, marker] = await src.read(r[0], 2);
    if (ff === 0xff && marker !== 0 && !(marker! >= 0xd0 && marker! <= 0xd7)) found.push(r);
  }
  return found;
}

/** Pushes one by one: a spread of a million ranges would overflow the call stack. */
function append(target: Range[], ...lists: readonly Range[][]): void {
  for (const list of lists) for (const r of list) target.push(r);
}

function valueRanges(entries: readonly Entry[]): Range[] {
  return entries.flatMap((e): Range[] => (e.offset == null ? [] : [[e.offset, e.offset + e.size]]));
}

class TiffReader {
  private entries = 0;

  private constructor(
    readonly src: FileBytes,
    readonly le: boolean,
    readonly layout: Layout,
  ) {}

  static async open(src: FileBytes): Promise<TiffReader> {
    if (src.size < 16) throw damaged("it is truncated");
    const head = await src.read(0, 16);
    const order = head.toString("latin1", 0, 2);
    if (order !== "II" && order !== "MM") throw damaged("it does not start like a TIFF");
    const le = order === "II";
    const version = le ? head.readUInt16LE(2) : head.readUInt16BE(2);
    // BigTIFF: the offsets' size (8) and a reserved 0 follow the version.
    const big = version === 43 && (le ? head.readUInt32LE(4) : head.readUInt32BE(4)) === (le ? 8 : 0x00080000);
    if (version !== 42 && !big) throw damaged("it is neither a classic TIFF nor a BigTIFF");
    return new TiffReader(src, le, big ? BIG : CLASSIC);
  }

  u16(b: Buffer, at: number): number {
    return this.le ? b.readUInt16LE(at) : b.readUInt16BE(at);
  }

  u32(b: Buffer, at: number): number {
    return this.le ? b.readUInt32LE(at) : b.readUInt32BE(at);
  }

  /** A 64-bit number; one past what a file can hold (2^53) is damage. */
  u64(b: Buffer, at: number): number {
    const v = this.le ? b.readBigUInt64LE(at) : b.readBigUInt64BE(at);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw damaged("an offset or count is out of range");
    return Number(v);
  }

  /** An offset, or an entry's count: 32 bits in a classic TIFF, 64 in BigTIFF. */
  word(b: Buffer, at: number): number {
    return this.layout.big ? this.u64(b, at) : this.u32(b, at);
  }

  /** The main chain's IFDs that are pages (not reduced-resolution copies), with every entry. */
  async pages(): Promise<Entry[][]> {
    const pages: Entry[][] = [];
    const seen = new Set<number>();
    const first = this.layout.big ? 8 : 4;
    for (let at = this.word(await this.src.read(first, this.layout.word), 0); at !== 0; ) {
      if (seen.has(at) || seen.size >= 10_000) throw damaged("its directory chain loops");
      seen.add(at);
      const { entries, next } = await this.ifd(at);
      if (await this.isPage(entries, pages.length === 0)) pages.push(entries);
      at = next;
    }
    if (pages.length === 0) throw damaged("it holds no image");
    return pages;
  }

  /**
   * A page, not a reduced-resolution image: and after the first, one with strips or tiles. A later
   * directory with neither is an EXIF-style thumbnail (old-style JPEG by JPEGInterchangeFormat
   * alone, as EXIF's IFD1), which libtiff cannot open as a page: a copy keeping it would keep the
   * thumbnail under a page's fields.
   */
  private async isPage(entries: readonly Entry[], first: boolean): Promise<boolean> {
    const subfile = entries.find((e) => e.tag === NEW_SUBFILE_TYPE);
    if (subfile != null && ((await this.first(subfile)) & 1) === 1) return false;
    return first || entries.some((e) => e.tag === STRIP_OFFSETS || e.tag === TILE_OFFSETS);
  }

  /** The offsets of the interchange format streams of the file's old-style JPEG pages (see INTERCHANGE_NAMES_BY_PAGE). */
  async pageInterchangeStreams(): Promise<number[]> {
    const starts: number[] = [];
    for (const page of await this.pages()) {
      const stream = page.find((e) => e.tag === JPEG_INTERCHANGE);
      if (stream != null && (await isOldJpeg(this, page))) starts.push(await this.first(stream));
    }
    return starts;
  }

  /** The entries of the IFD at `at`, whose table (and next-IFD pointer) must lie in the file. */
  async ifd(at: number): Promise<{ entries: Entry[]; next: number; length: number }> {
    const { countSize, entrySize, word } = this.layout;
    if (at + countSize > this.src.size) throw damaged("it is truncated");
    const head = await this.src.read(at, countSize);
    const n = countSize === 2 ? this.u16(head, 0) : this.u64(head, 0);
    this.entries += n;
    if (this.entries > MAX_ENTRIES) throw new TooComplexError(`a TIFF with more than ${MAX_ENTRIES} directory entries`);
    const length = countSize + n * entrySize + word;
    if (at + length > this.src.size) throw damaged("it is truncated");
    const table = await this.src.read(at, length);
    const entries = Array.from({ length: n }, (_, i) => this.entry(table, countSize + i * entrySize));
    return { entries, next: this.word(table, countSize + n * entrySize), length };
  }

  /** The strips or tiles the entries point at. */
  async dataRanges(entries: readonly Entry[]): Promise<Range[]> {
    const ranges: Range[] = [];
    for (const [offsetsTag, countsTag] of DATA_POINTERS) {
      const offsets = entries.find((e) => e.tag === offsetsTag);
      const counts = entries.find((e) => e.tag === countsTag);
      if (offsets == null || counts == null) continue;
      const lengths = await this.numbers(counts);
      for (const [i, from] of (await this.numbers(offsets)).entries()) ranges.push([from, from + (lengths[i] ?? 0)]);
    }
    return ranges;
  }

  /** The old-style JPEG tables stored apart that the entries point at. */
  async tableRanges(entries: readonly Entry[]): Promise<Range[]> {
    const ranges: Range[] = [];
    for (const e of entries) if (OLD_JPEG_TABLES.has(e.tag)) for (const r of await this.tables(e)) if (r != null) ranges.push(r);
    return ranges;
  }

  /** Each value's table of a JPEGQTables, JPEGDCTables or JPEGACTables field; null for a 0. */
  async tables(e: Entry): Promise<(Range | null)[]> {
    if (e.count > MAX_TABLES) throw damaged("an old-style JPEG table field has more values than a page has components");
    const ranges: (Range | null)[] = [];
    for (const at of await this.numbers(e)) {
      if (at === 0) {
        ranges.push(null);
        continue;
      }
      let length = Q_TABLE_SIZE;
      if (e.tag !== Q_TABLES) {
        if (at + 16 > this.src.size) throw damaged("a JPEG table lies outside the file");
        const symbols = (await this.src.read(at, 16)).reduce((sum, n) => sum + n, 0);
        if (symbols > MAX_HUFFMAN_VALUES) throw damaged("a JPEG Huffman table codes more than 256 symbols");
        length = 16 + symbols;
      }
      if (at + length > this.src.size) throw damaged("a JPEG table lies outside the file");
      ranges.push([at, at + length]);
    }
    return ranges;
  }

  /** Every byte the entries' values take, and for IFD pointers the whole IFD pointed at. */
  async metadataRanges(entries: readonly Entry[], depth: number): Promise<Range[]> {
    const ranges: Range[] = [];
    for (const e of entries) {
      append(ranges, valueRanges([e]));
      if (!IFD_POINTERS.has(e.tag) || depth >= MAX_IFD_DEPTH) continue;
      const asNumbers = e.type === IFD_TYPE ? { ...e, type: LONG } : e.type === IFD8 ? { ...e, type: LONG8 } : e;
      for (const at of await this.numbers(asNumbers)) {
        const ifd = await this.ifd(at);
        ranges.push([at, at + ifd.length]);
        append(ranges, await this.metadataRanges(ifd.entries, depth + 1));
      }
    }
    return ranges;
  }

  private entry(table: Buffer, at: number): Entry {
    const { word } = this.layout;
    const tag = this.u16(table, at);
    const type = this.u16(table, at + 2);
    const count = this.word(table, at + 4);
    const size = (TYPE_SIZE[type] ?? 1) * count;
    const value = at + 4 + word;
    if (size <= word) return { tag, type, count, size, inline: table.subarray(value, value + size), offset: null };
    const from = this.word(table, value);
    if (from + size > this.src.size) throw damaged("a field points outside the file");
    return { tag, type, count, size, inline: null, offset: from };
  }

  /**
   * Cuts a field to its first `count` values, where it has more, in place: it stays the page's own
   * entry, not one the overlap check would take for a field left out.
   */
  async cutValues(e: Entry, count: number): Promise<void> {
    if (e.count <= count) return;
    const size = (TYPE_SIZE[e.type] ?? 1) * count;
    const inline = size <= this.layout.word ? Buffer.from(await this.value(e, size)) : null;
    Object.assign(e, { count, size }, inline == null ? {} : { inline, offset: null });
  }

  /** A field's value: at most MAX_VALUES numbers' worth, so callers check the type and count first. */
  private value(e: Entry, length = e.size): Promise<Buffer> {
    return e.inline != null ? Promise.resolve(e.inline.subarray(0, length)) : this.src.read(e.offset!, length);
  }

  /**
   * The first number of a SHORT, LONG or LONG8 field. A damaged type or a count of 0 leaves fewer
   * bytes than a read needs, so the field is checked here rather than read blindly.
   */
  async first(e: Entry): Promise<number> {
    const step = this.step(e);
    if (e.count === 0) throw damaged("a field has no value");
    return this.number(await this.value(e, step), 0, step);
  }

  /** Numbers of a SHORT, LONG or LONG8 field. */
  async numbers(e: Entry): Promise<number[]> {
    const step = this.step(e);
    if (e.count > MAX_VALUES) throw new TooComplexError(`a TIFF field with more than ${MAX_VALUES} values`);
    const b = await this.value(e, e.count * step);
    return Array.from({ length: e.count }, (_, i) => this.number(b, i * step, step));
  }

  private number(b: Buffer, at: number, step: 2 | 4 | 8): number {
    return step === 2 ? this.u16(b, at) : step === 4 ? this.u32(b, at) : this.u64(b, at);
  }

  /** The bytes per number of a SHORT, LONG or (BigTIFF only) LONG8 field. */
  private step(e: Entry): 2 | 4 | 8 {
    if (e.type === SHORT) return 2;
    if (e.type === LONG) return 4;
    if (e.type === LONG8 && this.layout.big) return 8;
    throw damaged("a field has a wrong type");
  }
}

/**
 * Lays out a new TIFF in the source's byte order and kind (classic or BigTIFF): header, then for
 * each page its strips or tiles, its out-of-line values and its IFD (entries sorted by tag, as the
 * format requires). An entry of `rewritten` gets that value, of undefined type, instead of its own.
 */
async function writeTiff(src: TiffReader, pages: readonly Entry[][], rewritten: ReadonlyMap<Entry, Assembly>, out: RangeWriter): Promise<void> {
  const { big, word } = src.layout;
  const w = new Encoder(src.le, big);
  out.bytes(Buffer.concat([Buffer.from(src.le ? "II" : "MM", "latin1"), ...(big ? [w.u16(43), w.u16(8), w.u16(0)] : [w.u16(42)])]));
  let nextPointer = out.length;
  out.bytes(w.word(0));

  const align = (): void => {
    // TIFF offsets must be even (word-aligned).
    if (out.length % 2 === 1) out.bytes(Buffer.alloc(1));
  };
  /** A field's value becomes the offsets of what it points at in the copy. */
  const pointAt = (f: Entry, moved: readonly number[]): void => {
    const value = w.words(moved);
    Object.assign(f, { type: big ? LONG8 : LONG, size: value.length, inline: value, offset: null });
  };
  for (const entries of pages) {
    const fields = entries.map((e) => {
      const value = rewritten.get(e);
      return { ...e, ...(value == null ? {} : { type: UNDEFINED, count: value.length, size: value.length, value }) };
    });
    /** The page's single strip or tile and its tables, where the copy has them. */
    const copied: { from: number; length: number; at: number }[] = [];
    for (const [offsetsTag, countsTag] of DATA_POINTERS) {
      const offsets = fields.find((e) => e.tag === offsetsTag);
      const counts = fields.find((e) => e.tag === countsTag);
      if (offsets == null) continue;
      if (counts == null && offsetsTag === JPEG_INTERCHANGE && offsets.count === 1) {
        // Without its length, an old-style JPEG page's interchange stream is read on from its start
        // (libtiff); writers leave the length out when the stream is the page's only strip (Kofax's
        // scanner software, Pillow's old-style-jpeg-compression.tif): it then points at the copy.
        const start = (await src.numbers(offsets))[0];
        const strip = copied.find((c) => c.from === start);
        if (strip == null) throw damaged("its image data is not described");
        pointAt(offsets, [strip.at]);
        continue;
      }
      if (counts == null || counts.count !== offsets.count) throw damaged("its image data is not described");
      const lengths = await src.numbers(counts);
      const moved: number[] = [];
      const starts = await src.numbers(offsets);
      for (const [i, from] of starts.entries()) {
        const len = lengths[i] ?? 0;
        if (from + len > src.src.size) throw damaged("its image data is truncated");
        // An old-style JPEG page whose strip is its whole interchange stream: the bytes once.
        const same = offsetsTag === JPEG_INTERCHANGE ? copied.find((c) => c.from === from && c.length === len) : undefined;
        if (same != null) {
          moved.push(same.at);
          continue;
        }
        align();
        moved.push(out.length);
        if (starts.length === 1) copied.push({ from, length: len, at: out.length });
        out.copy(from, from + len);
        if (out.full) await out.flush();
      }
      pointAt(offsets, moved);
    }
    for (const f of fields.filter((e) => OLD_JPEG_TABLES.has(e.tag))) {
      const moved: number[] = [];
      for (const r of await src.tables(f)) {
        // Components sharing a table point at one copy of it.
        const same = r == null ? undefined : copied.find((c) => c.from === r[0] && c.length === r[1] - r[0]);
        if (r == null || same != null) {
          moved.push(same?.at ?? 0);
          continue;
        }
        align();
        copied.push({ from: r[0], length: r[1] - r[0], at: out.length });
        moved.push(out.length);
        out.copy(r[0], r[1]);
      }
      pointAt(f, moved);
    }
    fields.sort((a, b) => a.tag - b.tag);
    const outOfLine: (number | null)[] = [];
    for (const f of fields) {
      if (f.size <= word) {
        outOfLine.push(null);
        continue;
      }
      align();
      outOfLine.push(out.length);
      if (f.value != null) await f.value.writeTo(out);
      else if (f.offset != null) out.copy(f.offset, f.offset + f.size);
      else out.bytes(f.inline!);
    }
    align();
    await out.patch(nextPointer, w.word(out.length));
    const ifd = [big ? w.word(fields.length) : w.u16(fields.length)];
    fields.forEach((f, i) => {
      ifd.push(w.u16(f.tag), w.u16(f.type), w.word(f.count));
      const at = outOfLine[i];
      ifd.push(at != null ? w.word(at) : Buffer.concat([f.inline!, Buffer.alloc(word - f.size)]));
    });
    out.bytes(Buffer.concat(ifd));
    nextPointer = out.length;
    out.bytes(w.word(0));
    if (out.full) await out.flush();
  }
}

/** Numbers in the file's byte order; offsets and counts ("words") of its kind. */
class Encoder {
  constructor(
    private readonly le: boolean,
    private readonly big: boolean,
  ) {}

  u16(v: number): Buffer {
    const b = Buffer.alloc(2);
    if (this.le) b.writeUInt16LE(v);
    else b.writeUInt16BE(v);
    return b;
  }

  word(v: number): Buffer {
    return this.words([v]);
  }

  /** LONGs in a classic TIFF, LONG8s in BigTIFF. */
  words(values: readonly number[]): Buffer {
    const size = this.big ? 8 : 4;
    const b = Buffer.alloc(values.length * size);
    for (const [i, v] of values.entries()) {
      if (this.big && this.le) b.writeBigUInt64LE(BigInt(v), i * 8);
      else if (this.big) b.writeBigUInt64BE(BigInt(v), i * 8);
      else if (this.le) b.writeUInt32LE(v, i * 4);
      else b.writeUInt32BE(v, i * 4);
    }
    return b;
  }
}

function damaged(why: string): BadFileError {
  return new BadFileError(`The TIFF file is damaged: ${why}.`);
}
