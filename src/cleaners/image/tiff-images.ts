import crypto from "node:crypto";
import { BadFileError, TooComplexError } from "../errors.js";
import { FileBytes } from "../file-bytes.js";

/**
 * The images a TIFF holds, read on their own (apart from the TIFF cleaner's reader and writer) to
 * prove that cleaning lost none: every directory with strips or tiles that is not a
 * reduced-resolution copy (a thumbnail or preview, which cleaning drops as metadata), in the main
 * chain and in SubIFDs, with a digest of its image data, streamed. A SubIFD's image smaller than
 * its page both ways is such a copy too, marked or not (tifffile writes a pyramid's levels so).
 */
export interface TiffImage {
  width: number;
  height: number;
  /** Bytes of image data and their SHA-256, strips or tiles in order. */
  bytes: number;
  digest: string;
}

const CHANGED = "The file could not be cleaned without changing its content; it may be damaged.";

const NEW_SUBFILE_TYPE = 254;
const SUBFILE_TYPE = 255;
const IMAGE_WIDTH = 256;
const IMAGE_LENGTH = 257;
const SUB_IFDS = 330;
/** Offsets to image data, each with the tag giving the matching byte counts. */
const DATA: readonly (readonly [number, number])[] = [
  [273, 279], // StripOffsets, StripByteCounts
  [324, 325], // TileOffsets, TileByteCounts
];
const COMPRESSION = 259;
/**
 * Old-style JPEG (compression 6) decodes its strips with the headers and tables of one more
 * stream, JPEGInterchangeFormat and its length, or with tables stored apart (JPEGQTables,
 * JPEGDCTables, JPEGACTables: an offset per component to 64 quantization values, or to a Huffman
 * table's 16 counts and as many values as they add up to): part of the image's data.
 */
const OLD_JPEG = 6;
const JPEG_INTERCHANGE: readonly [number, number] = [513, 514];
const Q_TABLES = 519;
const HUFFMAN_TABLES = [520, 521];
const SHORT = 3;
const LONG = 4;
const IFD = 13;
/** BigTIFF's 64-bit number and IFD pointer. */
const LONG8 = 16;
const IFD8 = 18;
const NUMBER_TYPES: ReadonlySet<number> = new Set([SHORT, LONG, IFD, LONG8, IFD8]);
const MAX_DIRECTORIES = 10_000;
const MAX_VALUES = 1 << 20;
const CHUNK = 1 << 20;

/** Refuses a cleaned TIFF that does not hold the original's images, each with the same data. */
export async function checkSameImages(original: string, cleaned: string): Promise<void> {
  const before = await tiffImages(original);
  const after = await tiffImages(cleaned);
  const same = before.length === after.length && before.every((b, i) => sameImage(b, after[i]!));
  if (!same) throw new BadFileError(CHANGED, new Error(`tiff: the images ${describe(before)} became ${describe(after)}`));
}

function sameImage(a: TiffImage, b: TiffImage): boolean {
  return a.width === b.width && a.height === b.height && a.bytes === b.bytes && a.digest === b.digest;
}

function describe(images: readonly TiffImage[]): string {
  return `[${images.map((i) => `${i.width}x${i.height} ${i.bytes} bytes ${i.digest.slice(0, 12)}`).join(", ")}]`;
}

export async function tiffImages(file: string): Promise<TiffImage[]> {
  const src = await FileBytes.open(file);
  try {
    return await new Walker(src).images();
  } finally {
    await src.close();
  }
}

interface Field {
  type: number;
  count: number;
  /** Where the value's bytes are (in the entry itself when they fit in 4 bytes). */
  at: number;
}

class Walker {
  private readonly seen = new Set<number>();
  private le = true;
  /** BigTIFF: offsets and counts of 64 bits, entries of 20 bytes. */
  private big = false;

  constructor(private readonly src: FileBytes) {}

  async images(): Promise<TiffImage[]> {
    const head = await this.read(0, 8);
    const order = head.toString("latin1", 0, 2);
    if (order !== "II" && order !== "MM") throw damaged("no TIFF header");
    this.le = order === "II";
    const version = this.u16(head, 2);
    this.big = version === 43 && this.u16(head, 4) === 8 && this.u16(head, 6) === 0;
    if (version !== 42 && !this.big) throw damaged("neither a classic TIFF nor a BigTIFF");
    const images: TiffImage[] = [];
    await this.chain(this.big ? this.u64(await this.read(8, 8), 0) : this.u32(head, 4), images, null);
    return images;
  }

  /**
   * A chain of directories from `at`, each with its SubIFDs (one level below the pages, whose
   * `page` image is given). A SubIFD's chain may lead to a directory the SubIFDs list as well
   * (tifffile links a page's SubIFDs so, Pillow's child_ifd.tiff): it ends there, where a page
   * reached twice is damage.
   */
  private async chain(first: number, images: TiffImage[], page: TiffImage | "none" | null): Promise<void> {
    for (let at = first; at !== 0; ) {
      if (this.seen.has(at) && page != null) return;
      if (this.seen.has(at)) throw damaged("a directory is reached twice");
      this.seen.add(at);
      if (this.seen.size > MAX_DIRECTORIES) throw new TooComplexError(`a TIFF with more than ${MAX_DIRECTORIES} directories`);
      const { fields, next } = await this.directory(at);
      const image = await this.image(fields);
      if (image != null && !(page != null && page !== "none" && smaller(image, page))) images.push(image);
      const subs = fields.get(SUB_IFDS);
      if (subs != null && page == null) for (const sub of await this.numbers(subs)) await this.chain(sub, images, image ?? "none");
      at = next;
    }
  }

  private async directory(at: number): Promise<{ fields: Map<number, Field>; next: number }> {
    const [countSize, entrySize, word] = this.big ? [8, 20, 8] : [2, 12, 4];
    const head = await this.read(at, countSize);
    const n = this.big ? this.u64(head, 0) : this.u16(head, 0);
    if (n > MAX_VALUES) throw new TooComplexError(`a TIFF directory of more than ${MAX_VALUES} entries`);
    const table = await this.read(at + countSize, n * entrySize + word);
    const fields = new Map<number, Field>();
    for (let i = 0; i < n; i++) {
      const e = i * entrySize;
      const type = this.u16(table, e + 2);
      const count = this.offset(table, e + 4);
      // Only numbers are read (`numbers`): another type's value, text or fractions, is never followed.
      const inline = !NUMBER_TYPES.has(type) || this.size(type) * count <= word;
      fields.set(this.u16(table, e), { type, count, at: inline ? at + countSize + e + 4 + word : this.offset(table, e + 4 + word) });
    }
    return { fields, next: this.offset(table, n * entrySize) };
  }

  /** Bytes per value of the types this walk reads as numbers. */
  private size(type: number): 2 | 4 | 8 {
    return type === SHORT ? 2 : type === LONG8 || type === IFD8 ? 8 : 4;
  }

  /** An offset or count: 32 bits, 64 in BigTIFF. */
  private offset(b: Buffer, at: number): number {
    return this.big ? this.u64(b, at) : this.u32(b, at);
  }

  /** The directory's image, or null for one without image data or a reduced-resolution copy. */
  private async image(fields: ReadonlyMap<number, Field>): Promise<TiffImage | null> {
    const newType = fields.get(NEW_SUBFILE_TYPE);
    if (newType != null && ((await this.numbers(newType))[0]! & 1) === 1) return null;
    const oldType = fields.get(SUBFILE_TYPE);
    if (oldType != null && (await this.numbers(oldType))[0] === 2) return null;
    for (const [offsetsTag, countsTag] of DATA) {
      const offsets = fields.get(offsetsTag);
      const counts = fields.get(countsTag);
      if (offsets == null || counts == null) continue;
      const ranges = [{ from: await this.numbers(offsets), lengths: await this.numbers(counts) }];
      const compression = fields.get(COMPRESSION);
      if (compression != null && (await this.numbers(compression))[0] === OLD_JPEG) ranges.push(...(await this.oldJpegRanges(fields)));
      const hash = crypto.createHash("sha256");
      let bytes = 0;
      for (const { from, lengths } of ranges) {
        for (const [i, at] of from.entries()) {
          const size = lengths[i] ?? 0;
          if (at + size > this.src.size) throw damaged("image data outside the file");
          for (let done = 0; done < size; done += CHUNK) hash.update(await this.read(at + done, Math.min(CHUNK, size - done)));
          bytes += size;
        }
      }
      const width = fields.get(IMAGE_WIDTH);
      const height = fields.get(IMAGE_LENGTH);
      return {
        width: width == null ? 0 : ((await this.numbers(width))[0] ?? 0),
        height: height == null ? 0 : ((await this.numbers(height))[0] ?? 0),
        bytes,
        digest: hash.digest("hex"),
      };
    }
    return null;
  }

  /** An old-style JPEG page's interchange format stream and tables stored apart, in tag order. */
  private async oldJpegRanges(fields: ReadonlyMap<number, Field>): Promise<{ from: number[]; lengths: number[] }[]> {
    const ranges: { from: number[]; lengths: number[] }[] = [];
    const [start, length] = JPEG_INTERCHANGE.map((t) => fields.get(t));
    if (start != null && length != null) ranges.push({ from: await this.numbers(start), lengths: await this.numbers(length) });
    for (const tag of [Q_TABLES, ...HUFFMAN_TABLES]) {
      const field = fields.get(tag);
      if (field == null) continue;
      const from = (await this.numbers(field)).filter((at) => at !== 0);
      const lengths: number[] = [];
      for (const at of from) {
        lengths.push(tag === Q_TABLES ? 64 : 16 + (await this.read(at, 16)).reduce((sum, n) => sum + n, 0));
      }
      ranges.push({ from, lengths });
    }
    return ranges;
  }

  private async numbers(f: Field): Promise<number[]> {
    const wide = f.type === LONG8 || f.type === IFD8;
    if (f.type !== SHORT && f.type !== LONG && f.type !== IFD && !(wide && this.big)) throw damaged("a pointer or size field has a wrong type");
    if (f.count > MAX_VALUES) throw new TooComplexError(`a TIFF field with more than ${MAX_VALUES} values`);
    const step = this.size(f.type);
    const b = await this.read(f.at, f.count * step);
    return Array.from({ length: f.count }, (_, i) => (step === 2 ? this.u16(b, i * 2) : step === 4 ? this.u32(b, i * 4) : this.u64(b, i * 8)));
  }

  private async read(at: number, length: number): Promise<Buffer> {
    if (at + length > this.src.size) throw damaged("truncated");
    return this.src.read(at, length);
  }

  private u16(b: Buffer, at: number): number {
    return this.le ? b.readUInt16LE(at) : b.readUInt16BE(at);
  }

  private u32(b: Buffer, at: number): number {
    return this.le ? b.readUInt32LE(at) : b.readUInt32BE(at);
  }

  private u64(b: Buffer, at: number): number {
    const v = this.le ? b.readBigUInt64LE(at) : b.readBigUInt64BE(at);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw damaged("an offset or count out of range");
    return Number(v);
  }
}

/** Smaller than `page` in width and in height: a reduced-resolution copy of it. */
function smaller(image: TiffImage, page: TiffImage): boolean {
  return image.width < page.width && image.height < page.height;
}

function damaged(why: string): BadFileError {
  return new BadFileError(`The TIFF file is damaged: ${why}.`);
}
