import { TooComplexError } from "../errors.js";
import { FileBytes } from "../file-bytes.js";
import { APP1, APP11, EOI, J2C, lengthFieldSize, segmentLength, SOS } from "./jpeg-markers.js";
import { checkJumbf, JumbfTally } from "./jumbf-screen.js";
import { checkExifBlock, MAX_EXIF_ENTRIES, TiffTally } from "./tiff-screen.js";

/**
 * Segments before the picture's first scan before a JPEG is refused: ExifTool reads every one up
 * to there, and the cleaner every one, so a million empty APP15 segments (4 MB) took the service
 * 43 s. Real files have a dozen; Adobe's extended XMP, the most, cuts a 100 MB packet into 1,600.
 */
export const MAX_JPEG_SEGMENTS = 10_000;
/** Markers without a segment before the first scan (see MarkerTally): a file refused past them. */
const MAX_JPEG_STRAY_MARKERS = 10_000;
/** Fill bytes (0xff before a marker) before the first scan: ExifTool reads 1 MiB of them in ~0.4 s. */
const MAX_JPEG_FILL_BYTES = 1 << 20;

/**
 * Places of the arrays in which ExifTool keeps the pieces of JUMBF boxes not yet complete (see
 * JumbfSegments): a box cut in as many segments as a JPEG may hold before its picture.
 */
const MAX_JUMBF_PLACES = MAX_JPEG_SEGMENTS + 1;

export function isJpegHead(bytes: Buffer): boolean {
  return bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff;
}

/**
 * Whether a JPEG's first bytes leave its segments to be counted in the file: false when its first
 * scan starts within them, after few enough segments and no EXIF segment (most photos: no worker
 * is asked). One whose EXIF lies within them is walked there (see passesInHead): a 63 kB JPEG's
 * maker note of 4,369 records, each pointing at a table of 48 values of its own, took ExifTool
 * 10-12 s of CPU.
 */
export function jpegNeedsCheck(head: Buffer): boolean {
  const tally = new MarkerTally();
  for (let at = 2; ; ) {
    if (head[at] !== 0xff) {
      at = head.indexOf(0xff, at);
      if (at < 0) return true;
    }
    const step = nextSegment(head.subarray(at, at + 6), at);
    if (step === "scan") return false;
    if (step === "end" || head[at + 1] === APP1 || head[at + 1] === APP11) return true;
    const next = step.kind === "fill" ? skipFill(head, at) : step.next;
    if (tally.over(step.kind, next - at)) return true;
    at = next;
  }
}

/**
 * Refuses (TooComplexError) a JPEG of more than MAX_JPEG_SEGMENTS segments before its first scan,
 * whose EXIF segments hold more than MAX_EXIF_ENTRIES directory entries, or whose JUMBF segments
 * (C2PA manifests) are past jumbf-screen's limits or numbered past MAX_JUMBF_PLACES.
 */
export async function checkJpegShape(file: string): Promise<void> {
  const src = await FileBytes.open(file);
  try {
    await checkJpegBytes(src);
  } finally {
    await src.close();
  }
}

/** The same, of a file's bytes (its first ones only, in passesInHead). */
export async function checkJpegBytes(src: FileBytes): Promise<void> {
  const exif = new TiffTally(MAX_EXIF_ENTRIES);
  const jumbf = new JumbfSegments();
  const tally = new MarkerTally();
  for (let at = 2; ; ) {
    let head = src.peek(at, 6) ?? (await src.read(at, 6));
    // ExifTool reads past bytes that are no marker up to the next 0xff (warning of them), as this walk does.
    if (head.length > 0 && head[0] !== 0xff) {
      at = await src.indexOf(0xff, at);
      if (at < 0) return;
      head = src.peek(at, 6) ?? (await src.read(at, 6));
    }
    const step = nextSegment(head, at);
    if (step === "scan" || step === "end") return; // the end, or damage: the cleaner's to judge
    // A run of fill bytes is stepped over at once (the marker is its last 0xff).
    const next = step.kind === "fill" ? (await src.skip(0xff, at)) - 1 : step.next;
    if (tally.over(step.kind, next - at)) throw new TooComplexError(`jpeg: ${tally.excess()} before the picture`);
    if (head[1] === APP1) await checkExifBlock(src, at + 4, step.next - at - 4, exif);
    if (head[1] === APP11) await jumbf.add(src, at + 4, step.next - at - 4);
    at = next;
  }
}

/**
 * What ExifTool steps over one at a time before a JPEG's first scan, counted against their bounds:
 * segments, markers without one (stray ones: a stuffed 0xFF00, RSTn, TEM...; ~1.3 us of its CPU
 * each, so 8 MB of them took it 5-6 s and the service 13 s) and fill bytes (read a byte at a time,
 * 8 MB of them 3 s). Real files hold a dozen segments, a few stray markers (the cleaner refuses
 * more than 64) and a few fill bytes.
 */
class MarkerTally {
  private segments = 0;
  private stray = 0;
  private fill = 0;

  /** Takes a step of `kind` over `length` bytes; whether a bound is now passed. */
  over(kind: StepKind, length: number): boolean {
    if (kind === "segment") return ++this.segments > MAX_JPEG_SEGMENTS;
    if (kind === "stray") return ++this.stray > MAX_JPEG_STRAY_MARKERS;
    this.fill += length;
    return this.fill > MAX_JPEG_FILL_BYTES;
  }

  /** Which bound was passed, in words. */
  excess(): string {
    if (this.segments > MAX_JPEG_SEGMENTS) return `more than ${MAX_JPEG_SEGMENTS} segments`;
    if (this.stray > MAX_JPEG_STRAY_MARKERS) return `more than ${MAX_JPEG_STRAY_MARKERS} stray markers`;
    return `more than ${MAX_JPEG_FILL_BYTES} fill bytes`;
  }
}

/** The offset of the marker byte's 0xff ending the run of fill bytes at `at` in `head` (its end when the run reaches it). */
function skipFill(head: Buffer, at: number): number {
  let i = at;
  while (i < head.length && head[i] === 0xff) i++;
  return i - 1;
}

/**
 * JUMBF boxes in APP11 segments, put together as ExifTool does: each segment names its box's type
 * and its place in the box ("JP", an instance, a sequence number, then the box's header again and
 * a piece of its payload); a box is walked (see jumbf-screen.ts) when its pieces so far add up to
 * its length. ExifTool keeps the pieces of each type in an array indexed by the sequence number,
 * as long as the number says: one segment numbered 100,000,000 would make it an array of 800 MB.
 */
class JumbfSegments {
  private readonly pieces = new Map<string, Buffer[]>();
  /** Places of the arrays ExifTool holds for boxes not yet complete. */
  private places = 0;
  private readonly tally = new JumbfTally();

  async add(src: FileBytes, at: number, length: number): Promise<void> {
    if (length < 16) return;
    const payload = await src.read(at, Math.min(length, src.size - at));
    if (payload.length < 16 || payload.toString("latin1", 0, 2) !== "JP") return;
    const seq = payload.readUInt32BE(4);
    let type = payload.toString("latin1", 12, 16);
    let total = payload.readUInt32BE(8);
    const header = Buffer.from(payload.subarray(8, 16));
    // A writer's bug ExifTool mends: the length and type little-endian.
    if (type === "bmuj") {
      type = "jumb";
      total = payload.readUInt32LE(8);
      header.writeUInt32BE(total, 0);
      header.write(type, 4, "latin1");
    }
    let headerLength = 8;
    if (total === 1 && payload.length >= 24) {
      total = Number(payload.readBigUInt64BE(16));
      headerLength = 16;
    }
    let pieces = this.pieces.get(type);
    if (pieces == null) {
      pieces = [Buffer.alloc(0)];
      this.pieces.set(type, pieces);
      this.places++;
    }
    if (total < headerLength || (pieces[seq]?.length ?? 0) > 0) return;
    if (seq >= pieces.length) {
      this.places += seq + 1 - pieces.length;
      if (this.places > MAX_JUMBF_PLACES) throw new TooComplexError(`jpeg: JUMBF segments numbered past ${MAX_JUMBF_PLACES}`);
    }
    this.tally.take(payload.length);
    // A copy: a view would keep the reader's whole window alive.
    pieces[seq] = Buffer.from(payload.subarray(8 + headerLength));
    let size = headerLength;
    for (let i = 0; i < pieces.length; i++) {
      const piece = pieces[i];
      if (piece == null) return;
      size += piece.length;
    }
    if (size !== total) return;
    this.pieces.delete(type);
    this.places -= pieces.length;
    checkJumbf(Buffer.concat([header.subarray(0, 8), payload.subarray(16, 8 + headerLength), ...pieces]), this.tally);
  }
}

type StepKind = "segment" | "stray" | "fill";

/**
 * One step of the walk from the start of image to the first scan (SOS), given the 6 bytes at
 * `at`, as ExifTool takes it (its %markerLenBytes, JPEG 2000 codestream markers included): the
 * scan reached (SOS, or SOD), the end (the bytes end or hold no marker; EOI; a length ExifTool
 * stops at), or where the next marker is and what this one was.
 */
function nextSegment(head: Buffer, at: number): "scan" | "end" | { next: number; kind: StepKind } {
  if (head.length < 2 || head[0] !== 0xff) return "end";
  const marker = head[1]!;
  if (marker === 0xff) return { next: at + 1, kind: "fill" }; // a fill byte before a marker
  if (marker === SOS || marker === J2C.SOD) return "scan";
  if (marker === EOI) return "end";
  const field = lengthFieldSize(marker);
  if (field === 0) return { next: at + 2, kind: "stray" };
  const length = segmentLength(head.subarray(2), field);
  return length == null ? "end" : { next: at + 2 + length, kind: "segment" };
}
