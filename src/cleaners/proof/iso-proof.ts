import fsp from "node:fs/promises";
import { allZero, type Part, parts, topLevelBoxes, zero } from "./iso-parts.js";

/**
 * Whether a cleaned MP4/MOV is made only of boxes from which ExifTool can read nothing but the
 * file's structure, so that its re-read could report nothing `isStructural` would not leave out:
 * then verification may skip it. A walk of its own (not the box rewrite's code): top-level only
 * `ftyp`, one `moov`, `mdat`, and `free`/`skip` boxes of zeros; in `moov` the movie header and
 * picture and sound tracks, each made of the boxes ffmpeg itself writes, their dates zero, their
 * handler names, vendors and compressor names blank, their data in this file.
 *
 * Anything else, including a file that is perfectly clean but shaped otherwise (subtitles, a
 * timecode track, ffmpeg's own `udta`), does not hold, and the file gets the full re-read. So does
 * H.264 video: ExifTool's `-ee` parses its SEI (camera metadata in user data), which only the
 * re-read judges independently.
 */
export async function isoShapeHolds(file: string): Promise<boolean> {
  const fh = await fsp.open(file, "r");
  try {
    const boxes = await topLevelBoxes(fh);
    if (boxes == null) return false;
    let moov: Buffer | null = null;
    for (const [count, { type, at, header, length }] of boxes.entries()) {
      if (count === 0 && type !== "ftyp") return false;
      if (type === "moov") {
        if (moov != null || length > MAX_MOOV) return false;
        moov = Buffer.alloc(length);
        await fh.read(moov, 0, length, at);
      } else if (type === "free" || type === "skip") {
        if (!(await allZero(fh, at + header, at + length))) return false;
      } else if (type !== "mdat" && !(type === "ftyp" && count === 0)) return false;
    }
    return moov != null && moovHolds(moov);
  } finally {
    await fh.close();
  }
}

const MAX_MOOV = 64 * 1024 * 1024;

/** A full box's creation and modification times (32 or 64 bits each, by its version) are zero. */
function datesZero(buf: Buffer, p: Part): boolean {
  const wide = buf[p.from] === 1;
  return p.to - p.from >= (wide ? 20 : 12) && zero(buf, p.from + 4, p.from + (wide ? 20 : 12));
}

/** An `hdlr` whose manufacturer fields and name are blank. */
function blankHandler(buf: Buffer, p: Part): boolean {
  return p.to - p.from >= 12 && zero(buf, p.from + 12, p.to);
}

function moovHolds(buf: Buffer): boolean {
  const children = parts(buf, 8, buf.length);
  if (children == null) return false;
  let headers = 0;
  let tracks = 0;
  for (const c of children) {
    if (c.type === "mvhd" && datesZero(buf, c)) headers++;
    else if (c.type === "trak" && trackHolds(buf, c)) tracks++;
    else return false;
  }
  return headers === 1 && tracks > 0;
}

function trackHolds(buf: Buffer, trak: Part): boolean {
  const children = parts(buf, trak.from, trak.to);
  if (children == null) return false;
  return children.every((c) => {
    if (c.type === "tkhd") return datesZero(buf, c);
    if (c.type === "edts") return (parts(buf, c.from, c.to) ?? [{ type: "" }]).every((e) => e.type === "elst");
    if (c.type === "mdia") return mediaHolds(buf, c);
    return false;
  });
}

function mediaHolds(buf: Buffer, mdia: Part): boolean {
  const children = parts(buf, mdia.from, mdia.to);
  const hdlr = children?.find((c) => c.type === "hdlr");
  if (children == null || hdlr == null || hdlr.to - hdlr.from < 12) return false;
  const handler = buf.toString("latin1", hdlr.from + 8, hdlr.from + 12);
  if (handler !== "vide" && handler !== "soun") return false;
  return children.every((c) => {
    if (c.type === "mdhd") return datesZero(buf, c);
    if (c.type === "hdlr") return blankHandler(buf, c);
    if (c.type === "minf") return minfHolds(buf, c, handler);
    return false;
  });
}

// Narrower than what the box rewrite keeps: only boxes whose every tag ExifTool reads is on
// isMediaStructural's list, so that skipping the re-read gives the answer it would give.
const TABLES = new Set(["stts", "ctts", "stss", "stsc", "stsz", "stco", "co64", "sdtp", "sgpd", "sbgp"]);

function minfHolds(buf: Buffer, minf: Part, handler: string): boolean {
  const children = parts(buf, minf.from, minf.to);
  if (children == null) return false;
  return children.every((c) => {
    if (c.type === "vmhd" || c.type === "smhd") return true;
    if (c.type === "hdlr") return blankHandler(buf, c);
    if (c.type === "dinf") return dataHere(buf, c);
    if (c.type === "stbl") {
      const tables = parts(buf, c.from, c.to);
      return tables != null && tables.every((t) => TABLES.has(t.type) || (t.type === "stsd" && descriptionsHold(buf, t, handler)));
    }
    return false;
  });
}

/** Every data reference is "this file" (flag 1) with nothing after its flags. */
function dataHere(buf: Buffer, dinf: Part): boolean {
  const children = parts(buf, dinf.from, dinf.to);
  if (children?.length !== 1 || children[0]!.type !== "dref") return false;
  const refs = parts(buf, children[0]!.from + 8, children[0]!.to);
  return refs != null && refs.every((r) => (r.type === "url " || r.type === "alis") && r.to - r.from === 4 && (buf[r.from + 3]! & 1) === 1);
}

// ExifTool's -ee parses H.264 samples (avcC): those files keep the re-read.
const VIDEO = new Set(["hvc1", "hev1", "mp4v", "av01", "vp09"]);
const SOUND = new Set(["mp4a", "Opus", "sowt", "twos", "lpcm"]);
const VIDEO_CHILDREN = new Set(["hvcC", "esds", "pasp", "colr", "btrt", "fiel", "av1C", "vpcC"]);
const SOUND_CHILDREN = new Set(["esds", "chan", "wave", "dOps", "btrt"]);
const WAVE_CHILDREN = new Set(["frma", "mp4a", "esds", "chan", "\0\0\0\0"]);

function descriptionsHold(buf: Buffer, stsd: Part, handler: string): boolean {
  const entries = parts(buf, stsd.from + 8, stsd.to);
  if (entries == null || entries.length === 0) return false;
  return entries.every((e) => {
    const video = handler === "vide";
    if (!(video ? VIDEO : SOUND).has(e.type) || e.to - e.from < (video ? 78 : 28)) return false;
    if (!zero(buf, e.from + 12, e.from + 16)) return false; // vendor
    if (video) return zero(buf, e.from + 42, e.from + 74) && childrenHold(buf, e.from + 78, e.to, VIDEO_CHILDREN);
    const fixed = [28, 44, 64][buf.readUInt16BE(e.from + 8)];
    return fixed != null && e.to - e.from >= fixed && childrenHold(buf, e.from + fixed, e.to, SOUND_CHILDREN);
  });
}

function childrenHold(buf: Buffer, from: number, to: number, allowed: ReadonlySet<string>): boolean {
  const children = parts(buf, from, to);
  return (
    children != null &&
    children.every((c) => {
      if (!allowed.has(c.type)) return false;
      if (c.type === "colr") return ["nclx", "nclc"].includes(buf.toString("latin1", c.from, c.from + 4));
      if (c.type === "wave") return childrenHold(buf, c.from, c.to, WAVE_CHILDREN);
      return true;
    })
  );
}
