import { TooComplexError } from "../errors.js";
import { FileBytes } from "../file-bytes.js";
import { checkJumbf, JumbfTally } from "./jumbf-screen.js";

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
/**
 * Data sub-blocks of the extensions other than graphic controls: ExifTool reads each (5 million
 * one-byte sub-blocks, 10 MB, took it 3-4 s of CPU), and puts a C2PA extension's together. An XMP
 * packet, whose every byte reads as a sub-block's length, makes the most.
 */
const MAX_GIF_EXTENSION_BLOCKS = 1_000_000;

const GRAPHIC_CONTROL = 0xf9;
const APPLICATION = 0xff;

export function isGifHead(bytes: Buffer): boolean {
  return /^GIF8[79]a$/.test(bytes.toString("latin1", 0, 6));
}

/**
 * Refuses (TooComplexError) a GIF of more frames or other extensions than the limits, or whose C2PA
 * application extensions (JUMBF) are past jumbf-screen's, walking its blocks to the trailer. Bytes
 * that are no block end the walk: damage is the cleaner's to judge.
 */
export async function checkGifShape(file: string): Promise<void> {
  const src = await FileBytes.open(file);
  try {
    const screen = await src.read(0, 13);
    if (screen.length < 13) return;
    let at = 13 + colourTable(screen[10]!);
    let frames = 0;
    let extensions = 0;
    const blocks = { count: 0 };
    const jumbf = new JumbfTally();
    for (;;) {
      const block = await src.byte(at);
      if (block === 0x21) {
        const label = await src.byte(at + 1);
        if (label !== GRAPHIC_CONTROL && ++extensions > MAX_GIF_EXTENSIONS) {
          throw new TooComplexError(`gif: more than ${MAX_GIF_EXTENSIONS} extensions`);
        }
        if (label === GRAPHIC_CONTROL) {
          at = await afterSubBlocks(src, at + 2);
          continue;
        }
        const end = await afterSubBlocks(src, at + 2, blocks);
        if (label === APPLICATION && (await isC2paExtension(src, at + 2))) checkJumbf(await subBlockData(src, at + 2 + 12, end, jumbf), jumbf);
        at = end;
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

/**
 * Whether the application extension whose first sub-block is at `at` is C2PA's: ExifTool names it
 * by its 8-byte identifier and its authentication code without control characters ("C2PA_GIF/"),
 * and reads its data as JUMBF boxes.
 */
async function isC2paExtension(src: FileBytes, at: number): Promise<boolean> {
  const head = await src.read(at, 12);
  if (head.length < 12 || head[0] !== 11 || head.toString("latin1", 1, 9) !== "C2PA_GIF") return false;
  return head.subarray(9, 12).every((c) => c < 0x20);
}

/**
 * The data of the sub-blocks in [from, end) put together, as ExifTool does, counted into `tally`:
 * their sizes first, then their bytes copied into one buffer (a buffer each would weigh far more
 * than one-byte sub-blocks).
 */
async function subBlockData(src: FileBytes, from: number, end: number, tally: JumbfTally): Promise<Buffer> {
  let total = 0;
  for (let at = from; at < end; at += 1 + (await src.byte(at))!) total += (await src.byte(at))!;
  tally.take(total);
  const data = Buffer.allocUnsafe(total);
  let filled = 0;
  for (let at = from; at < end && filled < total; ) {
    const size = (await src.byte(at))!;
    filled += (await src.read(at + 1, size)).copy(data, filled);
    at += 1 + size;
  }
  return data.subarray(0, filled);
}

/**
 * Where the data sub-blocks starting at `at` end (after their empty one), or the file's size; an
 * extension's counted into `blocks`, against MAX_GIF_EXTENSION_BLOCKS.
 */
async function afterSubBlocks(src: FileBytes, at: number, blocks?: { count: number }): Promise<number> {
  while (at < src.size) {
    const size = (src.peek(at, 1) ?? (await src.read(at, 1)))[0]!;
    at += 1 + size;
    if (size === 0) return at;
    if (blocks != null && ++blocks.count > MAX_GIF_EXTENSION_BLOCKS) throw new TooComplexError(`gif: more than ${MAX_GIF_EXTENSION_BLOCKS} sub-blocks in extensions`);
  }
  return src.size;
}
