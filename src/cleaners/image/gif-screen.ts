import { TooComplexError } from "../errors.js";
import { FileBytes } from "../file-bytes.js";

/**
 * Extensions other than frames' graphic controls (comments, application and text extensions)
 * before a GIF is refused: ExifTool reads each, and a million empty comments (3 MB) took the
 * service 23 s. Real files have a handful.
 */
export const MAX_GIF_EXTENSIONS = 10_000;
/**
 * Frames (an image and its graphic control): ExifTool counts each at ~60 µs (100,000 one-pixel
 * frames: 6 s). A long animation has thousands; 200,000 frames in the 100 MB upload limit would be
 * 500 bytes each.
 */
export const MAX_GIF_FRAMES = 200_000;

const GRAPHIC_CONTROL = 0xf9;

export function isGifHead(bytes: Buffer): boolean {
  return /^GIF8[79]a$/.test(bytes.toString("latin1", 0, 6));
}

/**
 * Refuses (TooComplexError) a GIF of more frames or other extensions than the limits, walking its
 * blocks to the trailer. Bytes that are no block end the walk: damage is the cleaner's to judge.
 */
export async function checkGifShape(file: string): Promise<void> {
  const src = await FileBytes.open(file);
  try {
    const screen = await src.read(0, 13);
    if (screen.length < 13) return;
    let at = 13 + colourTable(screen[10]!);
    let frames = 0;
    let extensions = 0;
    for (;;) {
      const block = await src.byte(at);
      if (block === 0x21) {
        if ((await src.byte(at + 1)) !== GRAPHIC_CONTROL && ++extensions > MAX_GIF_EXTENSIONS) {
          throw new TooComplexError(`gif: more than ${MAX_GIF_EXTENSIONS} extensions`);
        }
        at = await afterSubBlocks(src, at + 2);
      } else if (block === 0x2c) {
        if (++frames > MAX_GIF_FRAMES) throw new TooComplexError(`gif: more than ${MAX_GIF_FRAMES} frames`);
        const descriptor = await src.read(at, 10);
        if (descriptor.length < 10) return;
        // The local colour table, then the LZW code size, then the picture's data.
        at = await afterSubBlocks(src, at + 10 + colourTable(descriptor[9]!) + 1);
      } else return; // the trailer, or damage
    }
  } finally {
    await src.close();
  }
}

/** The bytes of a colour table that the packed field `packed` announces. */
function colourTable(packed: number): number {
  return (packed & 0x80) !== 0 ? 3 * (1 << ((packed & 7) + 1)) : 0;
}

/** Where the data sub-blocks starting at `at` end (after their empty one), or the file's size. */
async function afterSubBlocks(src: FileBytes, at: number): Promise<number> {
  while (at < src.size) {
    const size = (src.peek(at, 1) ?? (await src.read(at, 1)))[0]!;
    at += 1 + size;
    if (size === 0) return at;
  }
  return src.size;
}
