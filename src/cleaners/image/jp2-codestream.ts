import type fsp from "node:fs/promises";
import { damaged } from "./jp2-boxes.js";
import { J2C } from "./jpeg-markers.js";

/** Markers as this walk reads them: both bytes, 0xFF first. */
export const SOC = 0xff00 | J2C.SOC;
const SOT = 0xff00 | J2C.SOT;
const SOD = 0xff00 | J2C.SOD;
const EOC = 0xff00 | J2C.EOC;
export const COM = 0xff00 | J2C.CME;
/** Tile-part lengths (TLM): an index of every tile-part's length, in the main header. */
export const TLM = 0xff00 | J2C.TLM;
const WINDOW = 256 * 1024;

/** Buffered reads and in-place writes of a file: a codestream may hold many small segments. */
export class Window {
  private buf = Buffer.alloc(0);
  private start = 0;
  private dirty = false;
  constructor(
    private readonly fh: fsp.FileHandle,
    readonly size: number,
  ) {}

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

/** A marker segment of a codestream's main header or of a tile-part header. */
export interface Segment {
  marker: number;
  /** Where its marker is. */
  at: number;
  /** Marker, length field and payload. */
  size: number;
  /** Where the SOT marker of its tile-part header is; null in the main header. */
  tilePart: number | null;
}

/**
 * Walks the headers of the codestream `[start, end)` (ISO/IEC 15444-1 A.4): the main header, then
 * each tile-part's header, whose data it steps over by the tile-part's length. Every segment
 * goes to `found`. Resolves to where the codestream ends: after its EOC marker, or `end`.
 */
export async function walkCodestream(bytes: Window, start: number, end: number, found: (s: Segment) => Promise<void> | void): Promise<number> {
  if ((await bytes.read(start, 2)).readUInt16BE(0) !== SOC) throw damaged("a codestream does not start with its SOC marker");
  let at = start + 2;
  let tilePart: number | null = null;
  while (at + 2 <= end) {
    const marker = (await bytes.read(at, 2)).readUInt16BE(0);
    if (marker === EOC) return at + 2;
    if (marker === SOD) {
      if (tilePart == null) throw damaged("a codestream's data starts before any tile-part header");
      const length = (await bytes.read(tilePart + 6, 4)).readUInt32BE(0);
      // A tile-part length of 0 means the last tile-part, running to the end of the codestream.
      const next = length === 0 ? end : tilePart + length;
      // Past this SOD at least: a length ending inside its own header would walk it again, forever.
      if (next < at + 2 || next > end) throw damaged("a tile-part length runs outside its codestream");
      at = next;
      continue;
    }
    const length = (await bytes.read(at + 2, 2)).readUInt16BE(0);
    if (length < 2 || at + 2 + length > end) throw damaged("a codestream header segment runs outside its codestream");
    if (marker === SOT) tilePart = at;
    await found({ marker, at, size: 2 + length, tilePart });
    at += 2 + length;
  }
  return end;
}
