import fsp from "node:fs/promises";
import { BadFileError } from "../errors.js";

const SOC = 0xff4f;
const SOT = 0xff90;
const SOD = 0xff93;
const EOC = 0xffd9;
const COM = 0xff64;
const CODESTREAM_BOX = "jp2c";
const WINDOW = 256 * 1024;

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
    for (let at = 0; at + 8 <= bytes.size; ) {
      const stated = (await bytes.read(at, 8)).readUInt32BE(0);
      const type = (await bytes.read(at + 4, 4)).toString("latin1");
      const headerSize = stated === 1 ? 16 : 8;
      const boxSize = stated === 0 ? bytes.size - at : stated === 1 ? Number((await bytes.read(at + 8, 8)).readBigUInt64BE(0)) : stated;
      if (boxSize < headerSize || at + boxSize > bytes.size) throw damaged(`a box at byte ${at} does not fit in the file`);
      if (type === CODESTREAM_BOX) blanked += await blankIn(bytes, at + headerSize, at + boxSize);
      at += boxSize;
    }
    await bytes.flush();
    return blanked;
  } finally {
    await fh.close();
  }
}

/** Buffered reads and in-place writes of the file: a codestream may hold many small segments. */
class Window {
  private buf = Buffer.alloc(0);
  private start = 0;
  private dirty = false;
  constructor(private readonly fh: fsp.FileHandle, readonly size: number) {}

  async read(at: number, length: number): Promise<Buffer> {
    if (at < this.start || at + length > this.start + this.buf.length) {
      await this.flush();
      const buf = Buffer.alloc(Math.max(0, Math.min(Math.max(WINDOW, length), this.size - at)));
      const { bytesRead } = await this.fh.read(buf, 0, buf.length, at);
      this.buf = buf.subarray(0, bytesRead);
      this.start = at;
      if (bytesRead < length) throw damaged(`a header at byte ${at} is cut short`);
    }
    return this.buf.subarray(at - this.start, at - this.start + length);
  }

  async zero(at: number, length: number): Promise<void> {
    (await this.read(at, length)).fill(0);
    this.dirty = true;
  }

  async flush(): Promise<void> {
    if (this.dirty) await this.fh.write(this.buf, 0, this.buf.length, this.start);
    this.dirty = false;
  }
}

async function blankIn(bytes: Window, start: number, end: number): Promise<number> {
  if ((await bytes.read(start, 2)).readUInt16BE(0) !== SOC) throw damaged("a codestream does not start with its SOC marker");
  let blanked = 0;
  let at = start + 2;
  let tilePart = -1;
  while (at + 2 <= end) {
    const marker = (await bytes.read(at, 2)).readUInt16BE(0);
    if (marker === EOC) break;
    if (marker === SOD) {
      if (tilePart < 0) throw damaged("a codestream's data starts before any tile-part header");
      const length = (await bytes.read(tilePart + 6, 4)).readUInt32BE(0);
      // A tile-part length of 0 means the last tile-part, running to the end of the codestream.
      at = length === 0 ? end : tilePart + length;
      if (at <= tilePart + 2 || at > end) throw damaged("a tile-part length runs outside its codestream");
      continue;
    }
    const length = (await bytes.read(at + 2, 2)).readUInt16BE(0);
    if (length < 2 || at + 2 + length > end) throw damaged("a codestream header segment runs outside its codestream");
    if (marker === SOT) tilePart = at;
    if (marker === COM && length > 2) {
      await bytes.zero(at + 4, length - 2);
      blanked++;
    }
    at += 2 + length;
  }
  return blanked;
}

function damaged(why: string): BadFileError {
  return new BadFileError(`The JPEG 2000 file is damaged: ${why}.`);
}
