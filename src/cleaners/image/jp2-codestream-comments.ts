import fsp from "node:fs/promises";
import { BadFileError } from "../errors.js";
import type { Range } from "../media/iso-samples.js";
import type { Box } from "./box-at.js";
import { damaged, jp2BoxAt } from "./jp2-boxes.js";
import { COM, SOC, walkCodestream, Window } from "./jp2-codestream.js";
import { plainJp2Header } from "./jp2-header.js";

const CODESTREAM_BOX = "jp2c";
/**
 * What a Motion JPEG 2000 frame may hold besides its codestream box: an encoder that writes each
 * frame as a whole JP2 file puts its signature, file type and header there.
 */
const FRAME_BOXES: ReadonlySet<string> = new Set(["jP  ", "ftyp", "jp2h"]);
/** A frame's JP2 header is a few numbers; a larger one is not read. */
const MAX_FRAME_HEADER = 64 * 1024;

/**
 * Blanks, in place, the comment (COM) segments of every top-level codestream box of a JP2/JPX
 * file: encoders write their name and version there (Kakadu, OpenJPEG) and let users add any text
 * (`opj_compress -C`), and ExifTool neither reads nor rewrites them inside a JP2, so they passed
 * through unseen. Comments may stand in the main header and in every tile-part header; each is
 * turned into a binary comment of zeros of the same length, so no tile-part length or index
 * (TLM, PLT) moves. Resolves to the number of comments blanked.
 */
export async function blankCodestreamComments(file: string): Promise<number> {
  const fh = await fsp.open(file, "r+");
  try {
    const bytes = new Window(fh, (await fh.stat()).size);
    let blanked = 0;
    for (let at = 0; at < bytes.size; ) {
      const box = await boxIn(bytes, at, bytes.size, "the file");
      if (box.type === CODESTREAM_BOX) blanked += await blankIn(bytes, at + box.headerSize, at + box.size);
      at += box.size;
    }
    await bytes.flush();
    return blanked;
  } finally {
    await fh.close();
  }
}

/**
 * Blanks, in place, the comments of the codestreams of a Motion JPEG 2000 file's frames, each
 * frame a range of the file: a bare codestream, or boxes of which one is a codestream. A frame
 * holding any other box (XML, UUID, an ICC profile in its header) is refused: its length is
 * counted in the sample tables, so the box cannot go, and what it says is not known to be clean.
 * Resolves to the number of comments blanked.
 */
export async function blankFrameComments(file: string, frames: readonly Range[]): Promise<number> {
  const fh = await fsp.open(file, "r+");
  try {
    const bytes = new Window(fh, (await fh.stat()).size);
    let blanked = 0;
    for (const frame of [...frames].sort((a, b) => a.start - b.start)) {
      if (frame.end > bytes.size) throw damaged(`a frame at byte ${frame.start} runs past the end of the file`);
      if ((await bytes.read(frame.start, 2)).readUInt16BE(0) === SOC) {
        blanked += await blankIn(bytes, frame.start, frame.end);
        continue;
      }
      for (let at = frame.start; at < frame.end; ) {
        const box = await boxIn(bytes, at, frame.end, "its frame");
        if (box.type === CODESTREAM_BOX) blanked += await blankIn(bytes, at + box.headerSize, at + box.size);
        else if (!FRAME_BOXES.has(box.type) || (box.type === "jp2h" && !(await plainHeaderAt(bytes, at, box)))) throw unclean();
        at += box.size;
      }
    }
    await bytes.flush();
    return blanked;
  } finally {
    await fh.close();
  }
}

/** The box whose header starts at `at`, inside a range that ends at `end` (`within`, for the damaged-file sentence). */
async function boxIn(bytes: Window, at: number, end: number, within: string): Promise<Box> {
  return jp2BoxAt(await bytes.read(at, Math.min(16, end - at)), at, end - at, within);
}

async function plainHeaderAt(bytes: Window, at: number, box: Box): Promise<boolean> {
  return box.size <= MAX_FRAME_HEADER && plainJp2Header(await bytes.read(at, box.size), box.headerSize, box.size);
}

function unclean(): BadFileError {
  return new BadFileError("The Motion JPEG 2000 file's frames hold boxes that cannot be cleaned.");
}

/** Zeroes the text of every comment of the codestream `[start, end)`, marker and length kept. */
async function blankIn(bytes: Window, start: number, end: number): Promise<number> {
  let blanked = 0;
  await walkCodestream(bytes, start, end, async (s) => {
    if (s.marker !== COM || s.size <= 4) return;
    await bytes.zero(s.at + 4, s.size - 4);
    blanked++;
  });
  return blanked;
}
