import { BadFileError } from "../errors.js";
import { APPLICATION, EXTENSION, GRAPHIC_CONTROL, IMAGE, LOOPING, TRAILER } from "./gif-blocks.js";
import type { FileBytes } from "../file-bytes.js";
import { RangeWriter } from "../range-writer.js";
import type { CleanContext, Cleaner } from "../types.js";

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
    await RangeWriter.rewrite(ctx.input, ctx.output, "w", (src, out) => filterGif(src, out, ctx.keep.has("colorProfile")));
  },
  isStructural: (t) => t.group === "GIF" && STRUCTURAL_TAGS.has(t.tag),
};

/** Copies the blocks worth keeping, a few mebibytes at a time whatever the file's size. */
async function filterGif(src: FileBytes, out: RangeWriter, keepIcc: boolean): Promise<void> {
  const sig = (await src.read(0, 6)).toString("latin1");
  if (sig !== "GIF87a" && sig !== "GIF89a") throw damaged("it does not start like a GIF");
  const r = new Reader(src, 6);
  const screen = await r.take(7);
  if ((screen[4]! & 0x80) !== 0) await r.take(colorTableSize(screen[4]!));
  out.copy(0, r.at);
  while (true) {
    if (out.full) await out.flush();
    const start = r.at;
    const block = await r.byte();
    if (block === TRAILER) break;
    if (block === IMAGE) {
      const descriptor = await r.take(9);
      if ((descriptor[8]! & 0x80) !== 0) await r.take(colorTableSize(descriptor[8]!));
      await r.take(1); // LZW minimum code size
      await r.subBlocks();
      out.copy(start, r.at);
      continue;
    }
    if (block !== EXTENSION) throw damaged("it has an unknown block");
    const label = await r.byte();
    if (label === GRAPHIC_CONTROL) {
      let data: Buffer | undefined;
      await r.subBlocks((d) => (data ??= d));
      if (data?.length !== 4) throw damaged("a frame's graphic control block is malformed");
      out.bytes(Buffer.concat([Buffer.from([EXTENSION, GRAPHIC_CONTROL, 4]), data, Buffer.from([0])]));
    } else if (label === APPLICATION) {
      await application(r, out, start, keepIcc);
    } else {
      await r.subBlocks();
    }
  }
  out.bytes(Buffer.from([TRAILER]));
}

/** An application extension from its label on: kept rebuilt when it is worth keeping. */
async function application(r: Reader, out: RangeWriter, start: number, keepIcc: boolean): Promise<void> {
  let id: Buffer | undefined;
  let loop: Buffer | undefined;
  let count = 0;
  await r.subBlocks((d) => {
    if (count++ === 0) id = d;
    // Sub-block 1 is the loop count; anything else in there is not needed to play the animation.
    else if (loop == null && d.length === 3 && d[0] === 1) loop = d;
  });
  if (id?.length !== 11) return;
  const name = id.toString("latin1");
  if (LOOPING.has(name)) {
    if (loop != null) out.bytes(Buffer.concat([Buffer.from([EXTENSION, APPLICATION, 11]), id, Buffer.from([3]), loop, Buffer.from([0])]));
  } else if (name === ICC_APP && keepIcc) {
    // Its header, data sub-blocks and terminator, exactly as they are.
    out.copy(start, r.at);
  }
}

function colorTableSize(packed: number): number {
  return 3 * 2 ** ((packed & 0x07) + 1);
}

class Reader {
  constructor(
    private readonly src: FileBytes,
    public at: number,
  ) {}

  async byte(): Promise<number> {
    const b = await this.src.byte(this.at);
    if (b == null) throw damaged("it is truncated");
    this.at++;
    return b;
  }

  async take(n: number): Promise<Buffer> {
    if (this.at + n > this.src.size) throw damaged("it is truncated");
    const b = await this.src.read(this.at, n);
    this.at += n;
    return b;
  }

  /**
   * Data sub-blocks up to their zero-length terminator, each handed to `visit` when given. Walks
   * the window synchronously: image data is a long run of sub-blocks of at most 255 bytes.
   */
  async subBlocks(visit?: (data: Buffer) => void): Promise<void> {
    while (true) {
      // A length byte and the longest sub-block, unless the file ends first.
      const chunk = await this.src.from(this.at, 256);
      if (chunk.length === 0) throw damaged("it is truncated");
      let i = 0;
      while (i < chunk.length) {
        const n = chunk[i]!;
        if (n === 0) {
          this.at += i + 1;
          return;
        }
        if (i + 1 + n > chunk.length) break;
        visit?.(chunk.subarray(i + 1, i + 1 + n));
        i += 1 + n;
      }
      if (i < chunk.length && this.at + i + 1 + chunk[i]! > this.src.size) throw damaged("it is truncated");
      this.at += i;
    }
  }
}

function damaged(why: string): BadFileError {
  return new BadFileError(`The GIF file is damaged: ${why}.`);
}
