import { BadFileError } from "../errors.js";
import { STRUCTURAL } from "../image/tiff.js";

/**
 * A TIFF picture inside an Office 97-2003 file, cleaned where it lies: its length cannot change
 * (the records and offsets around it record it). Each page's IFD keeps only the fields that
 * decode the pixels (the TIFF cleaner's list, image/tiff.ts), plus Orientation (how the page is
 * shown) and the ICC profile when kept; the kept entries move up to close the gaps, so the IFD
 * itself stays where it was. Then every byte of the picture that no kept field points at (the
 * removed fields' values, the EXIF, GPS and Interoperability IFDs with their maker notes, XMP,
 * IPTC, gaps and trailing bytes) becomes zero. The strips and tiles are not touched.
 */

/** Bytes per value of each TIFF field type (1 BYTE ... 13 IFD). */
const TYPE_SIZE: Readonly<Record<number, number>> = { 1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8, 13: 4 };
const ORIENTATION = 274;
const COMPRESSION = 259;
const OLD_JPEG = 6;
const ICC_PROFILE = 34675;
const SUB_IFDS = 330;
/** Offsets to image data, each with the tag giving the matching byte counts. */
const DATA_POINTERS: ReadonlyMap<number, number> = new Map([
  [273, 279], // StripOffsets -> StripByteCounts
  [324, 325], // TileOffsets -> TileByteCounts
]);
/** Pages and reduced-resolution images below them: far more than any picture placed in a document. */
const MAX_IFDS = 256;

interface Entry {
  tag: number;
  type: number;
  count: number;
  /** The 12 bytes of the entry as they were. */
  raw: Buffer;
  /** Where the value lies when it does not fit in the entry, relative to the picture's start. */
  offset: number | null;
  size: number;
}

/**
 * Cleans the TIFF in `b` from `start` to `end` in place; false when those bytes are no TIFF.
 * A TIFF whose IFDs or strips cannot be followed is refused: what it holds cannot be told apart.
 */
export function cleanTiff(b: Buffer, start: number, end: number, keepProfile: boolean): boolean {
  const tiff = b.subarray(start, end);
  const order = tiff.toString("latin1", 0, 2);
  if (tiff.length < 8 || (order !== "II" && order !== "MM")) return false;
  const le = order === "II";
  const u16 = (at: number): number => (le ? tiff.readUInt16LE(at) : tiff.readUInt16BE(at));
  const u32 = (at: number): number => (le ? tiff.readUInt32LE(at) : tiff.readUInt32BE(at));
  if (u16(2) !== 42) return false;

  /** Byte ranges [from, to) of the picture that stay as they are. */
  const kept: Array<[number, number]> = [[0, 8]];
  const within = (from: number, length: number): boolean => from >= 8 && length >= 0 && from + length <= tiff.length;
  const values = (e: Entry): number[] => {
    const step = TYPE_SIZE[e.type];
    if (step !== 2 && step !== 4) throw damaged(`field ${e.tag} has type ${e.type}`);
    const at = e.offset ?? 0;
    const read = (i: number): number => (e.offset == null ? (step === 2 ? readRaw16(e.raw, 8 + i * 2, le) : readRaw32(e.raw, 8, le)) : step === 2 ? u16(at + i * 2) : u32(at + i * 4));
    return Array.from({ length: e.count }, (_, i) => read(i));
  };

  const seen = new Set<number>();
  const visit = (ifd: number): void => {
    if (seen.has(ifd)) throw damaged("its IFDs form a loop");
    if (seen.size >= MAX_IFDS) throw damaged(`it holds more than ${MAX_IFDS} IFDs`);
    seen.add(ifd);
    if (!within(ifd, 2)) throw damaged("an IFD lies outside the picture");
    const n = u16(ifd);
    if (!within(ifd, 2 + n * 12 + 4)) throw damaged("an IFD runs past the picture's end");
    const entries: Entry[] = [];
    for (let i = 0; i < n; i++) {
      const at = ifd + 2 + i * 12;
      const type = u16(at + 2);
      const count = u32(at + 4);
      const size = (TYPE_SIZE[type] ?? 1) * count;
      const offset = size > 4 ? u32(at + 8) : null;
      if (offset != null && !within(offset, size)) throw damaged(`the value of field ${u16(at)} lies outside the picture`);
      entries.push({ tag: u16(at), type, count, raw: Buffer.from(tiff.subarray(at, at + 12)), offset, size });
    }
    const next = u32(ifd + 2 + n * 12);
    const keep = entries.filter((e) => STRUCTURAL.has(e.tag) || e.tag === ORIENTATION || e.tag === SUB_IFDS || (keepProfile && e.tag === ICC_PROFILE));
    const compression = keep.find((e) => e.tag === COMPRESSION);
    if (compression != null && values(compression)[0] === OLD_JPEG) throw damaged("it uses old-style JPEG compression");
    for (const [i, e] of keep.entries()) e.raw.copy(tiff, ifd + 2 + i * 12);
    const nextAt = ifd + 2 + keep.length * 12;
    if (le) {
      tiff.writeUInt16LE(keep.length, ifd);
      tiff.writeUInt32LE(next, nextAt);
    } else {
      tiff.writeUInt16BE(keep.length, ifd);
      tiff.writeUInt32BE(next, nextAt);
    }
    kept.push([ifd, nextAt + 4]);
    for (const e of keep) if (e.offset != null) kept.push([e.offset, e.offset + e.size]);
    for (const [pointers, counts] of DATA_POINTERS) {
      const p = keep.find((e) => e.tag === pointers);
      if (p == null) continue;
      const c = keep.find((e) => e.tag === counts);
      const offsets = values(p);
      const lengths = c == null ? [] : values(c);
      if (lengths.length !== offsets.length) throw damaged(`field ${pointers} has no matching byte counts`);
      for (const [i, from] of offsets.entries()) {
        if (!within(from, lengths[i]!)) throw damaged("image data lies outside the picture");
        kept.push([from, from + lengths[i]!]);
      }
    }
    const subIfds = keep.find((e) => e.tag === SUB_IFDS);
    if (subIfds != null) for (const sub of values(subIfds)) visit(sub);
    if (next !== 0) visit(next);
  };
  visit(u32(4));

  kept.sort((x, y) => x[0] - y[0]);
  let covered = 0;
  for (const [from, to] of kept) {
    if (from > covered) tiff.fill(0, covered, from);
    covered = Math.max(covered, to);
  }
  tiff.fill(0, covered);
  return true;
}

function readRaw16(raw: Buffer, at: number, le: boolean): number {
  return le ? raw.readUInt16LE(at) : raw.readUInt16BE(at);
}

function readRaw32(raw: Buffer, at: number, le: boolean): number {
  return le ? raw.readUInt32LE(at) : raw.readUInt32BE(at);
}

function damaged(why: string): BadFileError {
  return new BadFileError(
    "The document holds a TIFF picture whose structure this service cannot follow, so its metadata cannot be removed.",
    new Error(`legacy-office: TIFF picture: ${why}`),
  );
}
