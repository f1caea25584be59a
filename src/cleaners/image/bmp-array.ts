import { TooComplexError } from "../errors.js";
import { colourTable, CORE_HEADER, paletteReservedBytes, CS_TYPE, ENDPOINTS, LCS_SRGB, OS2_HEADER, PROFILE_DATA, PROFILE_EMBEDDED, PROFILE_LINKED, PROFILE_SIZE, unusedEndpoints, V5_HEADER, damaged, pixelBytes, reservedFields } from "./bmp-header.js";

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
 * switched to sRGB and its bytes dropped.
 */
export function cleanOs2Bitmap(bytes: Buffer, keepProfile: boolean): Buffer {
  const copy = new CoveredCopy(bytes);
  const array = bytes.toString("latin1", 0, 2) === "BA";
  let at = 0;
  for (let entries = 1; ; entries++) {
    if (entries > MAX_ENTRIES) throw new TooComplexError(`bmp: a bitmap array of more than ${MAX_ENTRIES} entries`);
    const bitmapAt = array ? at + ARRAY_HEADER : at;
    if (array) {
      if (bytes.toString("latin1", at, at + 2) !== "BA") throw damaged("an entry of its bitmap array does not start as one");
      copy.keep(at, bitmapAt);
    }
    const type = bytes.toString("latin1", bitmapAt, bitmapAt + 2);
    if (type !== "BM" && !isIcon(type)) throw damaged("a bitmap of unknown type");
    const paletteEnd = keepBitmap(copy, bitmapAt, keepProfile);
    if (MASK_AND_COLOURS.has(type)) {
      if (bytes.toString("latin1", paletteEnd, paletteEnd + 2) !== type) throw damaged("an icon's colour bitmap does not follow its mask");
      keepBitmap(copy, paletteEnd, keepProfile);
    }
    if (!array) break;
    const next = bytes.readUInt32LE(at + 6);
    if (next === 0) break;
    // Strictly forward: a chain pointing back or at itself would never end.
    if (next <= at) throw damaged("its bitmap array points back on itself");
    at = next;
  }
  return copy.result();
}

/** Keeps one bitmap (file header, info header, palette, pixels); resolves to where its palette ends. */
function keepBitmap(copy: CoveredCopy, at: number, keepProfile: boolean): number {
  const bytes = copy.source;
  const infoAt = at + FILE_HEADER;
  copy.keep(at, infoAt + 4);
  const infoSize = bytes.readUInt32LE(infoAt);
  if (!knownInfoSize(infoSize)) throw damaged("a bitmap's info header has a size no bitmap has");
  copy.keep(infoAt, infoAt + infoSize);
  // A plain bitmap's hot spot fields are the file header's reserved ones: only icons and pointers have a hot spot.
  if (bytes.toString("latin1", at, at + 2) === "BM") copy.zero(at + 6, 4);
  const { at: paletteAt, end: paletteEnd, drawn } = colourTable(bytes, infoAt, infoSize);
  // A table no reader draws from is left as zeros, where it was: an icon's colour bitmap follows it.
  copy.keep(infoAt + infoSize, drawn ? paletteEnd : paletteAt);
  if (infoSize !== CORE_HEADER && drawn) copy.zeroEach(paletteReservedBytes(paletteAt, paletteEnd));
  const pixelsAt = bytes.readUInt32LE(at + 10);
  copy.keep(pixelsAt, pixelsAt + pixelBytes(bytes, infoAt, infoSize));
  for (const [field, size] of reservedFields(infoSize)) copy.zero(infoAt + field, size);
  if (unusedEndpoints(bytes.subarray(infoAt), infoSize)) copy.zero(infoAt + ENDPOINTS[0], ENDPOINTS[1] - ENDPOINTS[0]);
  if (infoSize === V5_HEADER) keepOrDropProfile(copy, infoAt, keepProfile);
  return paletteEnd;
}

function keepOrDropProfile(copy: CoveredCopy, infoAt: number, keepProfile: boolean): void {
  const bytes = copy.source;
  const csType = bytes.readUInt32LE(infoAt + CS_TYPE);
  const profileAt = infoAt + bytes.readUInt32LE(infoAt + PROFILE_DATA);
  const profileSize = bytes.readUInt32LE(infoAt + PROFILE_SIZE);
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
 * A copy of the file that holds only the ranges kept (every other byte zero) up to the last of
 * them, with field patches applied after all copying (a range kept for one entry may cover
 * another's header). The bytes copied are bounded: entries whose ranges cover the same bytes over
 * and over would make a small file cost gigabytes of copying.
 */
class CoveredCopy {
  private readonly out: Buffer;
  private end = 0;
  private copied = 0;
  private readonly patches: { at: number; size: number; value: number | null }[] = [];
  /** Byte offsets to zero, as generators: one per colour table, not one patch per entry. */
  private readonly zeroed: Iterable<number>[] = [];

  constructor(readonly source: Buffer) {
    this.out = Buffer.alloc(source.length);
  }

  keep(from: number, to: number): void {
    if (to > this.source.length || from > to) throw damaged("a part of it lies outside the file");
    this.copied += to - from;
    if (this.copied > 2 * this.source.length) throw new TooComplexError("bmp: bitmap array entries cover the same bytes over and over");
    this.source.copy(this.out, from, from, to);
    this.end = Math.max(this.end, to);
  }

  zero(at: number, size: number): void {
    this.patches.push({ at, size, value: null });
  }

  zeroEach(offsets: Iterable<number>): void {
    this.zeroed.push(offsets);
  }

  patch(at: number, value: number): void {
    this.patches.push({ at, size: 4, value });
  }

  result(): Buffer {
    for (const { at, size, value } of this.patches) {
      if (value == null) this.out.fill(0, at, at + size);
      else this.out.writeUInt32LE(value, at);
    }
    for (const offsets of this.zeroed) for (const i of offsets) this.out[i] = 0;
    return this.out.subarray(0, this.end);
  }
}
