import { TooComplexError } from "../errors.js";
import { FileBytes } from "../file-bytes.js";
import { checkHeifItems } from "../image/heif-item-screen.js";
import { JumbfTally } from "../image/jumbf-screen.js";
import { checkC2paUuidBox } from "./iso-c2pa-screen.js";
import { checkSampleTables, type SampleTables, type TableBox } from "./iso-sample-screen.js";

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

/** A part of a file, [from, to). */
export interface Span {
  from: number;
  to: number;
}

/** What the walk found that a reader may skip. */
export interface IsoShape {
  /**
   * Runs of plain movie fragments (see plainFragmentParts), each but its last fragment, which
   * ExifTool need not read: everything it would read there, it reads in the run's last fragment
   * (see iso-view.ts). Empty unless asked for.
   */
  hidden: Span[];
  /** How many boxes they hold. */
  hiddenBoxes: number;
}

/**
 * Plain fragments in runs, the most a file may hold: 1.8 hours of a recording fragmented per frame
 * (30 fps video and 48 kHz AAC each in fragments of their own), 4.6 hours of video alone, and far
 * more than a real recording fits in the default upload limit (100 MB). The screen walks them at
 * ~2-4 µs each, ffmpeg's remux at ~20 µs and ~240 bytes each (a million: 20 s, 240 MB); the
 * cleaner reads the file with ffmpeg a few times (500,000 one-sample fragments, 52 MB: 40 s for
 * the whole removal on a busy machine).
 */
export const MAX_PLAIN_FRAGMENTS = 500_000;
/** Their boxes: a plain fragment of one track has 6 (moof, mfhd, traf, tfhd, tfdt, trun). */
export const MAX_PLAIN_FRAGMENT_BOXES = 4_000_000;

/** A `moof` larger than this is walked as any box, never taken for a plain fragment (one of 2 s at 60 fps is ~2 kB). */
const PLAIN_MOOF_BYTES = 64 * 1024;
const MOOF_PARTS = new Set(["mfhd", "traf"]);
const TRAF_PARTS = new Set(["tfhd", "tfdt", "trun", "sbgp", "sgpd", "saiz", "saio", "senc", "subs", "sdtp"]);
/** Top-level boxes that start a segment of fragments: its brands and its index. */
const SEGMENT_HEADS = new Set(["styp", "sidx"]);

/**
 * Refuses (TooComplexError) a QuickTime / ISO BMFF file of more than MAX_ISO_BOXES boxes, counting
 * the top level and inside every container ExifTool walks (an item list's items too), before
 * ExifTool reads it. Only box heads are read. A box that does not fit where it stands ends the
 * walk of its container: damage is left to ExifTool and the cleaner, which stop there too. The
 * EXIF items of its `meta` boxes are counted then (see heif-item-screen.ts), and the manifest of
 * its C2PA `uuid` boxes walked (see iso-c2pa-screen.ts).
 *
 * With `hide`, the caller shows ExifTool the file without the runs of plain fragments it gives
 * back (all but the last of each run): those are counted against MAX_PLAIN_FRAGMENTS instead, so
 * that recordings of many hours are read as quickly as short ones.
 */
export async function checkIsoShape(file: string, opts: { hide?: boolean } = {}): Promise<IsoShape> {
  const src = await FileBytes.open(file);
  try {
    return await walkFile(src, opts.hide === true);
  } finally {
    await src.close();
  }
}

type Count = { all: number; other: number; fragments: number; index: number; plainFragments: number; plainBoxes: number; metas: Span[]; tracks: SampleTables[]; sampleLists: TableBox[] };

/** The boxes of a track's sample table that place its samples in the file, by kind. */
const SAMPLE_TABLES: Readonly<Record<string, "sizes" | "offsets" | "chunks">> = { stsz: "sizes", stz2: "sizes", stco: "offsets", co64: "offsets", stsc: "chunks" };

/**
 * A run of plain fragments and of the media data and segment heads between them. Its last segment
 * (from its last segment head or plain `moof` on) is counted as ExifTool will read it; the rest is
 * hidden.
 */
interface Run {
  from: number;
  /** Where its last segment starts. */
  segmentFrom: number;
  /** Boxes before the last segment, and in it: the number of parts of each of its fragments, then its top-level other boxes. */
  hiddenBoxes: number;
  segmentParts: number[];
  segmentTops: string[];
  /** The type of its last top-level box. */
  lastType: string;
}

async function walkFile(src: FileBytes, hide: boolean): Promise<IsoShape> {
  const count: Count = { all: 0, other: 0, fragments: 0, index: 0, plainFragments: 0, plainBoxes: 0, metas: [], tracks: [], sampleLists: [] };
  const shape: IsoShape = { hidden: [], hiddenBoxes: 0 };
  let run: Run | null = null;
  const jumbf = new JumbfTally();
  for (let at = 0; src.size - at >= 8; ) {
    // What the window holds is read without an await: a long recording has millions of boxes.
    const box = boxAt(src.peek(at, 16) ?? (await src.read(at, 16)), src.size - at);
    if (box == null) break; // the rest is left to ExifTool, which stops there too
    const parts = hide && box.type === "moof" ? await plainFragmentParts(src, at, box) : null;
    if (parts != null || (run != null && (box.type === "mdat" || SEGMENT_HEADS.has(box.type)))) {
      run ??= { from: at, segmentFrom: at, hiddenBoxes: 0, segmentParts: [], segmentTops: [], lastType: "" };
      if ((SEGMENT_HEADS.has(box.type) || parts != null) && !SEGMENT_HEADS.has(run.lastType) && at > run.from) newSegment(run, at);
      if (parts != null) run.segmentParts.push(parts);
      else run.segmentTops.push(box.type);
      run.lastType = box.type;
      countPlain(count, parts);
    } else {
      if (run != null) endRun(run, count, shape);
      run = null;
      await walkBoxes(src, at, at + box.size, count);
      if (box.type === "uuid") await checkC2paUuidBox(src, at + box.header, at + box.size, jumbf);
    }
    at += box.size;
  }
  if (run != null) endRun(run, count, shape);
  await checkHeifItems(src, count.metas);
  await checkSampleTables(src, count.tracks, count.sampleLists);
  return shape;
}

function newSegment(run: Run, at: number): void {
  run.hiddenBoxes += run.segmentTops.length + run.segmentParts.reduce((a, b) => a + b + 1, 0);
  run.segmentFrom = at;
  run.segmentParts = [];
  run.segmentTops = [];
}

/** Counts a box of a run, refusing the file past the limits of plain fragments. */
function countPlain(count: Count, parts: number | null): void {
  count.plainBoxes += 1 + (parts ?? 0);
  if (parts != null && ++count.plainFragments > MAX_PLAIN_FRAGMENTS) throw new TooComplexError(`quicktime: more than ${MAX_PLAIN_FRAGMENTS} movie fragments`);
  if (count.plainBoxes > MAX_PLAIN_FRAGMENT_BOXES) throw new TooComplexError(`quicktime: more than ${MAX_PLAIN_FRAGMENT_BOXES} boxes in movie fragments`);
}

/** Hides a run but its last segment, which is counted as ExifTool reads it. */
function endRun(run: Run, count: Count, shape: IsoShape): void {
  if (run.segmentFrom > run.from) {
    shape.hidden.push({ from: run.from, to: run.segmentFrom });
    shape.hiddenBoxes += run.hiddenBoxes;
  }
  for (const parts of run.segmentParts) {
    countBox(count, "moof", true, false);
    for (let i = 0; i < parts; i++) countBox(count, "traf", false, true);
  }
  for (const type of run.segmentTops) countBox(count, type, true, false);
}

/**
 * How many boxes a `moof` at `at` holds when it is a plain fragment: a header and track fragments
 * of sample tables only (ISO 14496-12 8.8), filling it exactly; null for any other (user data,
 * `meta`, `uuid`, protection boxes, damage), which ExifTool then reads.
 */
async function plainFragmentParts(src: FileBytes, at: number, box: { header: number; size: number }): Promise<number | null> {
  if (box.header !== 8 || box.size > PLAIN_MOOF_BYTES) return null;
  const moof = src.peek(at, box.size) ?? (await src.read(at, box.size));
  if (moof.length !== box.size) return null;
  let parts = 0;
  const fill = (from: number, to: number, allowed: ReadonlySet<string>): boolean => {
    for (let p = from; p < to; ) {
      if (to - p < 8) return false;
      const size = moof.readUInt32BE(p);
      const type = moof.toString("latin1", p + 4, p + 8);
      if (size < 8 || size > to - p || !allowed.has(type)) return false;
      parts++;
      if (type === "traf" && !fill(p + 8, p + size, TRAF_PARTS)) return false;
      p += size;
    }
    return true;
  };
  return fill(8, box.size, MOOF_PARTS) ? parts : null;
}

/** Walks and counts the boxes in [from, to) of the top level and all they hold. */
async function walkBoxes(src: FileBytes, from: number, to: number, count: Count): Promise<void> {
  // Depth-first without recursion: the ends of the open containers and their types.
  const ends: number[] = [];
  const parents: string[] = [];
  // The track whose boxes are being walked, and those of the open containers.
  const tracks: Array<SampleTables | null> = [];
  let end = to;
  let parent = "";
  let track: SampleTables | null = null;
  // How many containers were open when the `moof` holding the walk was entered (-1: none holds it).
  let fragmentDepth = -1;
  for (let at = from; ; ) {
    if (end - at < 8) {
      const outer = ends.pop();
      if (outer == null) return;
      at = end;
      end = outer;
      parent = parents.pop() ?? "";
      track = tracks.pop() ?? null;
      if (ends.length <= fragmentDepth) fragmentDepth = -1;
      continue;
    }
    const box = boxAt(await src.read(at, 16), end - at);
    if (box == null) {
      at = end; // the rest of this container is left to ExifTool, which stops there too
      continue;
    }
    countBox(count, box.type, ends.length === 0, fragmentDepth >= 0);
    if (track != null) await noteSampleTable(src, track, parent, box.type, at + box.header, at + box.size);
    // A Novatek camera's list of where its GPS samples are, which ExifTool reads one by one.
    else if (parent === "moov" && box.type === "gps ") count.sampleLists.push({ type: box.type, from: at + box.header, to: at + box.size });
    const children = OPAQUE.has(box.type) ? null : await childrenAt(src, box.type, parent, at + box.header, at + box.size);
    if (children == null) {
      at += box.size;
      continue;
    }
    if (box.type === "meta") count.metas.push({ from: children, to: at + box.size });
    if (box.type === "moof" && fragmentDepth < 0) fragmentDepth = ends.length;
    ends.push(end);
    parents.push(parent);
    tracks.push(track);
    if (box.type === "trak") {
      track = { handler: "", sizes: null, offsets: null, chunks: null };
      count.tracks.push(track);
    }
    end = at + box.size;
    parent = box.type;
    at = children;
  }
}

/** Notes where a track's handler type and sample tables are (see iso-sample-screen.ts). */
async function noteSampleTable(src: FileBytes, track: SampleTables, parent: string, type: string, from: number, to: number): Promise<void> {
  const kind = parent === "stbl" ? SAMPLE_TABLES[type] : undefined;
  if (kind != null) track[kind] = { type, from, to };
  else if (parent === "mdia" && type === "hdlr" && to - from >= 12) track.handler = (await src.read(from + 8, 4)).toString("latin1");
}

/** Counts one box, refusing the file past either limit. */
function countBox(count: Count, type: string, topLevel: boolean, inFragment: boolean): void {
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
