import { BadFileError, TooComplexError } from "../errors.js";
import type { FileBytes } from "../file-bytes.js";
import { RangeWriter } from "../range-writer.js";
import type { CleanContext, Cleaner } from "../types.js";
import { structuralTags } from "../media/structural-lists.js";

/** A header longer than this is no picture's: real ones are a few hundred bytes. */
const MAX_HEADER = 1 << 20;
const NUMBER = String.raw`[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?`;
const numbers = (n: number): RegExp => new RegExp(String.raw`^\s*${NUMBER}(?:\s+${NUMBER}){${n - 1}}\s*$`);
/**
 * The header variables decoding and showing the picture need, each with the values it may hold:
 * the pixel encoding, the exposure and colour correction the values were scaled by, the primaries
 * and gamma they are in, the pixels' aspect. Anything else (the rendering programs' command lines,
 * with their scene files' paths, the view the scene was rendered from, the software, capture dates,
 * comments) is the writer's.
 */
const KEPT: Readonly<Record<string, RegExp>> = {
  FORMAT: /^(32-bit_rle_rgbe|32-bit_rle_xyze)$/,
  EXPOSURE: numbers(1),
  COLORCORR: numbers(3),
  PRIMARIES: numbers(8),
  GAMMA: numbers(1),
  PIXASPECT: numbers(1),
};
/** The resolution line: the scan order and size, `-Y height +X width` for a picture read top to bottom. */
const RESOLUTION = /^([-+][XY]) (\d+) ([-+][XY]) (\d+)$/;

const isStructural = structuralTags({ Radiance: ["Format", "Exposure", "ColorCorrection", "ColorPrimaries", "Gamma", "PixelAspectRatio", "Orientation"] });

/**
 * Radiance RGBE pictures (.hdr, .pic: renderers, HDR photography). The text header, ended by an
 * empty line, keeps its magic line and the variables of KEPT with values that are numbers (or a
 * known format); the resolution line and the pixels follow unchanged, the pixels copied byte for
 * byte up to the end of their last scan line (run lengths decoded to find it). Bytes after it go.
 */
export const radianceCleaner: Cleaner = {
  name: "radiance",
  fileTypes: ["HDR"],
  async clean(ctx: CleanContext): Promise<void> {
    await RangeWriter.rewrite(ctx.input, ctx.output, "wx", async (src, out) => {
      const lines = await headerLines(src);
      const magic = lines.shift()!;
      if (magic.text !== "#?RADIANCE" && magic.text !== "#?RGBE") throw damaged("it does not start like one");
      const kept = lines.filter(({ text }) => {
        const eq = text.indexOf("=");
        const rule = eq > 0 ? KEPT[text.slice(0, eq)] : undefined;
        return rule != null && rule.test(text.slice(eq + 1));
      });
      const resolutionAt = lines.at(-1)!.end;
      const resolution = await line(src, resolutionAt);
      const size = RESOLUTION.exec(resolution.text);
      if (size == null || size[1]![1] === size[3]![1]) throw damaged("its resolution line is not one");
      const scanLines = Number(size[2]);
      const width = Number(size[4]);
      out.bytes(Buffer.from([magic.text, ...kept.map((l) => l.text), "", resolution.text, ""].join("\n"), "latin1"));
      out.copy(resolution.end, await endOfPixels(src, resolution.end, scanLines, width));
    });
  },
  isStructural,
};

interface Line {
  text: string;
  /** Where the next line starts. */
  end: number;
}

/** The header's lines, from the magic one to the empty one that ends it. */
async function headerLines(src: FileBytes): Promise<Line[]> {
  const lines: Line[] = [];
  for (let at = 0; ; ) {
    const next = await line(src, at);
    lines.push(next);
    if (next.text === "" && lines.length > 1) return lines;
    at = next.end;
  }
}

async function line(src: FileBytes, at: number): Promise<Line> {
  const end = await src.indexOf(0x0a, at);
  if (end < 0) throw damaged("its header is cut short");
  if (end >= MAX_HEADER) throw new TooComplexError(`a Radiance header of more than ${MAX_HEADER} bytes`);
  return { text: (await src.read(at, end - at)).toString("latin1"), end: end + 1 };
}

/**
 * Where the last scan line ends. A line of 8 to 32767 pixels may be run-length encoded: 2, 2 and
 * its width in two bytes, then each of the four components in turn as runs (a count over 128, then
 * the byte repeated count - 128 times) and literals (a count, then that many bytes). Otherwise it
 * is flat 4-byte pixels, where 1, 1, 1, n repeats the pixel before n times (shifted 8 bits more for
 * each such pixel in a row), as the old format encodes runs.
 */
async function endOfPixels(src: FileBytes, start: number, scanLines: number, width: number): Promise<number> {
  // Walked over a window at a time, synchronously within it: one await per byte would cost
  // seconds on a large picture.
  let window: Buffer = Buffer.alloc(0);
  let base = start;
  const byteAt = async (pos: number): Promise<number> => {
    if (pos - base >= window.length) {
      window = await src.from(pos);
      base = pos;
      if (window.length === 0) throw damaged("its pixels are cut short");
    }
    return window[pos - base]!;
  };
  let at = start;
  for (let y = 0; y < scanLines; y++) {
    const rle = width >= 8 && width <= 0x7fff && (await byteAt(at)) === 2 && (await byteAt(at + 1)) === 2 && ((await byteAt(at + 2)) & 0x80) === 0;
    if (rle) {
      if ((await byteAt(at + 2)) * 256 + (await byteAt(at + 3)) !== width) throw damaged("a scan line's length is not the picture's width");
      at += 4;
      for (let component = 0; component < 4; component++) {
        for (let done = 0; done < width; ) {
          const count = held(at) ?? (await byteAt(at));
          const n = count > 128 ? count - 128 : count;
          if (n === 0 || done + n > width) throw damaged("a scan line's runs overrun its width");
          at += 1 + (count > 128 ? 1 : n);
          done += n;
        }
      }
      continue;
    }
    for (let done = 0, shift = 0; done < width; at += 4) {
      const repeat = (await byteAt(at)) === 1 && (await byteAt(at + 1)) === 1 && (await byteAt(at + 2)) === 1;
      if (!repeat) {
        done++;
        shift = 0;
        continue;
      }
      if (done === 0) throw damaged("a scan line starts by repeating a pixel");
      done += (await byteAt(at + 3)) * 2 ** shift;
      shift += 8;
    }
  }
  if (at > src.size) throw damaged("its pixels are cut short");
  return at;

  /** The byte at `p` when the window holds it: the walk's common case, without a promise. */
  function held(p: number): number | undefined {
    return window[p - base];
  }
}

function damaged(why: string): BadFileError {
  return new BadFileError(`The Radiance HDR picture could not be read: ${why}.`);
}
