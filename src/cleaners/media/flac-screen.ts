import { TooComplexError } from "../errors.js";
import { FileBytes } from "../file-bytes.js";

/**
 * Metadata blocks, and Vorbis comments, before a FLAC file is refused: ExifTool turns each into a
 * tag, ~120 µs and a kilobyte each kept until its read ends (100,000 empty padding blocks, 400 kB:
 * 12 s for the service; a million passed its 60 s timeout). Real files have a handful of blocks
 * (a scanned booklet: a few dozen pictures) and at most a few hundred comments.
 */
export const MAX_FLAC_BLOCKS = 10_000;
export const MAX_VORBIS_COMMENTS = 10_000;

const VORBIS_COMMENT = 4;

export function isFlacAt(bytes: Buffer): boolean {
  return bytes.toString("latin1", 0, 4) === "fLaC";
}

/**
 * Refuses (TooComplexError) FLAC metadata starting at `at` (its "fLaC") of more blocks or comments
 * than the limits, reading block heads and comment counts only. A block running past the end ends
 * the walk: damage is the cleaner's to judge.
 */
export async function checkFlacShape(src: FileBytes, at: number): Promise<void> {
  let blocks = 0;
  let comments = 0;
  for (at += 4; src.size - at >= 4; ) {
    const head = src.peek(at, 4) ?? (await src.read(at, 4));
    const type = head[0]! & 0x7f;
    const length = head.readUIntBE(1, 3);
    if (++blocks > MAX_FLAC_BLOCKS) throw new TooComplexError(`flac: more than ${MAX_FLAC_BLOCKS} metadata blocks`);
    if (type === VORBIS_COMMENT) {
      comments += await commentCount(src, at + 4, length);
      if (comments > MAX_VORBIS_COMMENTS) throw new TooComplexError(`flac: more than ${MAX_VORBIS_COMMENTS} Vorbis comments`);
    }
    if ((head[0]! & 0x80) !== 0) return; // the last block
    at += 4 + length;
  }
}

/** The comments a Vorbis comment block of `length` bytes at `at` claims, as many as could fit (4 bytes each). */
async function commentCount(src: FileBytes, at: number, length: number): Promise<number> {
  const vendor = await src.read(at, 4);
  if (vendor.length < 4) return 0;
  const countAt = at + 4 + vendor.readUInt32LE(0);
  const count = await src.read(countAt, 4);
  if (count.length < 4 || countAt + 4 > at + length) return 0;
  return Math.min(count.readUInt32LE(0), Math.floor((at + length - countAt - 4) / 4));
}

/** The same, for a file starting with its "fLaC". */
export async function checkFlacFile(file: string): Promise<void> {
  const src = await FileBytes.open(file);
  try {
    await checkFlacShape(src, 0);
  } finally {
    await src.close();
  }
}
