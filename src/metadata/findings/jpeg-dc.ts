/** A picture's grey levels, one byte a pixel, row by row. */
export interface Grey {
  width: number;
  height: number;
  pixels: Uint8Array;
}

interface HuffmanTable {
  /** By code length 1-16: the largest code of that length (-1: none), the first one, and where its symbols start. */
  maxCode: Int32Array;
  minCode: Int32Array;
  symbolAt: Int32Array;
  symbols: Uint8Array;
  /** By the next LOOKUP_BITS bits: the code's length << 8 | its symbol, 0 for a longer code. */
  lookup: Uint16Array;
  /** The same for an AC table's codes: the code's and its value's lengths together << 8 | its symbol. */
  skip: Uint16Array;
}

interface Component {
  id: number;
  h: number;
  v: number;
  table: number;
}

interface Frame {
  width: number;
  height: number;
  components: Component[];
}

interface ScanComponent {
  component: Component;
  dc: HuffmanTable;
  ac: HuffmanTable;
}

/** The file ends, or its data breaks the code, before the scan's last block. */
class Broken extends Error {}

/**
 * The luma of a baseline JPEG at an eighth of its size: each 8x8 block's average, its DC
 * coefficient, which is what djpeg -grayscale -scale 1/8 outputs (the same bytes: djpeg decodes
 * only that coefficient at that scale). Every coefficient is still read (each one's code is needed
 * to find the next), but none is transformed back into pixels, and the colour components are
 * skipped. Null for any other kind of JPEG (progressive, arithmetic coding, 12-bit, lossless), a
 * first scan without the luma, or broken data: the caller decodes the picture another way.
 */
export function lumaAtEighth(bytes: Buffer, maxPixels: number): Grey | null {
  if (bytes[0] !== 0xff || bytes[1] !== 0xd8) return null;
  const quant = new Map<number, number>();
  const dcTables = new Map<number, HuffmanTable>();
  const acTables = new Map<number, HuffmanTable>();
  let frame: Frame | null = null;
  let restartInterval = 0;
  for (let pos = 2; pos + 4 <= bytes.length; ) {
    if (bytes[pos] !== 0xff) return null;
    const marker = bytes[pos + 1]!;
    if (marker === 0xff) {
      pos += 1;
      continue;
    }
    const length = bytes.readUInt16BE(pos + 2);
    const segment = bytes.subarray(pos + 4, pos + 2 + length);
    if (length < 2 || segment.length !== length - 2) return null;
    pos += 2 + length;
    if (marker === 0xdb && !readQuant(segment, quant)) return null;
    if (marker === 0xc4 && !readHuffman(segment, dcTables, acTables)) return null;
    if (marker === 0xdd && segment.length >= 2) restartInterval = segment.readUInt16BE(0);
    if (marker === 0xc0 || marker === 0xc1) {
      frame = readFrame(segment);
      if (frame == null || frame.width * frame.height > maxPixels) return null;
    } else if (marker >= 0xc2 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      return null;
    }
    if (marker === 0xda) {
      if (frame == null) return null;
      const scan = readScan(segment, frame, dcTables, acTables);
      const q = quant.get(frame.components[0]!.table);
      if (scan == null || q == null) return null;
      try {
        return decodeScan(bytes, pos, frame, scan, restartInterval, q);
      } catch (err) {
        if (err instanceof Broken) return null;
        throw err;
      }
    }
  }
  return null;
}

/** Keeps each table's first value, the DC coefficient's step. */
function readQuant(segment: Buffer, quant: Map<number, number>): boolean {
  for (let i = 0; i < segment.length; ) {
    const wide = segment[i]! >> 4;
    const size = 1 + 64 * (wide ? 2 : 1);
    if (i + size > segment.length) return false;
    quant.set(segment[i]! & 15, wide ? segment.readUInt16BE(i + 1) : segment[i + 1]!);
    i += size;
  }
  return true;
}

function readHuffman(segment: Buffer, dcTables: Map<number, HuffmanTable>, acTables: Map<number, HuffmanTable>): boolean {
  for (let i = 0; i < segment.length; ) {
    if (i + 17 > segment.length) return false;
    const counts = segment.subarray(i + 1, i + 17);
    const total = counts.reduce((sum, c) => sum + c, 0);
    const symbols = segment.subarray(i + 17, i + 17 + total);
    if (symbols.length !== total) return false;
    const table = huffmanTable(counts, symbols);
    if (table == null) return false;
    (segment[i]! >> 4 === 0 ? dcTables : acTables).set(segment[i]! & 15, table);
    i += 17 + total;
  }
  return true;
}

/** The canonical code of the counts by length (JPEG's Annex C), or null when they overflow it. */
function huffmanTable(counts: Uint8Array, symbols: Uint8Array): HuffmanTable | null {
  const maxCode = new Int32Array(17).fill(-1);
  const minCode = new Int32Array(17);
  const symbolAt = new Int32Array(17);
  let code = 0;
  let k = 0;
  for (let length = 1; length <= 16; length++) {
    const n = counts[length - 1]!;
    symbolAt[length] = k;
    minCode[length] = code;
    code += n;
    k += n;
    if (code > 1 << length) return null;
    if (n > 0) maxCode[length] = code - 1;
    code <<= 1;
  }
  const lookup = new Uint16Array(1 << LOOKUP_BITS);
  const skip = new Uint16Array(1 << LOOKUP_BITS);
  for (let length = 1, k = 0; length <= LOOKUP_BITS; length++) {
    for (let i = 0; i < counts[length - 1]!; i++, k++) {
      const symbol = symbols[k];
      if (symbol == null) return null;
      const first = (minCode[length]! + i) << (LOOKUP_BITS - length);
      lookup.fill((length << 8) | symbol, first, first + (1 << (LOOKUP_BITS - length)));
      skip.fill(((length + (symbol & 15)) << 8) | symbol, first, first + (1 << (LOOKUP_BITS - length)));
    }
  }
  return { maxCode, minCode, symbolAt, symbols, lookup, skip };
}

function readFrame(segment: Buffer): Frame | null {
  if (segment.length < 6 || segment[0] !== 8) return null;
  const count = segment[5]!;
  if (count < 1 || segment.length < 6 + 3 * count) return null;
  const components: Component[] = [];
  for (let i = 0; i < count; i++) {
    const at = 6 + 3 * i;
    const h = segment[at + 1]! >> 4;
    const v = segment[at + 1]! & 15;
    if (h < 1 || h > 4 || v < 1 || v > 4) return null;
    components.push({ id: segment[at]!, h, v, table: segment[at + 2]! & 15 });
  }
  const width = segment.readUInt16BE(3);
  const height = segment.readUInt16BE(1);
  return width > 0 && height > 0 ? { width, height, components } : null;
}

/** The first scan's components, the luma first among them, each with its tables. */
function readScan(segment: Buffer, frame: Frame, dcTables: Map<number, HuffmanTable>, acTables: Map<number, HuffmanTable>): ScanComponent[] | null {
  const count = segment[0] ?? 0;
  if (count < 1 || segment.length < 1 + 2 * count) return null;
  const scan: ScanComponent[] = [];
  for (let i = 0; i < count; i++) {
    const component = frame.components.find((c) => c.id === segment[1 + 2 * i]);
    const dc = dcTables.get(segment[2 + 2 * i]! >> 4);
    const ac = acTables.get(segment[2 + 2 * i]! & 15);
    if (component == null || dc == null || ac == null) return null;
    scan.push({ component, dc, ac });
  }
  return scan[0]!.component === frame.components[0] ? scan : null;
}

/** Codes up to this many bits are looked up at once (a camera's AC codes are mostly this short); longer ones walk the code lengths. */
const LOOKUP_BITS = 9;

/**
 * The scan's bits, read ahead into a 32-bit reservoir, as libjpeg reads them: a code is looked up
 * from the next LOOKUP_BITS at once instead of bit by bit (the bit-by-bit walk took ~36 ms for a
 * 1 MP photo, djpeg ~8). A marker or the file's end stops the reading: zero bits stand for what
 * follows (`padding`), and a block that reads into them is broken.
 */
class ScanBits {
  private reservoir = 0;
  private count = 0;
  private padding = 0;
  constructor(
    private readonly bytes: Buffer,
    public pos: number,
  ) {}

  private fill(): void {
    while (this.count <= 24) {
      let byte = 0;
      if (this.padding === 0 && this.pos < this.bytes.length) {
        byte = this.bytes[this.pos]!;
        if (byte === 0xff) {
          // 0xFF 0x00 is a stuffed 0xFF; any other byte after 0xFF is a marker, left for the restart check.
          if (this.bytes[this.pos + 1] === 0x00) this.pos += 2;
          else {
            byte = 0;
            this.padding += 8;
          }
        } else this.pos += 1;
      } else this.padding += 8;
      this.reservoir = (this.reservoir << 8) | byte;
      this.count += 8;
    }
  }

  bits(n: number): number {
    if (n === 0) return 0;
    if (this.count < n) this.fill();
    this.count -= n;
    return (this.reservoir >>> this.count) & ((1 << n) - 1);
  }

  decode(t: HuffmanTable): number {
    if (this.count < 16) this.fill();
    const entry = t.lookup[(this.reservoir >>> (this.count - LOOKUP_BITS)) & ((1 << LOOKUP_BITS) - 1)]!;
    if (entry !== 0) {
      this.count -= entry >> 8;
      return entry & 0xff;
    }
    let code = (this.reservoir >>> (this.count - LOOKUP_BITS)) & ((1 << LOOKUP_BITS) - 1);
    for (let length = LOOKUP_BITS + 1; length <= 16; length++) {
      code = (code << 1) | ((this.reservoir >>> (this.count - length)) & 1);
      if (code <= t.maxCode[length]!) {
        const symbol = t.symbols[t.symbolAt[length]! + code - t.minCode[length]!];
        if (symbol == null) throw new Broken();
        this.count -= length;
        return symbol;
      }
    }
    throw new Broken();
  }

  /**
   * Reads one block: its DC difference, returned, then past its 63 AC coefficients (their values
   * are not needed). The reservoir is kept in locals for the block (this is the decoder's hot
   * loop); a code and its value's bits are skipped in one step where the code is short
   * (`HuffmanTable.skip`), which needs 9 + 15 bits at most: the reservoir holds 25 or more after a fill.
   */
  block(dc: HuffmanTable, ac: HuffmanTable): number {
    const size = this.decode(dc);
    if (size > 11) throw new Broken();
    const diff = size === 0 ? 0 : extend(this.bits(size), size);
    const bytes = this.bytes;
    let reservoir = this.reservoir;
    let count = this.count;
    let pos = this.pos;
    let padding = this.padding;
    for (let k = 1; k < 64; ) {
      while (count <= 24) {
        let byte = 0;
        if (padding === 0 && pos < bytes.length) {
          byte = bytes[pos]!;
          if (byte !== 0xff) pos += 1;
          else if (bytes[pos + 1] === 0x00) pos += 2;
          else {
            byte = 0;
            padding += 8;
          }
        } else padding += 8;
        reservoir = (reservoir << 8) | byte;
        count += 8;
      }
      const entry = ac.skip[(reservoir >>> (count - LOOKUP_BITS)) & ((1 << LOOKUP_BITS) - 1)]!;
      let rs: number;
      if (entry !== 0) {
        count -= entry >> 8;
        rs = entry & 0xff;
      } else {
        this.reservoir = reservoir;
        this.count = count;
        this.pos = pos;
        this.padding = padding;
        rs = this.decode(ac);
        this.bits(rs & 15);
        reservoir = this.reservoir;
        count = this.count;
        pos = this.pos;
        padding = this.padding;
      }
      if ((rs & 15) === 0) {
        if (rs >> 4 !== 15) break;
        k += 16;
      } else k += (rs >> 4) + 1;
    }
    this.reservoir = reservoir;
    this.count = count;
    this.pos = pos;
    this.padding = padding;
    return diff;
  }

  /** Throws when the codes read so far reached past the scan's data. */
  checkWithinData(): void {
    if (this.count < this.padding) throw new Broken();
  }

  /** At a restart: the bits left in the last byte are dropped and an RSTn marker must follow them. */
  restart(): void {
    this.checkWithinData();
    if (this.count - this.padding >= 8) throw new Broken();
    this.reservoir = 0;
    this.count = 0;
    this.padding = 0;
    if (this.bytes[this.pos] !== 0xff || this.bytes[this.pos + 1]! < 0xd0 || this.bytes[this.pos + 1]! > 0xd7) throw new Broken();
    this.pos += 2;
  }
}

function decodeScan(bytes: Buffer, start: number, frame: Frame, scan: ScanComponent[], restartInterval: number, step: number): Grey {
  const reader = new ScanBits(bytes, start);
  const hMax = Math.max(...frame.components.map((c) => c.h));
  const vMax = Math.max(...frame.components.map((c) => c.v));
  const luma = scan[0]!.component;
  const width = Math.ceil(Math.ceil((frame.width * luma.h) / hMax) / 8);
  const height = Math.ceil(Math.ceil((frame.height * luma.v) / vMax) / 8);
  // One component alone is coded block by block over its own size; several, by MCU of the largest sampling.
  const alone = scan.length === 1;
  const mcuColumns = alone ? width : Math.ceil(frame.width / (8 * hMax));
  const mcuRows = alone ? height : Math.ceil(frame.height / (8 * vMax));
  const pixels = new Uint8Array(width * height);
  const predictions = new Int32Array(scan.length);
  let untilRestart = restartInterval;
  for (let my = 0; my < mcuRows; my++) {
    for (let mx = 0; mx < mcuColumns; mx++) {
      if (restartInterval > 0 && untilRestart === 0) {
        reader.restart();
        predictions.fill(0);
        untilRestart = restartInterval;
      }
      untilRestart -= 1;
      for (let s = 0; s < scan.length; s++) {
        const { component, dc, ac } = scan[s]!;
        const across = alone ? 1 : component.h;
        const down = alone ? 1 : component.v;
        for (let by = 0; by < down; by++) {
          for (let bx = 0; bx < across; bx++) {
            predictions[s]! += reader.block(dc, ac);
            if (s !== 0) continue;
            const x = alone ? mx : mx * across + bx;
            const y = alone ? my : my * down + by;
            // The block's mean: DC / 8 in the IDCT's scale, level-shifted by 128 (djpeg's rounding).
            if (x < width && y < height) pixels[y * width + x] = clamp(Math.round((predictions[s]! * step) / 8) + 128);
          }
        }
      }
    }
    reader.checkWithinData();
  }
  reader.checkWithinData();
  return { width, height, pixels };
}

function extend(value: number, size: number): number {
  return value < 1 << (size - 1) ? value - (1 << size) + 1 : value;
}

function clamp(v: number): number {
  return v < 0 ? 0 : v > 255 ? 255 : v;
}
