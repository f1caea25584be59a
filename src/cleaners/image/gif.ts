import fsp from "node:fs/promises";
import { BadFileError } from "../errors.js";
import type { CleanContext, Cleaner } from "../types.js";

const EXTENSION = 0x21;
const IMAGE = 0x2c;
const TRAILER = 0x3b;
const GRAPHIC_CONTROL = 0xf9;
const APPLICATION = 0xff;
const LOOPING = new Set(["NETSCAPE2.0", "ANIMEXTS1.0"]);
const ICC_APP = "ICCRGBG1012";

/** ExifTool's names for what the kept blocks hold. */
const STRUCTURAL_TAGS = new Set([
  "GIFVersion", "ImageWidth", "ImageHeight", "HasColorMap", "ColorResolutionDepth", "BitsPerPixel",
  "BackgroundColor", "AnimationIterations", "FrameCount", "Duration", "TransparentColor", "PixelAspectRatio",
]);

/**
 * GIF, cleaned by our own block filter: the header, colour tables, frames and their graphic
 * control (delay, transparency) are copied; the loop count is rewritten alone; comments, XMP and
 * every other application extension, plain-text extensions (rendered by no viewer in use, and a
 * known hiding place) and bytes after the trailer go. The ICC application extension stays only
 * when the colour profile is kept.
 */
export const gifCleaner: Cleaner = {
  name: "gif",
  fileTypes: ["GIF"],
  async clean(ctx: CleanContext): Promise<void> {
    await fsp.writeFile(ctx.output, filterGif(await fsp.readFile(ctx.input), ctx.keep.has("colorProfile")));
  },
  isStructural: (t) => t.group === "GIF" && STRUCTURAL_TAGS.has(t.tag),
};

function filterGif(buf: Buffer, keepIcc: boolean): Buffer {
  const sig = buf.toString("latin1", 0, 6);
  if (sig !== "GIF87a" && sig !== "GIF89a") throw damaged("it does not start like a GIF");
  const r = new Reader(buf, 6);
  const screen = r.take(7);
  const out: Buffer[] = [buf.subarray(0, 6), screen];
  if ((screen[4]! & 0x80) !== 0) out.push(r.take(colorTableSize(screen[4]!)));
  while (true) {
    const block = r.byte();
    if (block === TRAILER) break;
    if (block === IMAGE) {
      const start = r.at - 1;
      const descriptor = r.take(9);
      if ((descriptor[8]! & 0x80) !== 0) r.take(colorTableSize(descriptor[8]!));
      r.take(1); // LZW minimum code size
      r.subBlocks();
      out.push(buf.subarray(start, r.at));
      continue;
    }
    if (block !== EXTENSION) throw damaged("it has an unknown block");
    const label = r.byte();
    const blocks = r.subBlocks();
    if (label === GRAPHIC_CONTROL) {
      const data = blocks[0];
      if (data?.length !== 4) throw damaged("a frame's graphic control block is malformed");
      out.push(Buffer.from([EXTENSION, GRAPHIC_CONTROL, 4]), data, Buffer.from([0]));
    } else if (label === APPLICATION) {
      out.push(...application(blocks, keepIcc));
    }
  }
  out.push(Buffer.from([TRAILER]));
  return Buffer.concat(out);
}

/** The application extensions worth keeping, rebuilt from their parts. */
function application(blocks: Buffer[], keepIcc: boolean): Buffer[] {
  const [id, ...data] = blocks;
  if (id?.length !== 11) return [];
  const name = id.toString("latin1");
  const head = Buffer.concat([Buffer.from([EXTENSION, APPLICATION, 11]), id]);
  if (LOOPING.has(name)) {
    // Sub-block 1 is the loop count; anything else in there is not needed to play the animation.
    const loop = data.find((d) => d.length === 3 && d[0] === 1);
    return loop == null ? [] : [head, Buffer.from([3]), loop, Buffer.from([0])];
  }
  if (name === ICC_APP && keepIcc) {
    return [head, ...data.flatMap((d) => [Buffer.from([d.length]), d]), Buffer.from([0])];
  }
  return [];
}

function colorTableSize(packed: number): number {
  return 3 * 2 ** ((packed & 0x07) + 1);
}

class Reader {
  constructor(
    private readonly buf: Buffer,
    public at: number,
  ) {}

  byte(): number {
    const b = this.buf[this.at];
    if (b == null) throw damaged("it is truncated");
    this.at++;
    return b;
  }

  take(n: number): Buffer {
    if (this.at + n > this.buf.length) throw damaged("it is truncated");
    const b = this.buf.subarray(this.at, this.at + n);
    this.at += n;
    return b;
  }

  /** Data sub-blocks up to their zero-length terminator. */
  subBlocks(): Buffer[] {
    const blocks: Buffer[] = [];
    for (let n = this.byte(); n !== 0; n = this.byte()) blocks.push(this.take(n));
    return blocks;
  }
}

function damaged(why: string): BadFileError {
  return new BadFileError(`The GIF file is damaged: ${why}.`);
}
