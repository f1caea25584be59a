import { TooComplexError } from "../errors.js";
import type { FileBytes } from "../file-bytes.js";
import { RangeWriter } from "../range-writer.js";
import { colourTable, CORE_HEADER, CS_TYPE, ENDPOINTS, LCS_SRGB, OS2_HEADER, PROFILE_DATA, PROFILE_EMBEDDED, PROFILE_LINKED, PROFILE_SIZE, unusedEndpoints, V5_HEADER, damaged, pixelBytes, reservedFields } from "./bmp-header.js";
import { copyPatched, type Patches, type Range } from "./patched-copy.js";

const ARRAY_HEADER = 14;
const FILE_HEADER = 14;
/** Icons and pointers: a 1-bit AND/XOR mask, then (colour ones) the picture's own bitmap. */
const MASK_ONLY = new Set(["IC", "PT"]);
const MASK_AND_COLOURS = new Set(["CI", "CP"]);
/** Windows' info headers; OS/2 2.x's are any multiple of four from 16 to 64 bytes. */
const WINDOWS_HEADERS = new Set([40, 52, 56, 108, V5_HEADER]);
/** Real arrays hold a picture per display (a handful); far more is not a picture any viewer shows. */
const MAX_ENTRIES = 4096;

/** True when `head` (32 bytes) starts an OS/2 bitmap array ("BA") or a lone OS/2 icon or pointer. */
export function startsLikeOs2Bitmap(head: Buffer): boolean {
  const at = head.toString("latin1", 0, 2) === "BA" ? ARRAY_HEADER : 0;
  if (head.length < at + FILE_HEADER + 4) return false;
  const type = head.toString("latin1", at, at + 2);
  const known = at > 0 ? type === "BM" || isIcon(type) : isIcon(type);
  return known && knownInfoSize(head.readUInt32LE(at + FILE_HEADER));
}

export function isOs2Bitmap(bytes: Buffer): boolean {
  const type = bytes.toString("latin1", 0, 2);
  return type === "BA" || isIcon(type);
}

/**
 * An OS/2 bitmap array ("BA": a chain of entries, one picture per kind of display, each a
 * header, a bitmap file header and an info header with its palette, and pixels wherever its offset
 * says) or a lone OS/2 icon or pointer (a mask bitmap, then for colour ones the picture's).
 * Nothing in them is text, but a writer can hide bytes in the gaps no offset points to, after the
 * last picture, in the info headers' reserved fields, and a V5 header's colour profile names its
 * maker and may link a path. The copy keeps every byte at its offset (nothing moves, so no offset
 * is rewritten) but for those: gaps become zeros, bytes after the last structure are cut, the
 * reserved fields (the colour table entries' fourth bytes too) and the colour endpoints and gamma
 * of a colour space that does not use them zeroed, and a profile not kept is
 * switched to sRGB and its bytes dropped. The chain is walked first, reading only its headers;
 * the copy is then written a window at a time (patched-copy.ts), so a picture of any size is
 * never held whole.
 */
export async function cleanOs2Bitmap(input: string, output: string, keepProfile: boolean): Promise<void> {
  await RangeWriter.rewrite(input, output, "wx", async (src, out) => {
    const copy = new CoveredCopy(src.size);
    await walkChain(src, copy, keepProfile);
    await copyPatched(src, out, 0, copy.end, copy.patches());
  });
}

async function walkChain(src: FileBytes, copy: CoveredCopy, keepProfile: boolean): Promise<void> {
  const array = (await typeAt(src, 0)) === "BA";
  let at = 0;
  for (let entries = 1; ; entries++) {
    if (entries > MAX_ENTRIES) throw new TooComplexError(`bmp: a bitmap array of more than ${MAX_ENTRIES} entries`);
    const bitmapAt = array ? at + ARRAY_HEADER : at;
    if (array) {
      if ((await typeAt(src, at)) !== "BA") throw damaged("an entry of its bitmap array does not start as one");
      copy.keep(at, bitmapAt);
    }
    const type = await typeAt(src, bitmapAt);
    if (type !== "BM" && !isIcon(type)) throw damaged("a bitmap of unknown type");
    const paletteEnd = await keepBitmap(src, copy, bitmapAt, keepProfile);
    if (MASK_AND_COLOURS.has(type)) {
      if ((await typeAt(src, paletteEnd)) !== type) throw damaged("an icon's colour bitmap does not follow its mask");
      await keepBitmap(src, copy, paletteEnd, keepProfile);
    }
    if (!array) break;
    // The entry's header was kept above: its fields lie within the file.
    const next = (await src.read(at + 6, 4)).readUInt32LE(0);
    if (next === 0) break;
    // Strictly forward: a chain pointing back or at itself would never end.
    if (next <= at) throw damaged("its bitmap array points back on itself");
    at = next;
  }
}

/** The two letters at `at` that name an array entry or a bitmap's type. */
async function typeAt(src: FileBytes, at: number): Promise<string> {
  return (await src.read(at, 2)).toString("latin1");
}

/** Keeps one bitmap (file header, info header, palette, pixels); resolves to where its palette ends. */
async function keepBitmap(src: FileBytes, copy: CoveredCopy, at: number, keepProfile: boolean): Promise<number> {
  const infoAt = at + FILE_HEADER;
  copy.keep(at, infoAt + 4);
  // The file header and the info header (V5's at most), the offsets in it counted from `at`.
  const head = await src.read(at, FILE_HEADER + V5_HEADER);
  const infoSize = head.readUInt32LE(FILE_HEADER);
  if (!knownInfoSize(infoSize)) throw damaged("a bitmap's info header has a size no bitmap has");
  copy.keep(infoAt, infoAt + infoSize);
  // A plain bitmap's hot spot fields are the file header's reserved ones: only icons and pointers have a hot spot.
  if (head.toString("latin1", 0, 2) === "BM") copy.zero(at + 6, 4);
  const table = colourTable(head, FILE_HEADER, infoSize);
  const [paletteAt, paletteEnd] = [at + table.at, at + table.end];
  // A table no reader draws from is left as zeros, where it was: an icon's colour bitmap follows it.
  copy.keep(infoAt + infoSize, table.drawn ? paletteEnd : paletteAt);
  if (infoSize !== CORE_HEADER && table.drawn) copy.palette(paletteAt, paletteEnd);
  const pixelsAt = head.readUInt32LE(10);
  copy.keep(pixelsAt, pixelsAt + pixelBytes(head, FILE_HEADER, infoSize));
  for (const [field, size] of reservedFields(infoSize)) copy.zero(infoAt + field, size);
  const info = head.subarray(FILE_HEADER);
  if (unusedEndpoints(info, infoSize)) copy.zero(infoAt + ENDPOINTS[0], ENDPOINTS[1] - ENDPOINTS[0]);
  if (infoSize === V5_HEADER) keepOrDropProfile(copy, info, infoAt, keepProfile);
  return paletteEnd;
}

/** `info`: the V5 info header at `infoAt`. */
function keepOrDropProfile(copy: CoveredCopy, info: Buffer, infoAt: number, keepProfile: boolean): void {
  const csType = info.readUInt32LE(CS_TYPE);
  const profileAt = infoAt + info.readUInt32LE(PROFILE_DATA);
  const profileSize = info.readUInt32LE(PROFILE_SIZE);
  if (csType !== PROFILE_EMBEDDED && csType !== PROFILE_LINKED) return;
  if (keepProfile && csType === PROFILE_EMBEDDED) return copy.keep(profileAt, profileAt + profileSize);
  // A linked profile's path, or an embedded one not kept: the bitmap becomes plain sRGB.
  copy.patch(infoAt + CS_TYPE, LCS_SRGB);
  copy.zero(infoAt + PROFILE_DATA, 8);
}

function knownInfoSize(size: number): boolean {
  return size === CORE_HEADER || WINDOWS_HEADERS.has(size) || (size >= 16 && size <= OS2_HEADER && size % 4 === 0);
}

function isIcon(type: string): boolean {
  return MASK_ONLY.has(type) || MASK_AND_COLOURS.has(type);
}

/**
 * The plan of a copy of the file that holds only the ranges kept (every other byte zero) up to
 * the last of them, with field patches applied over what is copied (a range kept for one entry
 * may cover another's header). The bytes kept are bounded: entries whose ranges cover the same
 * bytes over and over would make a small file cost gigabytes of copying.
 */
class CoveredCopy {
  /** Where the copy ends: the end of the last range kept. */
  end = 0;
  private copied = 0;
  private readonly kept: Range[] = [];
  private readonly zeroed: Range[] = [];
  private readonly palettes: Range[] = [];
  private readonly values: { at: number; bytes: Buffer }[] = [];

  constructor(private readonly size: number) {}

  keep(from: number, to: number): void {
    if (to > this.size || from > to) throw damaged("a part of it lies outside the file");
    this.copied += to - from;
    if (this.copied > 2 * this.size) throw new TooComplexError("bmp: bitmap array entries cover the same bytes over and over");
    this.kept.push([from, to]);
    this.end = Math.max(this.end, to);
  }

  zero(at: number, size: number): void {
    this.zeroed.push([at, at + size]);
  }

  /** A colour table whose entries' fourth bytes are zeroed. */
  palette(from: number, to: number): void {
    this.palettes.push([from, to]);
  }

  patch(at: number, value: number): void {
    const bytes = Buffer.alloc(4);
    bytes.writeUInt32LE(value);
    this.values.push({ at, bytes });
  }

  /** The patches of the copy: the gaps between the kept ranges are zeroed with the fields. */
  patches(): Patches {
    const gaps: Range[] = [];
    let at = 0;
    for (const [from, to] of [...this.kept].sort((a, b) => a[0] - b[0])) {
      if (from > at) gaps.push([at, from]);
      at = Math.max(at, to);
    }
    return { zeroed: [...gaps, ...this.zeroed], palettes: this.palettes, values: this.values };
  }
}
