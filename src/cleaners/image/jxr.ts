import { BadFileError, TooComplexError } from "../errors.js";
import type { FileBytes } from "../file-bytes.js";
import { RangeWriter } from "../range-writer.js";
import type { CleanContext, Cleaner, FoundTag } from "../types.js";
import { overlaps, type Range } from "./byte-ranges.js";
import { checkSameCodestreams } from "./jxr-codestreams.js";
import { ALPHA_BYTE_COUNT, ALPHA_OFFSET, CODESTREAM_SIGNATURE, codestreamsOf, damaged, ENTRY, type Entry, HEADER, IMAGE_BYTE_COUNT, IMAGE_OFFSET, integer, LONG, readIfd, readJxr } from "./jxr-directory.js";

const ICC_PROFILE = 0x8773;
const COPYRIGHT = 0x8298;

/**
 * The fields that say how to decode and show the pixels (ITU-T T.832 annex A), by tag number and
 * ExifTool's name (the two it has none for, as `-u` shows them). Everything else in an IFD
 * (DocumentName, ImageDescription, Make, Model, PageName, Software, DateTime, Artist,
 * HostComputer, Copyright, the EXIF, GPS, IPTC, XMP and Photoshop pointers, padding) is metadata.
 */
const STRUCTURAL: ReadonlyMap<number, string> = new Map([
  [0xa001, "ColorSpace"], [0xbc01, "PixelFormat"], [0xbc02, "Transformation"], [0xbc03, "Uncompressed"],
  [0xbc04, "ImageType"], [0xbc05, "Exif_0xbc05"], [0xbc06, "Exif_0xbc06"], [0xbc80, "ImageWidth"],
  [0xbc81, "ImageHeight"], [0xbc82, "WidthResolution"], [0xbc83, "HeightResolution"], [IMAGE_OFFSET, "ImageOffset"],
  [IMAGE_BYTE_COUNT, "ImageByteCount"], [ALPHA_OFFSET, "AlphaOffset"], [ALPHA_BYTE_COUNT, "AlphaByteCount"],
  [0xbcc4, "ImageDataDiscard"], [0xbcc5, "AlphaDataDiscard"],
]);
const STRUCTURAL_NAMES = new Set(STRUCTURAL.values());
/** Fields whose value points at a directory of metadata of its own: EXIF, GPS, Interoperability. */
const IFD_POINTERS: ReadonlySet<number> = new Set([0x8769, 0x8825, 0xa005]);
const MAX_POINTER_DEPTH = 2;
const MAX_POINTED_DIRECTORIES = 64;

/**
 * JPEG XR (HD Photo: `.jxr`, `.wdp`, `.hdp`; where Office keeps a picture's original once an
 * effect is applied to it, `media/hdphoto1.wdp`), rewritten by our own code: its directory is a TIFF IFD in which
 * the codec's fields and the metadata (Make, Software, Artist, EXIF, GPS, XMP, IPTC...) sit side
 * by side, and ExifTool's `-all=` keeps IFD0's. Each IFD is rebuilt with the fields that decode
 * and show the pixels, and the codestreams (the picture, its alpha plane) are copied byte for byte
 * by their offsets; a read of the copy then proves they are the original's, unchanged.
 */
export const jxrCleaner: Cleaner = {
  name: "jxr",
  fileTypes: ["JXR", "HDP", "WDP"],
  async clean(ctx: CleanContext): Promise<void> {
    await RangeWriter.rewrite(ctx.input, ctx.output, "wx", async (src, out) => {
      const { version, ifds } = await readJxr(src);
      const kept = ifds.map((entries) => entries.filter((e) => keeps(e.tag, ctx)));
      await refuseOverlaps(src, ifds, kept);
      writeJxr(src, out, version, kept);
    });
    await checkSameCodestreams(ctx.input, ctx.output);
  },
  isStructural: (t: FoundTag) => t.group === "EXIF" && STRUCTURAL_NAMES.has(t.tag),
};

function keeps(tag: number, ctx: CleanContext): boolean {
  if (STRUCTURAL.has(tag)) return true;
  if (tag === ICC_PROFILE) return ctx.keep.has("colorProfile");
  return tag === COPYRIGHT && ctx.keep.has("copyright");
}

/**
 * The kept fields' values and the codestreams are copied by offset and length, so a damaged or
 * crafted offset could copy the XMP packet or the EXIF directory as if it were picture data. No
 * byte the copy takes may belong to a field that is dropped, and each codestream must start as one.
 */
async function refuseOverlaps(src: FileBytes, ifds: readonly Entry[][], kept: readonly Entry[][]): Promise<void> {
  const taken: Range[] = [];
  const dropped: Range[] = [];
  const pointed = new Set<number>();
  for (const [i, entries] of ifds.entries()) {
    for (const range of codestreamsOf(entries, src.size)) {
      if (!(await src.read(range[0], CODESTREAM_SIGNATURE.length)).equals(CODESTREAM_SIGNATURE)) throw damaged("its picture data does not start as a JPEG XR codestream");
      taken.push(range);
    }
    for (const e of entries) {
      if (kept[i]!.includes(e)) {
        if (e.offset != null) taken.push([e.offset, e.offset + e.size]);
      } else {
        await metadataRanges(src, e, 0, pointed, dropped);
      }
    }
  }
  if (overlaps(taken, dropped)) throw damaged("its picture fields overlap its metadata");
}

/**
 * Adds to `ranges` where a dropped field's value lies and, for a pointer, the directory it points
 * at and its values. Each directory is read once (`pointed`), and a file pointing at more than
 * real ones do (EXIF, GPS and Interoperability per picture) is refused.
 */
async function metadataRanges(src: FileBytes, e: Entry, depth: number, pointed: Set<number>, ranges: Range[]): Promise<void> {
  if (e.offset != null) ranges.push([e.offset, e.offset + e.size]);
  if (!IFD_POINTERS.has(e.tag) || depth >= MAX_POINTER_DEPTH) return;
  const at = integer(e);
  if (at == null || at === 0 || at + 2 > src.size || pointed.has(at)) return;
  pointed.add(at);
  if (pointed.size > MAX_POINTED_DIRECTORIES) throw new TooComplexError("JPEG XR picture with too many metadata directories");
  // A damaged directory of metadata goes whole with its pointer: only where it starts is known.
  const { entries } = await readIfd(src, at).catch((err: unknown) => {
    if (err instanceof BadFileError) return { entries: [] as Entry[] };
    throw err;
  });
  ranges.push([at, at + 2 + entries.length * ENTRY + 4]);
  for (const inner of entries) await metadataRanges(src, inner, depth + 1, pointed, ranges);
}

/**
 * The copy: the header, each IFD followed by its fields' values (even offsets, as TIFF asks),
 * then every codestream, with the offset fields pointing at their new places.
 */
function writeJxr(src: FileBytes, out: RangeWriter, version: number, kept: readonly Entry[][]): void {
  const dirSize = (entries: readonly Entry[]): number => 2 + entries.length * ENTRY + 4;
  const valuesSize = (entries: readonly Entry[]): number => entries.reduce((n, e) => n + (e.offset != null ? even(e.size) : 0), 0);
  const dirAt: number[] = [];
  let at = HEADER;
  for (const entries of kept) {
    dirAt.push(at);
    at += dirSize(entries) + valuesSize(entries);
  }
  const codestreamAt = new Map<number, number>();
  const streams = kept.map((entries) => codestreamsOf(entries, src.size));
  // Directories that share a codestream (a crafted file) share its one copy.
  const unique = [...new Map(streams.flat().map((r) => [r[0], r])).values()];
  for (const range of unique) {
    codestreamAt.set(range[0], at);
    at += range[1] - range[0];
  }
  if (at > 0xffffffff) throw new TooComplexError("JPEG XR picture past 4 GB");

  const header = Buffer.alloc(HEADER);
  header.write("II", 0, "latin1");
  header[2] = 0xbc;
  header[3] = version;
  header.writeUInt32LE(HEADER, 4);
  out.bytes(header);
  for (const [i, entries] of kept.entries()) {
    const dir = Buffer.alloc(dirSize(entries));
    dir.writeUInt16LE(entries.length, 0);
    let valueAt = dirAt[i]! + dir.length;
    const values: Entry[] = [];
    const [image, alpha] = streams[i]!;
    const placed = new Map<number, number>([[IMAGE_OFFSET, codestreamAt.get(image![0])!], [IMAGE_BYTE_COUNT, image![1] - image![0]]]);
    if (alpha != null) placed.set(ALPHA_OFFSET, codestreamAt.get(alpha[0])!).set(ALPHA_BYTE_COUNT, alpha[1] - alpha[0]);
    for (const [j, e] of entries.entries()) {
      const o = 2 + j * ENTRY;
      dir.writeUInt16LE(e.tag, o);
      const value = placed.get(e.tag);
      if (value != null) {
        dir.writeUInt16LE(LONG, o + 2);
        dir.writeUInt32LE(1, o + 4);
        dir.writeUInt32LE(value, o + 8);
        continue;
      }
      dir.writeUInt16LE(e.type, o + 2);
      dir.writeUInt32LE(e.count, o + 4);
      if (e.offset == null) e.field.copy(dir, o + 8);
      else {
        dir.writeUInt32LE(valueAt, o + 8);
        valueAt += even(e.size);
        values.push(e);
      }
    }
    dir.writeUInt32LE(i + 1 < kept.length ? dirAt[i + 1]! : 0, dir.length - 4);
    out.bytes(dir);
    for (const e of values) {
      out.copy(e.offset!, e.offset! + e.size);
      if (e.size % 2 === 1) out.bytes(Buffer.alloc(1));
    }
  }
  for (const [start, end] of unique) out.copy(start, end);
}

function even(n: number): number {
  return n + (n % 2);
}
