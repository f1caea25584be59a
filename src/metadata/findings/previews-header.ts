import fsp, { type FileHandle } from "node:fs/promises";

/** A run of bytes in the file, by its offset from the file's start. */
export interface Span {
  start: number;
  length: number;
}

/** What a JPEG's header says of its previews before ExifTool has read it. */
export interface HeaderPreviews {
  size: number;
  /** The EXIF thumbnail's bytes, where its IFD points to them inside the EXIF block (null: not found there). */
  thumbnail: Span | null;
}

/** Segments of a JPEG's header looked at, at most, for a part that may hold a preview. */
const MAX_HEADER_SEGMENTS = 64;
/** Entries of the thumbnail's IFD read, at most, for where its JPEG is (EXIF writes about six). */
const MAX_THUMBNAIL_IFD_ENTRIES = 64;
const XMP_HEADER = "http://ns.adobe.com/xap/1.0/\0";
const JPEG_INTERCHANGE_FORMAT = 0x0201;
const JPEG_INTERCHANGE_FORMAT_LENGTH = 0x0202;

/**
 * Whether a JPEG's header, up to its first scan, has a segment a preview could come from: any
 * APPn but a JFIF without a thumbnail, an EXIF block whose first IFD links to no second one (the
 * thumbnail's), an ICC profile, XMP and the Adobe colour transform. Null when it has none; else
 * the file's size and, where the EXIF block says so, its thumbnail's place.
 */
export async function previewPlaces(file: string): Promise<HeaderPreviews | null> {
  const handle = await fsp.open(file, "r");
  try {
    const { size } = await handle.stat();
    // A segment's marker and length, then as much of its payload as the tests below read.
    const head = Buffer.alloc(4 + XMP_HEADER.length);
    let pos = 2;
    for (let n = 0; n < MAX_HEADER_SEGMENTS && pos + 4 <= size; n++) {
      const { bytesRead } = await handle.read(head, 0, head.length, pos);
      if (bytesRead < 4 || head[0] !== 0xff) return null;
      const marker = head[1]!;
      if (marker === 0xda || marker === 0xd9) return null;
      const end = pos + 2 + head.readUInt16BE(2);
      const payload = head.subarray(4, Math.min(bytesRead, end - pos));
      if (marker === 0xe1 && payload.toString("latin1", 0, 6) === "Exif\0\0") {
        const ifd1 = await thumbnailIfd(handle, pos + 10, end);
        if (ifd1 !== false) return { size, thumbnail: ifd1 == null ? null : await thumbnailSpan(ifd1, end, size) };
      } else if (marker >= 0xe0 && marker <= 0xef && !isPreviewFree(marker, payload)) return { size, thumbnail: null };
      pos = end;
    }
    return null;
  } finally {
    await handle.close();
  }
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
async function thumbnailIfd(handle: FileHandle, tiff: number, end: number): Promise<{ view: TiffView; offset: number } | false | null> {
  const at = async (offset: number, length: number): Promise<Buffer | null> => {
    if (offset < tiff || offset + length > end) return null;
    const { bytesRead, buffer } = await handle.read(Buffer.alloc(length), 0, length, offset);
    return bytesRead === length ? buffer : null;
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
