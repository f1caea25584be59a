import { BadFileError, TooComplexError } from "../errors.js";
import type { FileBytes } from "../file-bytes.js";
import type { Range } from "./byte-ranges.js";
import { TYPE_SIZE } from "./tiff-types.js";

/** The file's start: "II", 0xBC, a version byte, then where the first IFD lies. */
export const HEADER = 8;
export const ENTRY = 12;
export const LONG = 4;
const SHORT = 3;
/** What a JPEG XR codestream (the picture, and its alpha plane when stored apart) starts with. */
export const CODESTREAM_SIGNATURE = Buffer.from("WMPHOTO\0", "latin1");
export const IMAGE_OFFSET = 0xbcc0;
export const IMAGE_BYTE_COUNT = 0xbcc1;
export const ALPHA_OFFSET = 0xbcc2;
export const ALPHA_BYTE_COUNT = 0xbcc3;
/** Each codestream's offset tag, with the tag giving its length. */
const CODESTREAMS: ReadonlyArray<readonly [offset: number, length: number]> = [
  [IMAGE_OFFSET, IMAGE_BYTE_COUNT],
  [ALPHA_OFFSET, ALPHA_BYTE_COUNT],
];
/** A file holds one picture, rarely a few; a directory a few dozen fields. Past these it is refused. */
const MAX_IFDS = 64;
const MAX_ENTRIES = 4096;

export interface Entry {
  tag: number;
  type: number;
  count: number;
  /** The value's length in bytes. */
  size: number;
  /** The entry's last four bytes: the value itself when it fits there, else where it lies. */
  field: Buffer;
  /** Where the value lies when it does not fit in the entry. */
  offset: number | null;
}

/** The file's version byte and its IFDs' entries, in file order. */
export async function readJxr(src: FileBytes): Promise<{ version: number; ifds: Entry[][] }> {
  const head = await src.read(0, HEADER);
  if (head.length < HEADER || head[0] !== 0x49 || head[1] !== 0x49 || head[2] !== 0xbc) throw damaged("it does not start like a JPEG XR picture");
  const ifds: Entry[][] = [];
  const seen = new Set<number>();
  for (let at = head.readUInt32LE(4); at !== 0; ) {
    if (seen.has(at) || ifds.length >= MAX_IFDS) throw new TooComplexError("JPEG XR picture with too many or looping directories");
    seen.add(at);
    const { entries, next } = await readIfd(src, at);
    if (!entries.some((e) => e.tag === IMAGE_OFFSET) || !entries.some((e) => e.tag === IMAGE_BYTE_COUNT)) throw damaged("a directory does not say where its picture lies");
    ifds.push(entries);
    at = next;
  }
  if (ifds.length === 0) throw damaged("it holds no directory");
  return { version: head[3]!, ifds };
}

export async function readIfd(src: FileBytes, at: number): Promise<{ entries: Entry[]; next: number }> {
  const countBytes = await src.read(at, 2);
  if (countBytes.length < 2) throw damaged("a directory lies past its end");
  const count = countBytes.readUInt16LE(0);
  if (count > MAX_ENTRIES) throw new TooComplexError("JPEG XR directory with too many fields");
  const dir = Buffer.from(await src.read(at + 2, count * ENTRY + 4));
  if (dir.length < count * ENTRY + 4) throw damaged("a directory is cut short");
  const entries: Entry[] = [];
  for (let i = 0; i < count; i++) {
    const e = dir.subarray(i * ENTRY, (i + 1) * ENTRY);
    const type = e.readUInt16LE(2);
    const valueCount = e.readUInt32LE(4);
    const size = (TYPE_SIZE[type] ?? 1) * valueCount;
    const offset = size > 4 ? e.readUInt32LE(8) : null;
    if (offset != null && offset + size > src.size) throw damaged("a field's value lies past its end");
    entries.push({ tag: e.readUInt16LE(0), type, count: valueCount, size, field: e.subarray(8, 12), offset });
  }
  return { entries, next: dir.readUInt32LE(count * ENTRY) };
}

/** An integer field's first value (SHORT or LONG), or null for another type. */
export function integer(e: Entry): number | null {
  if (e.type === LONG) return e.field.readUInt32LE(0);
  if (e.type === SHORT) return e.field.readUInt16LE(0);
  return null;
}

/**
 * The codestreams a directory points at, picture first: where each lies in the file. The JPEG XR
 * reference encoder (jxrlib's JxrEncApp) writes as AlphaByteCount the file's size, which is where
 * a planar alpha it puts last ends: a count that reaches past the file but not past that offset is
 * read so, and the copy gives the true count.
 */
export function codestreamsOf(entries: readonly Entry[], fileSize: number): Range[] {
  const ranges: Range[] = [];
  for (const [offsetTag, lengthTag] of CODESTREAMS) {
    const offset = entries.find((e) => e.tag === offsetTag);
    const length = entries.find((e) => e.tag === lengthTag);
    if (offset == null && length == null) continue;
    const start = offset != null ? integer(offset) : null;
    const size = length != null ? integer(length) : null;
    if (start == null || size == null) throw damaged("its picture data lies outside the file");
    const end = start + size <= fileSize ? start + size : offsetTag === ALPHA_OFFSET && size > start && size <= fileSize ? size : null;
    if (end == null || end - start < CODESTREAM_SIGNATURE.length) throw damaged("its picture data lies outside the file");
    ranges.push([start, end]);
  }
  return ranges;
}

export function damaged(why: string): BadFileError {
  return new BadFileError(`The JPEG XR picture is damaged: ${why}.`);
}
