/** [MS-CFB] 2.2: header fields. */
const SECTOR_SHIFT = 0x1e;
const MINI_SECTOR_SHIFT = 0x20;
const FAT_SECTORS = 0x2c;
const FIRST_MINI_FAT_SECTOR = 0x3c;
const MINI_FAT_SECTORS = 0x40;
const FIRST_DIFAT_SECTOR = 0x44;
const DIFAT_SECTORS = 0x48;
const HEADER_DIFAT = 0x4c;
const HEADER_DIFAT_ENTRIES = 109;

/**
 * Why the compound file's header or allocation tables ([MS-CFB] 2.2, 2.3, 2.5) cannot be those
 * of a well-formed file, or null: a sector size other than the two allowed, more FAT, MiniFAT or
 * DIFAT sectors counted than the file holds, or a sector chain that loops back on itself. The
 * `cfb` library reads past all of these quietly (it stops at a loop, uses what is there), but
 * other readers take them at their word (word-extractor, reading the original's text for the
 * final-text check, follows a loop or sizes its tables by the counts until its heap is full),
 * so such a file is refused as damaged first.
 */
export function compoundDamage(file: Buffer): string | null {
  if (file.length < 512) return "it is shorter than its header";
  const shift = file.readUInt16LE(SECTOR_SHIFT);
  if ((shift !== 9 && shift !== 12) || file.readUInt16LE(MINI_SECTOR_SHIFT) !== 6) return "its sector sizes are not the allowed ones";
  const size = 1 << shift;
  const sectors = Math.floor((file.length - size) / size);
  for (const at of [FAT_SECTORS, MINI_FAT_SECTORS, DIFAT_SECTORS]) {
    if (file.readUInt32LE(at) > sectors) return `its header counts ${file.readUInt32LE(at)} sectors of a table in a file of ${sectors}`;
  }
  const fat = fatOf(file)!.fat;
  if (loops(fat)) return "a chain of its FAT loops";

  const miniFatSectors: Array<Buffer | null> = [];
  const seen = new Set<number>();
  for (let n = file.readUInt32LE(FIRST_MINI_FAT_SECTOR); n < fat.length && !seen.has(n); n = fat[n]!) {
    seen.add(n);
    miniFatSectors.push(sectorOf(file, size, n));
  }
  return loops(entries(miniFatSectors)) ? "a chain of its MiniFAT loops" : null;
}

/**
 * A compound file's sector size and its FAT as far as the file holds it: the FAT sectors the
 * header lists, then those of the DIFAT chain, as many as the header counts, up to the first one
 * missing. Null when the header is cut or its sector size is not one of the two allowed.
 */
export function fatOf(file: Buffer): { size: number; fat: Uint32Array } | null {
  if (file.length < 512) return null;
  const shift = file.readUInt16LE(SECTOR_SHIFT);
  if (shift !== 9 && shift !== 12) return null;
  const size = 1 << shift;
  const fatSectors: number[] = [];
  for (let i = 0; i < HEADER_DIFAT_ENTRIES; i++) fatSectors.push(file.readUInt32LE(HEADER_DIFAT + i * 4));
  let difat = file.readUInt32LE(FIRST_DIFAT_SECTOR);
  for (let i = 0; i < file.readUInt32LE(DIFAT_SECTORS); i++) {
    const s = sectorOf(file, size, difat);
    if (s == null) break;
    for (let k = 0; k < size / 4 - 1; k++) fatSectors.push(s.readUInt32LE(k * 4));
    difat = s.readUInt32LE(size - 4);
  }
  return { size, fat: entries(fatSectors.slice(0, file.readUInt32LE(FAT_SECTORS)).map((n) => sectorOf(file, size, n))) };
}

/** Sector `n`'s bytes, or null when the file does not hold it whole. */
export function sectorOf(file: Buffer, size: number, n: number): Buffer | null {
  return n >= 0 && (n + 2) * size <= file.length ? file.subarray((n + 1) * size, (n + 2) * size) : null;
}

/** The next-sector entries of an allocation table held in these sectors, up to the first one missing. */
function entries(sectors: ReadonlyArray<Buffer | null>): Uint32Array {
  const missing = sectors.indexOf(null);
  const present = (missing < 0 ? sectors : sectors.slice(0, missing)) as Buffer[];
  const out = new Uint32Array(present.reduce((n, s) => n + s.length / 4, 0));
  let i = 0;
  for (const s of present) for (let k = 0; k < s.length; k += 4) out[i++] = s.readUInt32LE(k);
  return out;
}

/** Whether following next-sector entries from any sector comes back to a sector of the same walk. */
function loops(next: Uint32Array): boolean {
  // 0: not reached yet, 1: on the walk in progress, 2: its chain is known to end.
  const state = new Uint8Array(next.length);
  const walk: number[] = [];
  for (let start = 0; start < next.length; start++) {
    let n = start;
    while (n < next.length && state[n] === 0) {
      state[n] = 1;
      walk.push(n);
      n = next[n]!;
    }
    if (n < next.length && state[n] === 1) return true;
    for (const w of walk) state[w] = 2;
    walk.length = 0;
  }
  return false;
}
