import { BadFileError } from "../errors.js";
import { APPLICATION, EXTENSION, GRAPHIC_CONTROL, IMAGE, LOOPING, TRAILER } from "./gif-blocks.js";

const COMMENT = 0xfe;

/**
 * A GIF inside another file (an EMF+ image), cleaned where it lies: its length cannot change. As
 * the GIF cleaner (gif.ts) keeps them, the header, colour tables, frames, graphic controls and a
 * loop count of the usual form stay; every other extension (comments, XMP and other application
 * data, plain text) becomes a comment of zeros over the same bytes, and bytes after the trailer
 * become zeros. Says whether anything changed; false when those bytes are no GIF. One whose
 * blocks cannot be followed to the trailer is refused: what it holds cannot be told apart.
 */
export function cleanGif(b: Buffer, start: number, end: number): boolean {
  const gif = b.subarray(start, end);
  const signature = gif.toString("latin1", 0, 6);
  if (gif.length < 13 || (signature !== "GIF87a" && signature !== "GIF89a")) return false;
  let at = 13 + colourTable(gif[10]!);
  let changed = false;
  while (at < gif.length) {
    const block = gif[at]!;
    if (block === TRAILER) {
      const tail = gif.subarray(at + 1);
      if (tail.some((byte) => byte !== 0)) {
        tail.fill(0);
        changed = true;
      }
      return changed;
    }
    if (block === IMAGE) {
      if (at + 10 > gif.length) throw damaged("a frame's descriptor runs past its end");
      at = subBlocksEnd(gif, at + 10 + colourTable(gif[at + 9]!) + 1);
    } else if (block === EXTENSION && at + 2 <= gif.length) {
      const end = subBlocksEnd(gif, at + 2);
      if (end > gif.length) throw damaged("an extension runs past its end");
      if (!kept(gif.subarray(at, end))) changed = blankExtension(gif.subarray(at, end)) || changed;
      at = end;
    } else throw damaged(`a block of type 0x${block.toString(16)}`);
  }
  throw damaged("it has no trailer");
}

const colourTable = (flags: number): number => ((flags & 0x80) !== 0 ? 3 * 2 ** ((flags & 7) + 1) : 0);

/** Past the sub-blocks starting at `at` and their terminator (past the end when they run out). */
function subBlocksEnd(gif: Buffer, at: number): number {
  while (at < gif.length && gif[at] !== 0) at += gif[at]! + 1;
  return at + 1;
}

/** A graphic control of its one 4-byte sub-block, or a loop count of its usual form (one 3-byte sub-block). */
function kept(ext: Buffer): boolean {
  if (ext[1] === GRAPHIC_CONTROL) return ext.length === 8 && ext[2] === 4;
  if (ext[1] !== APPLICATION || ext.length !== 19 || ext[2] !== 11 || !LOOPING.has(ext.toString("latin1", 3, 14))) return false;
  return ext[14] === 3 && ext[15] === 1;
}

/**
 * The extension becomes a comment of zeros over the same bytes: sub-blocks of zeros (of 255
 * bytes and less, none of one byte left alone, which a sub-block cannot be) and the terminator,
 * always laid out alike, so that the sub-blocks' lengths tell nothing either. Says whether it was
 * not that comment already (a copy cleaned again).
 */
function blankExtension(ext: Buffer): boolean {
  const blank = Buffer.alloc(ext.length);
  blank[0] = EXTENSION;
  blank[1] = COMMENT;
  let at = 2;
  for (let left = ext.length - 3; left > 0; ) {
    let size = Math.min(255, left - 1);
    if (left - (size + 1) === 1) size--;
    blank[at] = size;
    at += size + 1;
    left -= size + 1;
  }
  if (blank.equals(ext)) return false;
  blank.copy(ext);
  return true;
}

function damaged(why: string): BadFileError {
  return new BadFileError(
    "The file holds a GIF picture whose structure this service cannot follow, so its metadata cannot be removed.",
    new Error(`GIF picture inside: ${why}`),
  );
}
