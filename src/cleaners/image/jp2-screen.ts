import { TooComplexError } from "../errors.js";
import { FileBytes } from "../file-bytes.js";
import { boxAt } from "./box-at.js";
import { checkJumbf, JumbfTally } from "./jumbf-screen.js";
import { checkExifBlock, MAX_EXIF_ENTRIES, TiffTally } from "./tiff-screen.js";

/**
 * Boxes, at every depth, before a JPEG 2000 file is refused: ExifTool reads every one (100,000
 * labels, 900 kB: 22 s at 117 MB; as many empty boxes of no known type 2 s).
 * A JP2 has a handful: signature, brands, header, codestream, XML and UUID boxes; a JPX a few
 * more per codestream and layer.
 */
export const MAX_JP2_BOXES = 10_000;
/**
 * Superboxes nested deeper than this are refused (JPX nests association boxes two or three deep;
 * ExifTool holds every level: a label 5,000 deep, 42 kB, took it to 113 MB).
 */
export const MAX_JP2_DEPTH = 32;

const SIGNATURE = Buffer.from("0000000c6a5020200d0a870a", "hex");
/** Boxes whose children ExifTool reads as boxes (ISO/IEC 15444-1 and -2); JUMBF's are jumbf-screen's. */
const SUPERBOXES: ReadonlySet<string> = new Set(["jp2h", "res ", "jpch", "jplh", "asoc", "uinf"]);
/**
 * UUID boxes that ExifTool reads an EXIF block (a TIFF structure) from, after the UUID: ExifTool's
 * own and Digikam's ("JpgTiffExif->JP2", with or without "Exif\0\0" after it), Adobe's JPEG 2000
 * plug-in's, and GeoJP2's.
 */
const EXIF_UUIDS: readonly Buffer[] = [
  Buffer.from("JpgTiffExif->JP2", "latin1"),
  Buffer.from("0537cdab9d0c4431a72afa561f2a113e", "hex"),
  Buffer.from("b14bf8bd083d4b43a5ae8cd7d5a6ce03", "hex"),
];
const UUID_LENGTH = 16;

export function isJp2Head(bytes: Buffer): boolean {
  return bytes.length >= SIGNATURE.length && bytes.subarray(0, SIGNATURE.length).equals(SIGNATURE);
}

/** What the walk has counted so far: over one file, or over every JPEG 2000 picture of a PDF. */
export interface Jp2Tally {
  boxes: number;
  exif: TiffTally;
  jumbf: JumbfTally;
}

export function newJp2Tally(): Jp2Tally {
  return { boxes: 0, exif: new TiffTally(MAX_EXIF_ENTRIES), jumbf: new JumbfTally() };
}

/**
 * Refuses (TooComplexError) a JPEG 2000 file (JP2, JPX, JPM, Motion JPEG 2000) of more than
 * MAX_JP2_BOXES boxes, nested deeper than MAX_JP2_DEPTH, or whose EXIF blocks (`Exif` boxes and
 * EXIF UUID boxes, wherever ExifTool looks for them) hold more than MAX_EXIF_ENTRIES directory
 * entries in all, maker notes counted (twenty Exif boxes of a maker note of 16,000 entries, 3.8 MB,
 * held ExifTool past 100 s at 327 MB; as many EXIF UUID boxes 67 s). A box that does not fit ends
 * the walk of its level: damage is the cleaner's to judge.
 */
export async function checkJp2Shape(file: string): Promise<void> {
  const src = await FileBytes.open(file);
  try {
    await checkJp2Boxes(src, 0, src.size, newJp2Tally());
  } finally {
    await src.close();
  }
}

/** The same over the JPEG 2000 file in `[from, to)` of `src` (a PDF's picture), counted into `tally`. */
export function checkJp2Boxes(src: FileBytes, from: number, to: number, tally: Jp2Tally): Promise<void> {
  return walkBoxes(src, from, to, 0, tally);
}

async function walkBoxes(src: FileBytes, from: number, to: number, depth: number, tally: Jp2Tally): Promise<void> {
  if (depth > MAX_JP2_DEPTH) throw new TooComplexError(`jpeg 2000: boxes nested deeper than ${MAX_JP2_DEPTH}`);
  for (let at = from; to - at >= 8; ) {
    const box = boxAt(src.peek(at, 16) ?? (await src.read(at, 16)), 0, to - at);
    if (box == null) return;
    if (++tally.boxes > MAX_JP2_BOXES) throw new TooComplexError(`jpeg 2000: more than ${MAX_JP2_BOXES} boxes`);
    const payload = at + box.headerSize;
    const length = box.size - box.headerSize;
    if (SUPERBOXES.has(box.type)) await walkBoxes(src, payload, at + box.size, depth + 1, tally);
    if (box.type === "jumb") {
      tally.jumbf.take(box.size);
      checkJumbf(await src.read(at, box.size), tally.jumbf);
    }
    const exif = await exifStart(src, box.type, payload, length);
    if (exif != null && exif < length) await checkExifBlock(src, payload + exif, length - exif, tally.exif);
    at += box.size;
  }
}

/** Where, in the payload of a box of `type`, ExifTool reads an EXIF block; null when it reads none there. */
export async function exifStart(src: FileBytes, type: string, payload: number, length: number): Promise<number | null> {
  // An Exif box's first 4 bytes: where the TIFF header starts after them.
  if (type === "Exif" && length > 4) return 4 + (await src.read(payload, 4)).readUInt32BE(0);
  if (type !== "uuid" || length <= UUID_LENGTH) return null;
  const uuid = await src.read(payload, UUID_LENGTH);
  return EXIF_UUIDS.some((u) => u.equals(uuid)) ? UUID_LENGTH : null;
}
