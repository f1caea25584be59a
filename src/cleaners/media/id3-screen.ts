import { TooComplexError } from "../errors.js";
import { FileBytes } from "../file-bytes.js";
import { checkFlacShape, isFlacAt } from "./flac-screen.js";

/**
 * Frames of an ID3v2 tag before the file is refused: ExifTool turns each into a tag, ~130 µs and a
 * kilobyte each kept until its read ends (100,000 tiny TXXX frames, 1.3 MB: 13 s for the service;
 * a million passed its 60 s timeout). Real tags have dozens of frames; an audiobook's chapters a
 * few hundred.
 */
export const MAX_ID3_FRAMES = 10_000;

export function isId3Head(bytes: Buffer): boolean {
  return bytes.length >= 10 && bytes.toString("latin1", 0, 3) === "ID3";
}

/**
 * Refuses (TooComplexError) a file whose leading ID3v2 tag has more than MAX_ID3_FRAMES frames,
 * reading frame heads only, and a FLAC file after it of too many metadata blocks. The first frame
 * of zeros (padding) or running past the tag ends the walk.
 */
export async function checkId3Shape(file: string): Promise<void> {
  const src = await FileBytes.open(file);
  try {
    await checkId3Bytes(src);
  } finally {
    await src.close();
  }
}

/** The same walk, over a file's bytes already open (or its head: see FileBytes.ofHead). */
export async function checkId3Bytes(src: FileBytes): Promise<void> {
  const head = await src.read(0, 10);
  const version = head[3]!;
  const end = Math.min(src.size, 10 + syncsafe(head, 6));
  let at = 10;
  if ((head[5]! & 0x40) !== 0 && version >= 3) {
    // An extended header: its size counts itself in version 4, not in version 3.
    const ext = await src.read(at, 4);
    at += version === 4 ? syncsafe(ext, 0) : 4 + ext.readUInt32BE(0);
  }
  const frameHead = version === 2 ? 6 : 10;
  for (let frames = 0; end - at >= frameHead; ) {
    const frame = src.peek(at, frameHead) ?? (await src.read(at, frameHead));
    if (frame[0] === 0) break;
    if (++frames > MAX_ID3_FRAMES) throw new TooComplexError(`id3: more than ${MAX_ID3_FRAMES} frames`);
    const size = version === 2 ? frame.readUIntBE(3, 3) : version === 4 ? syncsafe(frame, 4) : frame.readUInt32BE(4);
    at += frameHead + size;
  }
  const after = await src.read(end, 4);
  if (isFlacAt(after)) await checkFlacShape(src, end);
}

/** A 28-bit size written 7 bits a byte. */
function syncsafe(bytes: Buffer, at: number): number {
  return ((bytes[at]! & 0x7f) << 21) | ((bytes[at + 1]! & 0x7f) << 14) | ((bytes[at + 2]! & 0x7f) << 7) | (bytes[at + 3]! & 0x7f);
}
