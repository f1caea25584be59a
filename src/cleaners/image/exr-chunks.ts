import { TooComplexError } from "../errors.js";
import { type FileBytes, WINDOW } from "../file-bytes.js";
import { damagedExr } from "./exr-header.js";

/** Scan lines per chunk for each compression method, by its number (NONE, RLE, ZIPS, ZIP, PIZ, PXR24, B44, B44A, DWAA, DWAB). */
const LINES_PER_CHUNK = [1, 1, 1, 16, 32, 16, 32, 32, 32, 256];
/** Offsets held at once (8 bytes each, twice, in typed arrays): far more chunks than a picture of gigabytes has. */
const MAX_CHUNKS = 1 << 21;
const OFFSET = 8;

/** What a part's chunks look like, from its header. */
export interface PartLayout {
  tiled: boolean;
  chunks: number;
}

/** A box2i value: xMin, yMin, xMax, yMax. */
export function windowSize(box: Buffer): { width: number; height: number } {
  return { width: box.readInt32LE(8) - box.readInt32LE(0) + 1, height: box.readInt32LE(12) - box.readInt32LE(4) + 1 };
}

/** The chunks of a single-part scan-line picture: one per block of lines its compression packs together. */
export function scanLineChunks(dataWindow: Buffer, compression: number): number {
  const lines = LINES_PER_CHUNK[compression];
  if (lines == null) throw damagedExr(`its compression method (${compression}) is unknown`);
  const { width, height } = windowSize(dataWindow);
  if (width < 1 || height < 1) throw damagedExr("its data window is empty");
  return Math.ceil(height / lines);
}

/**
 * The tiles of a single-part tiled picture (a tiledesc: tile width and height, then the level
 * mode in the low nibble, one level, mipmap or ripmap, and the rounding mode in the high one):
 * every level's tiles, each level half the one before, rounded down or up, never under a pixel.
 */
export function tileChunks(dataWindow: Buffer, tiles: Buffer): number {
  const { width, height } = windowSize(dataWindow);
  const tileWidth = tiles.readUInt32LE(0);
  const tileHeight = tiles.readUInt32LE(4);
  const mode = tiles[8]! & 0x0f;
  const roundUp = tiles[8]! >> 4 === 1;
  if (width < 1 || height < 1 || tileWidth < 1 || tileHeight < 1 || mode > 2 || tiles[8]! >> 4 > 1) throw damagedExr("its tile description is out of range");
  const levelSize = (full: number, level: number): number => Math.max(roundUp ? Math.ceil(full / 2 ** level) : Math.floor(full / 2 ** level), 1);
  const levels = (full: number): number => {
    let n = 0;
    while (roundUp ? 2 ** n < full : 2 ** (n + 1) <= full) n++;
    return n + 1;
  };
  const across = (level: number): number => Math.ceil(levelSize(width, level) / tileWidth);
  const down = (level: number): number => Math.ceil(levelSize(height, level) / tileHeight);
  let count = 0;
  if (mode === 0) count = across(0) * down(0);
  if (mode === 1) for (let l = 0; l < levels(Math.max(width, height)); l++) count += across(l) * down(l);
  if (mode === 2) for (let lx = 0; lx < levels(width); lx++) for (let ly = 0; ly < levels(height); ly++) count += across(lx) * down(ly);
  return count;
}

/** Every chunk of the file, where it is and how long (its own header included), in the order of the offset tables. */
export interface ChunkPlaces {
  at: Float64Array;
  length: Float64Array;
  /** Where the offset tables end: the first chunk can start no sooner. */
  tablesEnd: number;
}

/**
 * Reads the offset tables that follow the headers (one per part, 64-bit file offsets) and the
 * header of every chunk they point at: in a multi-part file its part's number, then a scan-line
 * chunk's first line, or a tile's coordinates and levels, and the size of the pixel data after.
 * Each chunk must lie inside the file.
 */
export async function placeChunks(src: FileBytes, tablesAt: number, parts: readonly PartLayout[], multipart: boolean): Promise<ChunkPlaces> {
  const total = parts.reduce((n, p) => n + p.chunks, 0);
  const tablesEnd = tablesAt + total * OFFSET;
  if (tablesEnd > src.size) throw damagedExr("its offset tables run past its end");
  if (total > MAX_CHUNKS) throw new TooComplexError(`an OpenEXR file of more than ${MAX_CHUNKS} chunks`);
  const at = new Float64Array(total);
  const length = new Float64Array(total);
  let i = 0;
  // The tables are read a window at a time, apart from the chunks' heads: reading an entry, then
  // the chunk it points at, through one window would read a mebibyte twice per chunk.
  let table: Buffer = Buffer.alloc(0);
  let tableBase = 0;
  for (const [number, part] of parts.entries()) {
    const fields = (multipart ? 1 : 0) + (part.tiled ? 4 : 1);
    for (let c = 0; c < part.chunks; c++, i++) {
      if ((i - tableBase) * OFFSET >= table.length) {
        tableBase = i;
        table = await src.read(tablesAt + i * OFFSET, Math.min(WINDOW, tablesEnd - tablesAt - i * OFFSET));
      }
      const entry = (i - tableBase) * OFFSET;
      const offset = table.readUInt32LE(entry + 4) * 2 ** 32 + table.readUInt32LE(entry);
      const head = offset >= tablesEnd && offset + fields * 4 + 4 <= src.size ? await src.read(offset, fields * 4 + 4) : null;
      if (head == null) throw damagedExr("a chunk of its pixels lies outside the file");
      if (multipart && head.readInt32LE(0) !== number) throw damagedExr("a chunk's part number is not its table's");
      const size = head.readInt32LE(fields * 4);
      if (size < 0 || offset + fields * 4 + 4 + size > src.size) throw damagedExr("a chunk of its pixels runs past its end");
      at[i] = offset;
      length[i] = fields * 4 + 4 + size;
    }
  }
  return { at, length, tablesEnd };
}

/** The chunks' indexes in the order they lie in the file; chunks that overlap are damage. */
export function fileOrder(places: ChunkPlaces): Uint32Array {
  const order = Uint32Array.from({ length: places.at.length }, (_, i) => i);
  const ascending = places.at.every((v, i, all) => i === 0 || all[i - 1]! <= v);
  if (!ascending) order.sort((a, b) => places.at[a]! - places.at[b]!);
  for (let k = 1; k < order.length; k++) {
    const before = order[k - 1]!;
    if (places.at[before]! + places.length[before]! > places.at[order[k]!]!) throw damagedExr("two chunks of its pixels overlap");
  }
  return order;
}
