import { TooComplexError } from "../errors.js";
import { FileBytes } from "../file-bytes.js";

/** The first box types by which ExifTool takes a file for QuickTime / ISO BMFF (its MOV magic number). */
const FIRST_BOXES = new Set(["free", "skip", "wide", "ftyp", "pnot", "PICT", "pict", "moov", "mdat", "junk", "uuid"]);

/**
 * Boxes counted before a file is refused. ExifTool reads every box, and each that becomes a tag
 * (unknown ones too, with `-u`) costs it 40-220 µs and about a kilobyte kept until the read ends:
 * a million top-level 8-byte boxes (8 MB) held it to its 60 s timeout and the service with its
 * children at 746 MB; 100,000 `uuid` boxes took 60 s (two reads, before and after cleaning).
 *
 * Real files have a few hundred boxes, a few thousand at most (many tracks, a HEIF of many tiles),
 * except fragmented recordings: a fragment (moof, mfhd, traf, tfhd, tfdt, trun, mdat: 7 boxes) per
 * track every second or two (OBS: ~25,000 boxes in an hour), or per frame in low-latency CMAF. A
 * 10-minute recording of 30 fps video and AAC audio fragmented per frame has 88,000 fragments
 * (614,000 boxes): ExifTool took 21-36 s over it alone and ran past its 60 s timeout in the
 * service, so such a file was refused already. So: few boxes of any kind, and many only of
 * fragments' own kinds, which cost ExifTool the least (~35 µs each), up to about half of that file.
 */
export const MAX_ISO_BOXES = 300_000;
/** Boxes other than fragments' own (FRAGMENT_PARTS, and a media data and a few index boxes per fragment). */
export const MAX_OTHER_ISO_BOXES = 10_000;

/** What a movie fragment holds (ISO 14496-12 8.8): many of them are a long recording, not an attack. */
const FRAGMENT_PARTS = new Set(["mfhd", "traf", "tfhd", "tfdt", "trun", "sbgp", "sgpd", "saiz", "saio", "senc", "subs", "sdtp"]);
/** Top-level boxes that come with each fragment or segment of one: counted as fragments' own up to INDEX_BOXES_PER_FRAGMENT per `moof`. */
const FRAGMENT_INDEX = new Set(["mdat", "styp", "sidx", "ssix", "emsg", "prft"]);
const INDEX_BOXES_PER_FRAGMENT = 4;

/** Boxes whose payload is media or padding, never boxes: not looked into. */
const OPAQUE = new Set(["mdat", "free", "skip", "wide", "junk", "idat"]);

/**
 * Where a box's children start, after a full box's version and flags or fixed fields, for the
 * boxes whose payload does not start with one; any other box is looked into when its payload
 * starts like a box (ExifTool walks more kinds of container than any list here would name).
 */
const CHILDREN_AT: Readonly<Record<string, number>> = { stsd: 8, dref: 8, iref: 4 };
/** Sample entries keep their own boxes after fixed fields: 78 bytes in a visual entry, 28 (or 44, 64) in a sound one. */
const SAMPLE_ENTRY_FIELDS = [78, 28, 44, 64];

/** Whether a file's first bytes are a QuickTime / ISO BMFF file's, as ExifTool tells them. */
export function isIsoHead(bytes: Buffer): boolean {
  return bytes.length >= 8 && FIRST_BOXES.has(bytes.toString("latin1", 4, 8));
}

/**
 * Refuses (TooComplexError) a QuickTime / ISO BMFF file of more than MAX_ISO_BOXES boxes, counting
 * the top level and inside every container ExifTool walks (an item list's items too), before
 * ExifTool reads it. Only box heads are read. A box that does not fit where it stands ends the
 * walk of its container: damage is left to ExifTool and the cleaner, which stop there too.
 */
export async function checkIsoShape(file: string): Promise<void> {
  const src = await FileBytes.open(file);
  try {
    await walkBoxes(src);
  } finally {
    await src.close();
  }
}

async function walkBoxes(src: FileBytes): Promise<void> {
  // Depth-first without recursion: the ends of the open containers and their types.
  const ends: number[] = [];
  const parents: string[] = [];
  let end = src.size;
  let parent = "";
  // How many containers were open when the `moof` holding the walk was entered (-1: none holds it).
  let fragmentDepth = -1;
  const count = { all: 0, other: 0, fragments: 0, index: 0 };
  for (let at = 0; ; ) {
    if (end - at < 8) {
      const outer = ends.pop();
      if (outer == null) return;
      at = end;
      end = outer;
      parent = parents.pop() ?? "";
      if (ends.length <= fragmentDepth) fragmentDepth = -1;
      continue;
    }
    const box = boxAt(await src.read(at, 16), end - at);
    if (box == null) {
      at = end; // the rest of this container is left to ExifTool, which stops there too
      continue;
    }
    countBox(count, box.type, ends.length === 0, fragmentDepth >= 0);
    const from = OPAQUE.has(box.type) ? null : await childrenAt(src, box.type, parent, at + box.header, at + box.size);
    if (from == null) {
      at += box.size;
      continue;
    }
    if (box.type === "moof" && fragmentDepth < 0) fragmentDepth = ends.length;
    ends.push(end);
    parents.push(parent);
    end = at + box.size;
    parent = box.type;
    at = from;
  }
}

/** Counts one box, refusing the file past either limit. */
function countBox(count: { all: number; other: number; fragments: number; index: number }, type: string, topLevel: boolean, inFragment: boolean): void {
  if (++count.all > MAX_ISO_BOXES) throw new TooComplexError(`quicktime: more than ${MAX_ISO_BOXES} boxes`);
  if (topLevel && type === "moof") count.fragments++;
  else if (topLevel && FRAGMENT_INDEX.has(type) && count.index < INDEX_BOXES_PER_FRAGMENT * (count.fragments + 1)) count.index++;
  else if (!(inFragment && FRAGMENT_PARTS.has(type)) && ++count.other > MAX_OTHER_ISO_BOXES) {
    throw new TooComplexError(`quicktime: more than ${MAX_OTHER_ISO_BOXES} boxes outside movie fragments`);
  }
}

/** The box whose head `head` is, when it fits in `room` bytes (null: not a box). */
function boxAt(head: Buffer, room: number): { type: string; header: number; size: number } | null {
  if (head.length < 8) return null;
  let size = head.readUInt32BE(0);
  let header = 8;
  if (size === 0) size = room;
  else if (size === 1) {
    if (head.length < 16) return null;
    size = Number(head.readBigUInt64BE(8));
    header = 16;
  }
  if (size < header || size > room) return null;
  return { type: head.toString("latin1", 4, 8), header, size };
}

/** Where the children of a box with payload [from, to) start, or null when it holds none. */
async function childrenAt(src: FileBytes, type: string, parent: string, from: number, to: number): Promise<number | null> {
  const known = CHILDREN_AT[type];
  if (known != null) return from + known;
  if (type === "iinf") {
    // Version 0 counts its entries in 2 bytes, later versions in 4.
    const version = await src.byte(from);
    return from + (version === 0 ? 6 : 8);
  }
  const offsets = parent === "stsd" ? SAMPLE_ENTRY_FIELDS : [0, 4]; // 4: a full box (ISO's meta)
  for (const offset of offsets) {
    if (await startsWithBox(src, from + offset, to)) return from + offset;
  }
  return null;
}

/** Whether the bytes at `at` are the head of a box that fits before `to`, with a name of letters. */
async function startsWithBox(src: FileBytes, at: number, to: number): Promise<boolean> {
  if (to - at < 8) return false;
  const head = await src.read(at, 8);
  const size = head.readUInt32BE(0);
  if (size !== 1 && (size < 8 || size > to - at)) return false;
  for (let i = 4; i < 8; i++) {
    const c = head[i]!;
    if ((c < 0x20 || c > 0x7e) && c !== 0xa9) return false;
  }
  return true;
}
