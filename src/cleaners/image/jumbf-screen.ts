import { TooComplexError } from "../errors.js";

/**
 * Boxes in all the JUMBF blocks of a file (C2PA manifests: a JPEG's APP11 segments, a JPEG XL's
 * `jumb` boxes, a PNG's caBX chunk, a WebP's C2PA chunk, a GIF's C2PA_GIF application extension,
 * an ISO BMFF file's C2PA `uuid` box): ExifTool reads each, a superbox as a document of its own. A C2PA manifest store
 * has tens to a few hundred.
 */
export const MAX_JUMBF_BOXES = 10_000;
/**
 * Superboxes (`jumb`) inside one another, and values inside one another in a CBOR or JSON box:
 * ExifTool reads each level by calling itself again, and its CBOR reader copies its indentation
 * (two spaces a level) at every level, which grows as the square of the depth. C2PA's manifests
 * nest a handful of levels, their CBOR about ten.
 */
export const MAX_JUMBF_DEPTH = 100;
/**
 * CBOR and JSON values in all the JUMBF blocks of a file, which ExifTool turns into tags. A
 * manifest store holds hundreds to a few thousand (a thumbnail is one byte string).
 */
export const MAX_JUMBF_VALUES = 100_000;

/** The UUID of a box ExifTool reads as CBOR (a C2PA claim signature, in some JPEGs' JUMBF). */
const JUMBF_CBOR_UUID = Buffer.concat([Buffer.from("c2cs", "latin1"), Buffer.from("00110010800000aa00389b71", "hex")]);

/**
 * Bytes of JUMBF blocks a screen holds to walk them, in all: ExifTool reads each block whole. A
 * manifest store with its thumbnails is tens of kilobytes to a few megabytes.
 */
export const MAX_JUMBF_BYTES = 32 * 1024 * 1024;

/** What the JUMBF blocks of one file add up to against the limits. */
export class JumbfTally {
  private boxes = 0;
  private values = 0;
  private bytes = 0;

  /** Counts `n` more bytes held, checking the total. */
  take(n: number): void {
    this.bytes += n;
    if (this.bytes > MAX_JUMBF_BYTES) throw new TooComplexError(`jumbf: more than ${MAX_JUMBF_BYTES} bytes`);
  }

  box(): void {
    if (++this.boxes > MAX_JUMBF_BOXES) throw new TooComplexError(`jumbf: more than ${MAX_JUMBF_BOXES} boxes`);
  }

  value(): void {
    if (++this.values > MAX_JUMBF_VALUES) throw new TooComplexError(`jumbf: more than ${MAX_JUMBF_VALUES} values`);
  }
}

const tooDeep = (): TooComplexError => new TooComplexError(`jumbf: values or boxes nested more than ${MAX_JUMBF_DEPTH} deep`);

/**
 * Refuses (TooComplexError) a JUMBF block (boxes, as ExifTool's ProcessJpeg2000Box reads them) past
 * the limits, counted into `tally`, which the file's other JUMBF blocks share: its boxes, how deep
 * its superboxes nest, and the values of its CBOR and JSON boxes and how deep they nest. A box that
 * does not fit ends the walk, as it ends ExifTool's.
 */
export function checkJumbf(bytes: Buffer, tally: JumbfTally, depth = 0): void {
  if (depth > MAX_JUMBF_DEPTH) throw tooDeep();
  for (let at = 0; bytes.length - at >= 8; ) {
    let size = bytes.readUInt32BE(at);
    const type = bytes.toString("latin1", at + 4, at + 8);
    let header = 8;
    if (size === 1) {
      if (bytes.length - at < 16 || bytes.readUInt32BE(at + 8) !== 0) return;
      size = bytes.readUInt32BE(at + 12);
      header = 16;
    } else if (size === 0) size = bytes.length - at;
    if (size < header || size > bytes.length - at) return;
    tally.box();
    const payload = bytes.subarray(at + header, at + size);
    if (type === "jumb") checkJumbf(payload, tally, depth + 1);
    else if (type === "cbor") checkCbor(payload, tally);
    else if (type === "json") checkJson(payload, tally);
    else if (type === "uuid" && payload.subarray(0, 16).equals(JUMBF_CBOR_UUID)) checkCbor(payload.subarray(16), tally);
    at += size;
  }
}

/**
 * Counts a CBOR box's values and how deep they nest, as ExifTool's ReadCBORValue reads them: an
 * array, a map, a tagged value and a string in chunks each read their contents one level down. A
 * value that does not fit or is not CBOR ends it, as it ends ExifTool's.
 */
export function checkCbor(data: Buffer, tally: JumbfTally): void {
  // Values still to read at each open level (-1: until a break).
  const open: number[] = [];
  for (let at = 0; at < data.length; ) {
    const initial = data[at++]!;
    const major = initial >> 5;
    const info = initial & 31;
    let n = info;
    if (info === 31) n = -1;
    else if (info >= 24) {
      if (info > 27) return;
      const size = 1 << (info - 24);
      if (at + size > data.length) return;
      n = size === 8 ? Number(data.readBigUInt64BE(at)) : data.readUIntBE(at, size);
      at += size;
    }
    tally.value();
    if (major === 7 && info === 31) {
      // A break ends the innermost level read until one.
      if (open.pop() !== -1) return;
      ended(open);
      continue;
    }
    let inside = 0;
    if (major === 2 || major === 3) {
      if (n < 0) inside = -1;
      else at += n;
    } else if (major === 4 || major === 5) inside = n < 0 ? -1 : major === 5 ? 2 * n : n;
    else if (major === 6) inside = 1;
    if (inside === 0) {
      ended(open);
      continue;
    }
    open.push(inside);
    if (open.length > MAX_JUMBF_DEPTH) throw tooDeep();
  }
}

/** One value of the innermost level read: the levels it completes are closed, each a value of the one outside it. */
function ended(open: number[]): void {
  while (open.length > 0) {
    const left = open[open.length - 1]!;
    if (left < 0) return;
    if (left > 1) {
      open[open.length - 1] = left - 1;
      return;
    }
    open.pop();
  }
}

/** Counts a JSON box's values (by its commas and openings) and how deep its arrays and objects nest, outside strings. */
function checkJson(data: Buffer, tally: JumbfTally): void {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < data.length; i++) {
    const c = data[i]!;
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
      continue;
    }
    if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      tally.value();
      if (++depth > MAX_JUMBF_DEPTH) throw tooDeep();
    } else if (c === 0x5d || c === 0x7d) depth--;
    else if (c === 0x2c) tally.value();
  }
}
