import { TooComplexError } from "../errors.js";
import { FileBytes } from "../file-bytes.js";
import { checkJumbf, JumbfTally } from "../image/jumbf-screen.js";
import { checkExifBlock, MAX_EXIF_ENTRIES, TiffTally } from "../image/tiff-screen.js";

/**
 * Chunks, at the top of a RIFF form and inside its lists, before a RIFF file (WAV, AVI, WebP) is
 * refused: ExifTool and the cleaners read each, and a million empty chunks (8 MB) took the service
 * 7-8 s. Real files have tens; the media chunks of an AVI's `movi` list are not counted (a frame
 * each), nor an animated WebP's frames up to MAX_RIFF_FRAMES.
 */
export const MAX_RIFF_CHUNKS = 10_000;
export const MAX_RIFF_FRAMES = 200_000;

/** Lists whose chunks are the media itself. */
const MEDIA_LISTS = new Set(["movi", "rec "]);

export function isRiffHead(bytes: Buffer): boolean {
  return bytes.length >= 12 && bytes.toString("latin1", 0, 4) === "RIFF";
}

/**
 * Refuses (TooComplexError) a RIFF file of more chunks than MAX_RIFF_CHUNKS outside media lists
 * (each RIFF form of the file: an AVI's later AVIX forms too), reading chunk heads only, or whose
 * EXIF chunk or C2PA chunk (JUMBF) is past its screen's limits. A chunk running past its list ends
 * the walk of that list: damage is the cleaner's to judge.
 */
export async function checkRiffShape(file: string): Promise<void> {
  const src = await FileBytes.open(file);
  try {
    const count: Count = { chunks: 0, frames: 0, exif: new TiffTally(MAX_EXIF_ENTRIES), jumbf: new JumbfTally() };
    // Each form: "RIFF", its size, its type, then its chunks.
    for (let at = 0; src.size - at >= 12; ) {
      const head = await src.read(at, 12);
      if (head.toString("latin1", 0, 4) !== "RIFF") return;
      const end = Math.min(src.size, at + 8 + head.readUInt32LE(4));
      await walkChunks(src, at + 12, end, count);
      at = end + (end % 2);
    }
  } finally {
    await src.close();
  }
}

type Count = { chunks: number; frames: number; exif: TiffTally; jumbf: JumbfTally };

async function walkChunks(src: FileBytes, from: number, to: number, count: Count): Promise<void> {
  // Lists are walked in place: the ends of the open ones.
  const ends: number[] = [];
  let end = to;
  for (let at = from; ; ) {
    if (end - at < 8) {
      const outer = ends.pop();
      if (outer == null) return;
      at = end + (end % 2);
      end = outer;
      continue;
    }
    const head = src.peek(at, 12) ?? (await src.read(at, 12));
    const id = head.toString("latin1", 0, 4);
    const size = head.readUInt32LE(4);
    if (size > end - at - 8) {
      at = end; // the rest of this list is the cleaner's to judge
      continue;
    }
    if (id === "ANMF") {
      if (++count.frames > MAX_RIFF_FRAMES) throw new TooComplexError(`riff: more than ${MAX_RIFF_FRAMES} frames`);
    } else if (++count.chunks > MAX_RIFF_CHUNKS) throw new TooComplexError(`riff: more than ${MAX_RIFF_CHUNKS} chunks`);
    // A WebP's EXIF block: ExifTool reads its directories and maker notes.
    if (id === "EXIF") await checkExifBlock(src, at + 8, size, count.exif);
    // A C2PA chunk at the top of a form (a WebP's manifest): ExifTool reads its JUMBF boxes.
    if (id === "C2PA" && ends.length === 0) {
      count.jumbf.take(size);
      checkJumbf(await src.read(at + 8, size), count.jumbf);
    }
    if (id === "LIST" && head.length >= 12 && !MEDIA_LISTS.has(head.toString("latin1", 8, 12))) {
      ends.push(end);
      end = at + 8 + size;
      at += 12;
      continue;
    }
    at += 8 + size + (size % 2);
  }
}
