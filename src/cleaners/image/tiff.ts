import fsp from "node:fs/promises";
import { BadFileError } from "../errors.js";
import type { CleanContext, CleanOutcome, Cleaner } from "../types.js";

/** Bytes per value of each TIFF field type (1 BYTE ... 13 IFD). */
const TYPE_SIZE: Readonly<Record<number, number>> = { 1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8, 13: 4 };
const SHORT = 3;
const LONG = 4;
const IFD_TYPE = 13;

const ORIENTATION = 274;
const ICC_PROFILE = 34675;
const NEW_SUBFILE_TYPE = 254;
const COMPRESSION = 259;
/** Offsets to image data, each with the tag giving the matching byte counts. */
const DATA_POINTERS: ReadonlyMap<number, number> = new Map([
  [273, 279], // StripOffsets -> StripByteCounts
  [324, 325], // TileOffsets -> TileByteCounts
]);

/**
 * The fields that describe how to decode and show the pixels, by tag number and ExifTool name.
 * Everything else in an IFD (Artist, Software, DocumentName, HostComputer, DateTime, the EXIF,
 * GPS, IPTC, XMP and Photoshop pointers, InkNames...) is metadata. XResolution, YResolution and
 * ResolutionUnit stay because TIFF 6.0 lists them as required fields.
 */
const STRUCTURAL: ReadonlyMap<number, string> = new Map([
  [254, "SubfileType"], [256, "ImageWidth"], [257, "ImageHeight"], [258, "BitsPerSample"], [259, "Compression"],
  [262, "PhotometricInterpretation"], [266, "FillOrder"], [273, "StripOffsets"], [277, "SamplesPerPixel"],
  [278, "RowsPerStrip"], [279, "StripByteCounts"], [282, "XResolution"], [283, "YResolution"],
  [284, "PlanarConfiguration"], [292, "T4Options"], [293, "T6Options"], [296, "ResolutionUnit"],
  [301, "TransferFunction"], [317, "Predictor"], [318, "WhitePoint"], [319, "PrimaryChromaticities"],
  [320, "ColorMap"], [322, "TileWidth"], [323, "TileLength"], [324, "TileOffsets"], [325, "TileByteCounts"],
  [332, "InkSet"], [334, "NumberOfInks"], [338, "ExtraSamples"], [339, "SampleFormat"], [347, "JPEGTables"],
  [529, "YCbCrCoefficients"], [530, "YCbCrSubSampling"], [531, "YCbCrPositioning"], [532, "ReferenceBlackWhite"],
]);
const STRUCTURAL_NAMES = new Set(STRUCTURAL.values());

interface Entry {
  tag: number;
  type: number;
  count: number;
  /** The value's bytes, in the file's byte order. */
  value: Buffer;
  /** Where the value lies in the file when it does not fit in the entry (more than 4 bytes). */
  offset: number | null;
}

/** A byte range [start, end) of the source file. */
type Range = readonly [number, number];

/** Fields whose value points at another IFD: SubIFDs, EXIF, GPS, Interoperability. */
const IFD_POINTERS: ReadonlySet<number> = new Set([330, 34665, 34853, 40965]);
/** EXIF points at Interoperability: two levels below a page are all TIFF writers use. */
const MAX_IFD_DEPTH = 2;

/**
 * TIFF, rewritten by our own code: in TIFF the picture's own description and the metadata share
 * IFD0, and ExifTool refuses to delete IFD0 (its `-all=` leaves Artist, Make, DocumentName...).
 * Each page's IFD is rebuilt with only the fields that decode the pixels, and the strips or tiles
 * are copied byte for byte. Reduced-resolution IFDs (thumbnails, previews) and SubIFDs are not
 * carried over. An orientation cannot be applied without re-encoding, so a non-trivial one stays.
 */
export const tiffCleaner: Cleaner = {
  name: "tiff",
  fileTypes: ["TIFF"],
  async clean(ctx: CleanContext): Promise<CleanOutcome | void> {
    const file = new TiffReader(await fsp.readFile(ctx.input));
    const pages = file.pages();
    let keptOrientation = false;
    const cleaned = pages.map((entries) =>
      entries.filter((e) => {
        if (STRUCTURAL.has(e.tag)) return true;
        if (e.tag === ICC_PROFILE) return ctx.keep.has("colorProfile");
        if (e.tag !== ORIENTATION) return false;
        const o = file.first(e);
        if (!ctx.keep.has("orientation") && o !== 1) keptOrientation = true;
        return ctx.keep.has("orientation") || o !== 1;
      }),
    );
    refuseOverlaps(file, pages, cleaned);
    await fsp.writeFile(ctx.output, writeTiff(file, cleaned));
    if (keptOrientation) return { alsoKept: ["orientation"] };
  },
  isStructural: (t) => t.group === "EXIF" && STRUCTURAL_NAMES.has(t.tag),
};

/**
 * Kept fields and strips are copied by their offset and length, so one damaged count (a
 * WhitePoint of 258 values instead of 2, a strip byte count with a high bit set) would copy the
 * XMP packet or the EXIF directory lying next to them as if it were picture data. Whatever the
 * damage, no byte the cleaned file copies may belong to a field that is dropped.
 */
function refuseOverlaps(file: TiffReader, pages: readonly Entry[][], cleaned: readonly Entry[][]): void {
  const kept = cleaned.flatMap((entries) => [...valueRanges(entries), ...file.dataRanges(entries)]);
  const dropped = pages.flatMap((entries, i) => file.metadataRanges(entries.filter((e) => !cleaned[i]!.includes(e)), 0));
  const overlap = kept.some(([a, b]) => dropped.some(([c, d]) => a < d && c < b));
  if (overlap) throw damaged("its picture fields overlap its metadata");
}

function valueRanges(entries: readonly Entry[]): Range[] {
  return entries.flatMap((e): Range[] => (e.offset == null ? [] : [[e.offset, e.offset + e.value.length]]));
}

class TiffReader {
  readonly le: boolean;

  constructor(readonly buf: Buffer) {
    const order = buf.toString("latin1", 0, 2);
    if (buf.length < 8 || (order !== "II" && order !== "MM")) throw damaged("it does not start like a TIFF");
    this.le = order === "II";
    if (this.u16(buf, 2) !== 42) throw damaged("it is not a classic TIFF");
  }

  u16(b: Buffer, at: number): number {
    return this.le ? b.readUInt16LE(at) : b.readUInt16BE(at);
  }

  u32(b: Buffer, at: number): number {
    return this.le ? b.readUInt32LE(at) : b.readUInt32BE(at);
  }

  /** The main chain's IFDs that are pages (not reduced-resolution copies), with every entry. */
  pages(): Entry[][] {
    const pages: Entry[][] = [];
    const seen = new Set<number>();
    for (let at = this.u32(this.buf, 4); at !== 0; ) {
      if (seen.has(at) || seen.size >= 10_000) throw damaged("its directory chain loops");
      seen.add(at);
      const entries = this.ifd(at);
      const subfile = entries.find((e) => e.tag === NEW_SUBFILE_TYPE);
      if (subfile == null || (this.first(subfile) & 1) === 0) pages.push(entries);
      at = this.u32(this.buf, at + 2 + entries.length * 12);
    }
    if (pages.length === 0) throw damaged("it holds no image");
    for (const p of pages) {
      // Old-style JPEG compression points at its data with fields of its own; not supported.
      const compression = p.find((e) => e.tag === COMPRESSION);
      if (compression != null && this.first(compression) === 6) throw damaged("it uses old-style JPEG compression");
    }
    return pages;
  }

  /** The entries of the IFD at `at`, whose table (and next-IFD pointer) must lie in the file. */
  ifd(at: number): Entry[] {
    if (at + 2 > this.buf.length) throw damaged("it is truncated");
    const n = this.u16(this.buf, at);
    if (at + 2 + n * 12 + 4 > this.buf.length) throw damaged("it is truncated");
    return Array.from({ length: n }, (_, i) => this.entry(at + 2 + i * 12));
  }

  /** The strips or tiles the entries point at. */
  dataRanges(entries: readonly Entry[]): Range[] {
    return [...DATA_POINTERS].flatMap(([offsetsTag, countsTag]) => {
      const offsets = entries.find((e) => e.tag === offsetsTag);
      const counts = entries.find((e) => e.tag === countsTag);
      if (offsets == null || counts == null) return [];
      const lengths = this.numbers(counts);
      return this.numbers(offsets).map((from, i): Range => [from, from + (lengths[i] ?? 0)]);
    });
  }

  /** Every byte the entries' values take, and for IFD pointers the whole IFD pointed at. */
  metadataRanges(entries: readonly Entry[], depth: number): Range[] {
    return entries.flatMap((e) => {
      const own = valueRanges([e]);
      if (!IFD_POINTERS.has(e.tag) || depth >= MAX_IFD_DEPTH) return own;
      const pointers = this.numbers(e.type === IFD_TYPE ? { ...e, type: LONG } : e);
      return [...own, ...pointers.flatMap((at) => this.ifdRanges(at, depth + 1))];
    });
  }

  private ifdRanges(at: number, depth: number): Range[] {
    const entries = this.ifd(at);
    return [[at, at + 2 + entries.length * 12 + 4], ...this.metadataRanges(entries, depth)];
  }

  private entry(at: number): Entry {
    const tag = this.u16(this.buf, at);
    const type = this.u16(this.buf, at + 2);
    const count = this.u32(this.buf, at + 4);
    const size = (TYPE_SIZE[type] ?? 1) * count;
    const from = size <= 4 ? at + 8 : this.u32(this.buf, at + 8);
    if (from + size > this.buf.length) throw damaged("a field points outside the file");
    return { tag, type, count, value: this.buf.subarray(from, from + size), offset: size <= 4 ? null : from };
  }

  /**
   * The first number of a SHORT or LONG field. A damaged type or a count of 0 leaves fewer bytes
   * than a read needs, so the field is checked here rather than read blindly.
   */
  first(e: Entry): number {
    const [n] = this.numbers(e);
    if (n == null) throw damaged("a field has no value");
    return n;
  }

  /** Numbers of a SHORT or LONG field. */
  numbers(e: Entry): number[] {
    if (e.type !== SHORT && e.type !== LONG) throw damaged("a field has a wrong type");
    const step = e.type === SHORT ? 2 : 4;
    return Array.from({ length: e.count }, (_, i) => (step === 2 ? this.u16(e.value, i * 2) : this.u32(e.value, i * 4)));
  }
}

/**
 * Lays out a new TIFF in the source's byte order: header, then for each page its strips or tiles,
 * its out-of-line values and its IFD (entries sorted by tag, as the format requires).
 */
function writeTiff(src: TiffReader, pages: readonly Entry[][]): Buffer {
  const w = new Writer(src.le);
  w.bytes(Buffer.from(src.le ? "II" : "MM", "latin1"));
  w.u16(42);
  let nextPointer = w.reserve32();
  for (const entries of pages) {
    const fields = entries.map((e) => ({ ...e }));
    for (const [offsetsTag, countsTag] of DATA_POINTERS) {
      const offsets = fields.find((e) => e.tag === offsetsTag);
      const counts = fields.find((e) => e.tag === countsTag);
      if (offsets == null) continue;
      if (counts == null || counts.count !== offsets.count) throw damaged("its image data is not described");
      const lengths = src.numbers(counts);
      const moved = src.numbers(offsets).map((from, i) => {
        const len = lengths[i] ?? 0;
        if (from + len > src.buf.length) throw damaged("its image data is truncated");
        w.align();
        const at = w.length;
        w.bytes(src.buf.subarray(from, from + len));
        return at;
      });
      Object.assign(offsets, { type: LONG, value: w.longs(moved) });
    }
    fields.sort((a, b) => a.tag - b.tag);
    const outOfLine = fields.map((f) => {
      if (f.value.length <= 4) return null;
      w.align();
      const at = w.length;
      w.bytes(f.value);
      return at;
    });
    w.align();
    w.patch32(nextPointer, w.length);
    w.u16(fields.length);
    fields.forEach((f, i) => {
      w.u16(f.tag);
      w.u16(f.type);
      w.u32(f.count);
      const at = outOfLine[i];
      if (at != null) w.u32(at);
      else w.bytes(Buffer.concat([f.value, Buffer.alloc(4 - f.value.length)]));
    });
    nextPointer = w.reserve32();
  }
  return w.done();
}

class Writer {
  private readonly parts: Buffer[] = [];
  private readonly patches: { at: number; value: number }[] = [];
  length = 0;

  constructor(private readonly le: boolean) {}

  bytes(b: Buffer): void {
    this.parts.push(b);
    this.length += b.length;
  }

  u16(v: number): void {
    const b = Buffer.alloc(2);
    if (this.le) b.writeUInt16LE(v);
    else b.writeUInt16BE(v);
    this.bytes(b);
  }

  u32(v: number): void {
    const b = Buffer.alloc(4);
    if (this.le) b.writeUInt32LE(v);
    else b.writeUInt32BE(v);
    this.bytes(b);
  }

  longs(values: readonly number[]): Buffer {
    const b = Buffer.alloc(values.length * 4);
    values.forEach((v, i) => (this.le ? b.writeUInt32LE(v, i * 4) : b.writeUInt32BE(v, i * 4)));
    return b;
  }

  /** TIFF offsets must be even (word-aligned). */
  align(): void {
    if (this.length % 2 === 1) this.bytes(Buffer.alloc(1));
  }

  reserve32(): number {
    const at = this.length;
    this.u32(0);
    return at;
  }

  patch32(at: number, value: number): void {
    this.patches.push({ at, value });
  }

  done(): Buffer {
    const out = Buffer.concat(this.parts);
    for (const p of this.patches) {
      if (this.le) out.writeUInt32LE(p.value, p.at);
      else out.writeUInt32BE(p.value, p.at);
    }
    return out;
  }
}

function damaged(why: string): BadFileError {
  return new BadFileError(`The TIFF file is damaged: ${why}.`);
}
