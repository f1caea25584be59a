import fsp from "node:fs/promises";
import { BadFileError } from "../errors.js";
import type { CleanContext, Cleaner } from "../types.js";

const WHITESPACE = new Set([0x20, 0x09, 0x0a, 0x0b, 0x0c, 0x0d]);
const HASH = 0x23;

/**
 * Netpbm pictures (PBM, PGM, PPM; plain `P1`-`P3` and raw `P4`-`P6`): their only metadata is
 * comments, `#` to the end of the line, which editors and scanners fill with their name, the
 * source file's path or a date. In a raw picture they sit in the header: it is written again from
 * its numbers, and the raster copied byte for byte. A plain picture is text throughout, and
 * readers take comments among its numbers as well (mat2's sample has them there): each comment is
 * cut, its line end kept, so the numbers stay as they were. Several pictures one after another
 * are each cleaned; bytes after the last one are cut.
 */
export const netpbmCleaner: Cleaner = {
  name: "netpbm",
  fileTypes: ["PBM", "PGM", "PPM"],
  async clean(ctx: CleanContext): Promise<void> {
    const bytes = await fsp.readFile(ctx.input);
    const parts: Buffer[] = [];
    let at = 0;
    do {
      const picture = cleanPicture(bytes, at);
      parts.push(picture.bytes);
      at = picture.end;
    } while (at + 2 <= bytes.length && bytes[at] === 0x50 && bytes[at + 1]! >= 0x34 && bytes[at + 1]! <= 0x36);
    await fsp.writeFile(ctx.output, Buffer.concat(parts));
  },
  isStructural: () => false,
};

function cleanPicture(bytes: Buffer, start: number): { bytes: Buffer; end: number } {
  const kind = bytes[start] === 0x50 ? bytes[start + 1]! - 0x30 : 0;
  if (kind < 1 || kind > 6) throw damaged("it does not start with a Netpbm magic number");
  const bitmap = kind === 1 || kind === 4;
  const header = readNumbers(bytes, start + 2, bitmap ? 2 : 3);
  const [width, height, maxval = 1] = header.numbers;
  if (width! < 1 || height! < 1 || maxval < 1 || maxval > 65535) throw damaged("its size or maximum value is out of range");
  if (kind <= 3) return { bytes: stripComments(bytes.subarray(start)), end: bytes.length };
  // One whitespace byte ends the header; the raster follows.
  const rasterAt = header.end + 1;
  const samples = kind === 4 ? Math.ceil(width! / 8) : width! * (kind === 6 ? 3 : 1) * (maxval < 256 ? 1 : 2);
  const rasterEnd = rasterAt + samples * height!;
  if (rasterEnd > bytes.length) throw damaged("its pixel data is cut short");
  const head = Buffer.from(`P${kind}\n${width} ${height}\n${bitmap ? "" : `${maxval}\n`}`, "latin1");
  return { bytes: Buffer.concat([head, bytes.subarray(rasterAt, rasterEnd)]), end: rasterEnd };
}

/** The header's numbers from `at` on (comments skipped), and where the last one ends. */
function readNumbers(bytes: Buffer, at: number, count: number): { numbers: number[]; end: number } {
  const numbers: number[] = [];
  let i = at;
  if (i >= bytes.length || !(WHITESPACE.has(bytes[i]!) || bytes[i] === HASH)) throw damaged("its magic number runs into its header");
  while (numbers.length < count) {
    if (i >= bytes.length) throw damaged("its header is cut short");
    const b = bytes[i]!;
    if (WHITESPACE.has(b)) i++;
    else if (b === HASH) {
      while (i < bytes.length && bytes[i] !== 0x0a && bytes[i] !== 0x0d) i++;
    } else {
      let n = 0;
      const from = i;
      while (i < bytes.length && bytes[i]! >= 0x30 && bytes[i]! <= 0x39 && i - from < 9) n = n * 10 + (bytes[i++]! - 0x30);
      if (i === from || (i < bytes.length && !WHITESPACE.has(bytes[i]!) && bytes[i] !== HASH)) throw damaged("its header holds something other than numbers");
      numbers.push(n);
    }
  }
  if (i >= bytes.length || !WHITESPACE.has(bytes[i]!)) throw damaged("its header does not end with a space or line end");
  return { numbers, end: i };
}

/** A plain picture with each comment cut and its line end kept. */
function stripComments(text: Buffer): Buffer {
  const parts: Buffer[] = [];
  let from = 0;
  for (let i = text.indexOf(HASH); i >= 0; i = text.indexOf(HASH, i)) {
    parts.push(text.subarray(from, i));
    while (i < text.length && text[i] !== 0x0a && text[i] !== 0x0d) i++;
    from = i;
  }
  parts.push(text.subarray(from));
  return Buffer.concat(parts);
}

function damaged(why: string): BadFileError {
  return new BadFileError(`The Netpbm picture is damaged: ${why}.`);
}
