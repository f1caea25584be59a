import fsp, { type FileHandle } from "node:fs/promises";
import { isFrameHeader } from "../../cleaners/image/jpeg-segments.js";

/** A run of bytes in the file, by its offset from the file's start. */
export interface Span {
  start: number;
  length: number;
}

/** What a JPEG's header, up to its first scan, says before ExifTool has read the file. */
export interface JpegHeader {
  size: number;
  /** The picture's size from its frame header (null: none within the segments looked at). */
  frame: { width: number; height: number } | null;
  /**
   * Whether a segment a preview could come from is there: any APPn but a JFIF without a
   * thumbnail, an EXIF block whose first IFD links to no second one (the thumbnail's), an ICC
   * profile, XMP and the Adobe colour transform.
   */
  previews: boolean;
  /** The EXIF thumbnail's bytes, where its IFD points to them inside the EXIF block (null: not found there). */
  thumbnail: Span | null;
}

/** Segments of a JPEG's header looked at, at most. */
const MAX_HEADER_SEGMENTS = 64;
/** Entries of the thumbnail's IFD read, at most, for where its JPEG is (EXIF writes about six). */
const MAX_THUMBNAIL_IFD_ENTRIES = 64;
const XMP_HEADER = "http://ns.adobe.com/xap/1.0/\0";
const JPEG_INTERCHANGE_FORMAT = 0x0201;
const JPEG_INTERCHANGE_FORMAT_LENGTH = 0x0202;
/** djpeg's output keeps at least this many pixels on the picture's short side: 8 a cell of the 16 x 16 grid. */
const MIN_DECODED_SIDE = 128;

/**
 * The file's first bytes read at once, where the header walk finds what it reads (a camera's EXIF
 * block with its thumbnail IFD, XMP, the frame header): one read instead of one per segment and
 * per IFD, each a trip through the thread pool. Past them the walk reads the file.
 */
const HEAD_BYTES = 64 * 1024;

/** `length` bytes of the file from `pos`, fewer where it ends: from its first bytes when they hold them. */
type ReadAt = (pos: number, length: number) => Promise<Buffer>;

function readerOver(handle: FileHandle, first: Buffer): ReadAt {
  return async (pos, length) => {
    if (pos + length <= first.length) return first.subarray(pos, pos + length);
    const { bytesRead, buffer } = await handle.read(Buffer.alloc(length), 0, length, pos);
    return buffer.subarray(0, bytesRead);
  };
}

/** Walks a JPEG's header segments up to its first scan (or the first that cannot be read). */
export async function readJpegHeader(file: string): Promise<JpegHeader> {
  const handle = await fsp.open(file, "r");
  try {
    const { size } = await handle.stat();
    const found: JpegHeader = { size, frame: null, previews: false, thumbnail: null };
    const first = await handle.read(Buffer.alloc(Math.min(size, HEAD_BYTES)), 0, Math.min(size, HEAD_BYTES), 0);
    const read = readerOver(handle, first.buffer.subarray(0, first.bytesRead));
    let exifSeen = false;
    let pos = 2;
    for (let n = 0; n < MAX_HEADER_SEGMENTS && pos + 4 <= size; n++) {
      // A segment's marker and length, then as much of its payload as the tests below read.
      const head = await read(pos, 4 + XMP_HEADER.length);
      const bytesRead = head.length;
      if (bytesRead < 4 || head[0] !== 0xff) break;
      const marker = head[1]!;
      if (marker === 0xda || marker === 0xd9) break;
      const end = pos + 2 + head.readUInt16BE(2);
      const payload = head.subarray(4, Math.min(bytesRead, end - pos));
      if (isFrameHeader(marker) && payload.length >= 5) found.frame ??= { height: payload.readUInt16BE(1), width: payload.readUInt16BE(3) };
      else if (marker === 0xe1 && payload.toString("latin1", 0, 6) === "Exif\0\0") {
        // The first EXIF block is the one readers take (ExifTool's ThumbnailOffset is its).
        const ifd1 = exifSeen ? false : await thumbnailIfd(read, pos + 10, end);
        exifSeen = true;
        if (ifd1 !== false) {
          found.previews = true;
          found.thumbnail = ifd1 == null ? null : await thumbnailSpan(ifd1, end, size);
        }
      } else if (marker >= 0xe0 && marker <= 0xef && !isPreviewFree(marker, payload)) found.previews = true;
      pos = end;
    }
    return found;
  } finally {
    await handle.close();
  }
}

/**
 * How much djpeg scales down while decoding (its `-scale`): as much as leaves the short side
 * MIN_DECODED_SIDE pixels or more, so that its output, and all that handles it after, follows
 * the grid's needs rather than the picture's pixel count (a flat 12 MP picture is a 47 KB file).
 * Without a frame header in reach, the file's size stands in for the pixel count.
 */
export function decodeScale(head: Pick<JpegHeader, "size" | "frame">): string {
  if (head.frame == null) return head.size < 100 * 1024 ? "1/1" : head.size < 1024 * 1024 ? "1/4" : "1/8";
  const short = Math.min(head.frame.width, head.frame.height);
  for (const d of [8, 4, 2]) if (short / d >= MIN_DECODED_SIDE) return `1/${d}`;
  return "1/1";
}

/** An EXIF block's TIFF layout, read through the file within the block's bounds. */
interface TiffView {
  tiff: number;
  u16(b: Buffer, i?: number): number;
  u32(b: Buffer, i?: number): number;
  at(offset: number, length: number): Promise<Buffer | null>;
}

/**
 * The second IFD of the EXIF block whose TIFF header is at `tiff` (its segment ending at `end`),
 * where EXIF keeps its thumbnail: false when IFD0 links to none, null when the layout cannot be
 * read (a preview may then be anywhere).
 */
async function thumbnailIfd(read: ReadAt, tiff: number, end: number): Promise<{ view: TiffView; offset: number } | false | null> {
  const at = async (offset: number, length: number): Promise<Buffer | null> => {
    if (offset < tiff || offset + length > end) return null;
    const bytes = await read(offset, length);
    return bytes.length === length ? bytes : null;
  };
  const header = await at(tiff, 8);
  if (header == null) return null;
  const little = header.toString("latin1", 0, 2) === "II";
  const view: TiffView = {
    tiff,
    at,
    u16: (b, i = 0) => (little ? b.readUInt16LE(i) : b.readUInt16BE(i)),
    u32: (b, i = 0) => (little ? b.readUInt32LE(i) : b.readUInt32BE(i)),
  };
  const ifd0 = tiff + view.u32(header, 4);
  const count = await at(ifd0, 2);
  if (count == null) return null;
  const next = await at(ifd0 + 2 + 12 * view.u16(count), 4);
  if (next == null) return null;
  return view.u32(next) === 0 ? false : { view, offset: tiff + view.u32(next) };
}

/**
 * Where IFD1's JPEGInterchangeFormat and its length put the thumbnail, as ExifTool gives it
 * (ThumbnailOffset, ThumbnailLength: from the file's start); null unless both are there and the
 * bytes lie inside the EXIF block.
 */
async function thumbnailSpan(ifd1: { view: TiffView; offset: number }, end: number, size: number): Promise<Span | null> {
  const { view, offset } = ifd1;
  const count = await view.at(offset, 2);
  if (count == null || view.u16(count) > MAX_THUMBNAIL_IFD_ENTRIES) return null;
  const entries = await view.at(offset + 2, 12 * view.u16(count));
  if (entries == null) return null;
  let start: number | null = null;
  let length: number | null = null;
  for (let i = 0; i < entries.length; i += 12) {
    const tag = view.u16(entries, i);
    if (tag !== JPEG_INTERCHANGE_FORMAT && tag !== JPEG_INTERCHANGE_FORMAT_LENGTH) continue;
    const type = view.u16(entries, i + 2);
    // LONG as the standard has it; SHORT as some writers do.
    const value = type === 4 ? view.u32(entries, i + 8) : type === 3 ? view.u16(entries, i + 8) : null;
    if (tag === JPEG_INTERCHANGE_FORMAT) start = value == null ? null : view.tiff + value;
    else length = value;
  }
  if (start == null || length == null || length < 4 || start + length > Math.min(end, size)) return null;
  return { start, length };
}

/** An APPn segment (its first bytes) that holds no preview: JFIF without a thumbnail, ICC, XMP, Adobe. */
function isPreviewFree(marker: number, p: Buffer): boolean {
  const text = p.toString("latin1");
  if (marker === 0xe0) return text.startsWith("JFIF\0") && p.length >= 14 && p[12] === 0 && p[13] === 0;
  if (marker === 0xe1) return text.startsWith(XMP_HEADER);
  if (marker === 0xe2) return text.startsWith("ICC_PROFILE\0");
  return marker === 0xee && text.startsWith("Adobe");
}
