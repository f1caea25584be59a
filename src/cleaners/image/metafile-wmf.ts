import { BITMAP16_HEAD, cleanBitmap16 } from "./metafile-bitmap16.js";
import { cleanPackedDib } from "./metafile-dib.js";
import { type Blanked, type Fields, ansiz, damaged, zeroSlack } from "./metafile-fields.js";

const PLACEABLE_KEY = 0x9ac6cdd7;
const META_EOF = 0x0000;
const META_ESCAPE = 0x0626;
const MFCOMMENT = 0x000f;
const ETO_OPAQUE = 0x2;
const ETO_CLIPPED = 0x4;
const DIB_RGB_COLORS = 0;
const BS_PATTERN = 3;

interface WmfRecordType {
  /** Bytes the record needs at least, its 6-byte head included. */
  min: number;
  /** The fields read, once `min` bytes are there; only [0, min) when absent. */
  fields?: (r: Buffer) => Fields;
  /** Where the record's bitmap (a packed DIB to the record's end) starts and what its colour table holds, or null when it carries none. */
  dib?: (r: Buffer) => { at: number; usage: number } | null;
  /** Where the record's device-dependent bitmap (a Bitmap16) has its head and its rows, or null when it carries none. */
  bitmap16?: (r: Buffer) => { head: number; bits: number } | null;
}

const u16 = (r: Buffer, at: number): number => r.readUInt16LE(at);
const params = (bytes: number): WmfRecordType => ({ min: 6 + bytes });
/** A record carrying a bitmap (a DIB or a Bitmap16) to its end: `bytes` of parameters without one. */
const blit = (bytes: number): WmfRecordType => ({ min: 6 + bytes, fields: (r) => [[0, r.length]] });
/**
 * A record whose packed DIB starts at `at` ([MS-WMF] 2.3.1), with its colour usage at `usageAt`
 * (colours when null); a record of `bare` bytes or fewer carries no bitmap (the variants without
 * a source, which have a reserved word instead).
 */
const dibBlit = (bytes: number, at: number, usageAt: number | null, bare = at): WmfRecordType => ({
  ...blit(bytes),
  dib: (r) => (r.length <= bare ? null : { at, usage: usageAt == null ? DIB_RGB_COLORS : u16(r, usageAt) }),
});
/** A palette object ([MS-WMF] 2.2.1.3): start, count, 4-byte entries. */
const palette: WmfRecordType = { min: 10, fields: (r) => [[0, 10 + 4 * u16(r, 8)]] };
/** A bit-block transfer whose Bitmap16 starts at `head`, after its parameters; the variant without one has `bare` bytes and a reserved word. */
const bitmap16Blit = (bytes: number, head: number, bare: number): WmfRecordType => ({
  ...blit(bytes),
  bitmap16: (r) => (r.length <= bare ? null : { head, bits: head + BITMAP16_HEAD }),
});
const points: WmfRecordType = { min: 8, fields: (r) => [[0, 8 + 4 * u16(r, 6)]] };

/**
 * The WMF records a reader draws from ([MS-WMF] 2.1.1.1 and 2.3), each with the parameter bytes it
 * needs and the fields it reads (a record's optional reserved word becomes zero). Records of other
 * types go, and so do escapes other than comments (printer-driver data, PostScript for printers).
 */
const WMF_RECORDS: ReadonlyMap<number, WmfRecordType> = new Map<number, WmfRecordType>([
  ...([0x001e, 0x0035, 0x0105] as const).map((fn) => [fn, params(0)] as const),
  ...([0x0102, 0x0103, 0x0104, 0x0106, 0x0107, 0x0108, 0x0127, 0x012a, 0x012b, 0x012c, 0x012d, 0x012e, 0x0139, 0x0149, 0x01f0, 0x0234] as const).map(
    (fn) => [fn, params(2)] as const,
  ),
  ...([0x0201, 0x0209, 0x020a, 0x020b, 0x020c, 0x020d, 0x020e, 0x020f, 0x0211, 0x0213, 0x0214, 0x0220, 0x0228, 0x0231] as const).map((fn) => [fn, params(4)] as const),
  ...([0x0410, 0x0412, 0x0415, 0x0416, 0x0418, 0x0419, 0x041b, 0x041f, 0x0429, 0x02fc] as const).map((fn) => [fn, params(8)] as const),
  ...([0x0817, 0x081a, 0x0830] as const).map((fn) => [fn, params(16)] as const),
  [0x02fa, params(10)], // CREATEPENINDIRECT
  [0x0548, params(10)], // EXTFLOODFILL
  [0x061c, params(12)], // ROUNDRECT
  [0x061d, params(12)], // PATBLT
  [0x0037, palette], // SETPALENTRIES
  [0x00f7, palette], // CREATEPALETTE
  [0x0436, palette], // ANIMATEPALETTE
  [0x0324, points], // POLYGON
  [0x0325, points], // POLYLINE
  [0x0538, { min: 8, fields: polyPolygon }], // POLYPOLYGON
  [0x02fb, { min: 24, fields: (r) => [[0, 24], ansiz(r, 24, 32)] }], // CREATEFONTINDIRECT: the face name up to its terminator
  [0x0521, { min: 12, fields: textOut }], // TEXTOUT
  [0x0a32, { min: 14, fields: extTextOut }], // EXTTEXTOUT
  [0x06ff, { min: 28, fields: region }], // CREATEREGION
  [0x0922, bitmap16Blit(18, 22, 24)], // BITBLT
  [0x0940, dibBlit(18, 22, null, 24)], // DIBBITBLT
  [0x0b23, bitmap16Blit(20, 26, 28)], // STRETCHBLT
  [0x0b41, dibBlit(20, 26, null, 28)], // DIBSTRETCHBLT
  [0x0d33, dibBlit(18, 24, 6)], // SETDIBTODEV
  [0x0f43, dibBlit(22, 28, 10)], // STRETCHDIB
  // DIBCREATEPATTERNBRUSH: a BS_PATTERN brush's colour table holds colours whatever its usage says.
  [0x0142, { ...blit(4), dib: (r) => ({ at: 10, usage: u16(r, 6) === BS_PATTERN ? DIB_RGB_COLORS : u16(r, 8) }) }],
  // CREATEPATTERNBRUSH: a Bitmap16's head, 18 reserved bytes (zeros), then its rows.
  [0x01f9, { min: 16, fields: (r) => [[0, 16], [34, r.length]], bitmap16: () => ({ head: 6, bits: 34 }) }],
]);

function polyPolygon(r: Buffer): Fields {
  const polygons = u16(r, 6);
  if (8 + 2 * polygons > r.length) throw damaged("a polypolygon's counts run past its record");
  let count = 0;
  for (let i = 0; i < polygons; i++) count += u16(r, 8 + 2 * i);
  return [[0, 8 + 2 * polygons + 4 * count]];
}

/** TEXTOUT: the string (padded to a whole word, the pad byte read by nothing), then y and x. */
function textOut(r: Buffer): Fields {
  const length = u16(r, 6);
  const padded = length + (length & 1);
  return [[0, 8 + length], [8 + padded, 12 + padded]];
}

/** EXTTEXTOUT: a rectangle when opaque or clipped, the string, then its spacing when the record has room for it. */
function extTextOut(r: Buffer): Fields {
  const length = u16(r, 10);
  const at = (u16(r, 12) & (ETO_OPAQUE | ETO_CLIPPED)) !== 0 ? 22 : 14;
  const dx = at + length + (length & 1);
  return [[0, at + length], ...(dx + 2 * length <= r.length && length > 0 ? [[dx, dx + 2 * length] as const] : [])];
}

/** CREATEREGION ([MS-WMF] 2.2.1.5): a 22-byte head, then scans of 8 bytes and 2 per coordinate. */
function region(r: Buffer): Fields {
  let at = 28;
  for (let scans = u16(r, 16); scans > 0 && at + 2 <= r.length; scans--) at += 8 + 2 * u16(r, at);
  return [[0, at]];
}

/**
 * Cleans a WMF ([MS-WMF] 2.3: size in 16-bit words and function, after an 18-byte header and maybe
 * a placeable one) in place, keeping only what readers draw: records of the types listed above
 * with only their fields (the rest zeros), comment escapes as zeros; other records, and what
 * follows the end-of-file record, go. The kept records move up and the header's size and largest
 * record follow; the placeable header's reserved words become zeros and its checksum is redone.
 */
export function blankWmf(wmf: Buffer): Blanked {
  const start = wmf.length >= 22 && wmf.readUInt32LE(0) === PLACEABLE_KEY ? 22 : 0;
  if (start + 18 > wmf.length || wmf.readUInt16LE(start + 2) !== 9) throw damaged("it does not start with a WMF header");
  let blanked = start > 0 ? placeable(wmf) : 0;
  if (zeroSlack(wmf.subarray(start, start + 18), [[0, 16]])) blanked++;
  let write = start + 18;
  let largest = 3;
  for (let at = start + 18; at + 6 <= wmf.length; ) {
    const size = wmf.readUInt32LE(at) * 2;
    const fn = wmf.readUInt16LE(at + 4);
    if (fn === META_EOF) {
      wmf.copy(wmf, write, at, at + 6);
      wmf.writeUInt32LE(3, write);
      write += 6;
      return finish(wmf, start, write, largest, blanked, true);
    }
    if (size < 6 || at + size > wmf.length) throw damaged(`a WMF record of ${size} bytes runs past the end`);
    const record = wmf.subarray(at, at + size);
    const known = fn === META_ESCAPE ? escape(record) : WMF_RECORDS.get(fn);
    if (known == null) blanked++;
    else {
      if (size < known.min) throw damaged(`a record of function 0x${fn.toString(16)} has ${size} bytes, fewer than its ${known.min}`);
      if (zeroSlack(record, known.fields?.(record) ?? [[0, known.min]])) blanked++;
      const dib = known.dib?.(record);
      if (dib != null && cleanPackedDib(record, dib.at, record.length, dib.usage)) blanked++;
      const bitmap = known.bitmap16?.(record);
      if (bitmap != null && cleanBitmap16(record, bitmap.head, bitmap.bits)) blanked++;
      if (write !== at) wmf.copy(wmf, write, at, at + size);
      write += size;
      largest = Math.max(largest, size / 2);
    }
    at += size;
  }
  return finish(wmf, start, write, largest, blanked, false);
}

/** A comment escape's text becomes zeros (the record stays, as LibreOffice writes them); every other escape goes. */
function escape(r: Buffer): WmfRecordType | undefined {
  if (r.length < 10 || r.readUInt16LE(6) !== MFCOMMENT) return undefined;
  return { min: 10, fields: () => [[0, 10]] };
}

function finish(wmf: Buffer, start: number, end: number, largest: number, blanked: number, ended: boolean): Blanked {
  wmf.writeUInt32LE((end - start) / 2, start + 6);
  wmf.writeUInt32LE(largest, start + 12);
  return { blanked, end, ended };
}

/** The placeable header ([MS-WMF] 2.3.2.3): its handle and reserved words zeros, its checksum (the XOR of the words before it) redone. */
function placeable(wmf: Buffer): number {
  const before = wmf.readUInt16LE(4) !== 0 || wmf.readUInt32LE(16) !== 0;
  wmf.writeUInt16LE(0, 4);
  wmf.writeUInt32LE(0, 16);
  let sum = 0;
  for (let i = 0; i < 20; i += 2) sum ^= wmf.readUInt16LE(i);
  wmf.writeUInt16LE(sum, 20);
  return before ? 1 : 0;
}
