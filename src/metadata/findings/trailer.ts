import fsp from "node:fs/promises";
import { BadFileError } from "../../cleaners/errors.js";
import { DDS_HEADER, DX10_HEADER, readDdsLayout } from "../../cleaners/image/dds-layout.js";
import { type Finding, type TagEntry } from "./types.js";

const CHUNK = 1024 * 1024;

/**
 * Reads a file through a moving window, so a 100 MB JPEG is walked without being held whole. The
 * window's memory is reused: a returned buffer is valid only until the next call.
 */
class Window {
  private start = 0;
  private buf: Buffer = Buffer.alloc(0);
  private memory: Buffer | undefined;
  constructor(
    private readonly handle: fsp.FileHandle,
    readonly size: number,
  ) {}

  /** The bytes from `pos` on, at least `min` of them when the file has them. */
  async at(pos: number, min = 1): Promise<Buffer> {
    if (pos < this.start || pos + min > this.start + this.buf.length) {
      const length = Math.min(Math.max(CHUNK, min), Math.max(this.size - pos, min));
      if (this.memory == null || this.memory.length < length) this.memory = Buffer.allocUnsafe(length);
      const { bytesRead, buffer } = await this.handle.read(this.memory, 0, length, pos);
      this.start = pos;
      this.buf = buffer.subarray(0, bytesRead);
    }
    return this.buf.subarray(pos - this.start);
  }
}

/** Where a JPEG's EOI marker ends, walking its segments and entropy-coded data; null if it has none. */
async function jpegEnd(w: Window): Promise<number | null> {
  let pos = 2;
  while (pos + 2 <= w.size) {
    const b = await w.at(pos, 4);
    if (b[0] !== 0xff) return null;
    const marker = b[1] ?? 0;
    if (marker === 0xff) {
      pos += 1;
      continue;
    }
    if (marker === 0xd9) return pos + 2;
    if ((marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) {
      pos += 2;
      continue;
    }
    if (b.length < 4) return null;
    pos += 2 + b.readUInt16BE(2);
    if (marker !== 0xda) continue;
    const end = await scanEnd(w, pos);
    if (end == null) return null;
    pos = end;
  }
  return null;
}

/**
 * Where entropy-coded data from `from` ends: at the next marker that is neither a stuffed 0x00
 * nor a restart (null when the file ends first). Each window is searched without an `await` per
 * 0xFF: photo data holds one every few hundred bytes.
 */
async function scanEnd(w: Window, from: number): Promise<number | null> {
  let pos = from;
  for (;;) {
    if (pos + 1 >= w.size) return null;
    const data = await w.at(pos, 2);
    let ff = data.indexOf(0xff);
    // A 0xFF is judged with the byte after it; one ending the window is read again from there.
    while (ff >= 0 && ff + 1 < data.length) {
      const next = data[ff + 1]!;
      if (next === 0xff) ff += 1;
      else if (next === 0x00 || (next >= 0xd0 && next <= 0xd7)) ff = data.indexOf(0xff, ff + 2);
      else return pos + ff;
    }
    pos += ff < 0 ? data.length : ff;
  }
}

/** Where a DDS texture's pixel data ends, as its header sizes it; null if it cannot be sized. */
async function ddsEnd(w: Window): Promise<number | null> {
  try {
    const { dataAt, dataSize } = readDdsLayout(Buffer.from((await w.at(0, DDS_HEADER + DX10_HEADER)).subarray(0, DDS_HEADER + DX10_HEADER)), w.size);
    return dataAt + dataSize;
  } catch (err) {
    if (err instanceof BadFileError) return null;
    throw err;
  }
}

/** Where a PNG's IEND chunk ends; null if it has none. */
async function pngEnd(w: Window): Promise<number | null> {
  let pos = 8;
  while (pos + 12 <= w.size) {
    const b = await w.at(pos, 8);
    const length = b.readUInt32BE(0);
    const type = b.subarray(4, 8).toString("latin1");
    pos += 12 + length;
    if (type === "IEND") return pos;
  }
  return null;
}

const SIGNATURES: ReadonlyArray<[RegExp, string]> = [
  [/^PK\x03\x04/, "a ZIP archive"],
  [/^%PDF-/, "a PDF document"],
  [/^Rar!/, "a RAR archive"],
  [/^7z\xbc\xaf/, "a 7-Zip archive"],
  [/^\xff\xd8\xff/, "another JPEG picture"],
  [/^\x89PNG/, "another PNG picture"],
  [/^....ftyp/s, "an MP4 or QuickTime video"],
];

/**
 * `hidden`: bytes after the end of a JPEG or PNG picture, or a DDS texture's last mip level, face or slice (an archive or a video glued to a photo,
 * an editor's leftovers). Viewers never show them; anyone can read them. A JPEG's MPF images,
 * which ExifTool reads and lists as previews, are not counted here.
 *
 * A PNG is walked only when ExifTool's read of it warned (`exiftoolWarned`): ExifTool follows the
 * same chain of chunk lengths from byte 8 to the first IEND and warns "Trailer data after PNG IEND
 * chunk" for any byte after it (Image/ExifTool/PNG.pm); every way its walk can stop short of the end
 * warns too (truncated, corrupted, invalid chunk size). Without a warning the file ends at its IEND,
 * and a 16 MB screenshot is not read a second time. A warning of any kind, not only that one, sends
 * it to the walk: the JSON shows one warning of several.
 */
export async function trailerFindings(entries: readonly TagEntry[], file: string, exiftoolWarned: boolean): Promise<Finding[]> {
  const type = entries.find((t) => t.group === "File" && t.tag === "FileType")?.value;
  if (type !== "JPEG" && type !== "PNG" && type !== "DDS") return [];
  if (type === "PNG" && !exiftoolWarned) return [];
  const handle = await fsp.open(file, "r");
  try {
    const { size } = await handle.stat();
    const w = new Window(handle, size);
    const end = type === "JPEG" ? await jpegEnd(w) : type === "DDS" ? await ddsEnd(w) : await pngEnd(w);
    if (end == null || end >= size) return [];
    const head = (await w.at(end, Math.min(64, size - end))).subarray(0, Math.min(64, size - end));
    const hasMpf = entries.some((t) => t.group === "MPF");
    if (hasMpf && head[0] === 0xff && head[1] === 0xd8) return [];
    // A few bytes of padding some writers leave are not content.
    if (size - end < 1024 && head.every((byte) => byte === 0 || byte === 0x20 || byte === 0x0a || byte === 0x0d)) return [];
    const latin = head.toString("latin1");
    const what = SIGNATURES.find(([re]) => re.test(latin))?.[1] ?? "data";
    return [
      {
        kind: "hidden",
        severity: "high",
        title: `The file hides ${size - end} bytes after the end of its picture (${what}).`,
        tags: [],
        value: what,
      },
    ];
  } finally {
    await handle.close();
  }
}
