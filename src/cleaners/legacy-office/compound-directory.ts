import { FileBytes } from "../file-bytes.js";

const SIGNATURE = Buffer.from("d0cf11e0a1b11ae1", "hex");
/** [MS-CFB] 2.6.1: a directory entry's size, and where its fields sit. */
export const ENTRY_SIZE = 128;
export const NAME_LENGTH = 64;
export const OBJECT_TYPE = 66;
const LEFT_SIBLING = 68;
const RIGHT_SIBLING = 72;
const CHILD = 76;
/** Sector numbers (and stream ids) at and past this are markers (free, end of chain, FAT, DIFAT; no stream). */
export const MAX_SECTOR = 0xfffffffa;

export function isCompoundHead(bytes: Buffer): boolean {
  return bytes.length >= 512 && bytes.subarray(0, 8).equals(SIGNATURE);
}

/**
 * The sectors of a compound file's directory in order, following its chain through the FAT. A
 * sector outside the file, one already read, or a FAT sector missing ends the walk, which `walk`
 * then records as broken: damage is the cleaner's to judge. None when the header's sector size is
 * not one of the two allowed.
 */
export async function* directorySectors(src: FileBytes, walk: { broken: boolean } = { broken: false }): AsyncGenerator<Buffer> {
  const header = Buffer.from(await src.read(0, 512));
  const shift = header.readUInt16LE(30);
  if (shift !== 9 && shift !== 12) {
    walk.broken = true;
    return;
  }
  const size = 1 << shift;
  const sectorAt = (n: number) => (n + 1) * size;
  const fatSectors = await difat(src, header, size);
  const perFat = size / 4;
  const seen = new Set<number>();
  const scratch = Buffer.alloc(4);
  for (let sector = header.readUInt32LE(48); sector < MAX_SECTOR; ) {
    const at = sectorAt(sector);
    const fat = fatSectors[Math.floor(sector / perFat)];
    if (seen.has(sector) || at + size > src.size) {
      walk.broken = true;
      return;
    }
    seen.add(sector);
    yield await src.read(at, size);
    if (fat == null || fat >= MAX_SECTOR || sectorAt(fat) + size > src.size) {
      walk.broken = true;
      return;
    }
    // An exact read: the FAT lies apart from the directory, whose window a read here would drop.
    const next = sectorAt(fat) + (sector % perFat) * 4;
    sector = (src.peek(next, 4) ?? (await src.slice(next, 4, scratch)).bytes).readUInt32LE(0);
  }
}

/**
 * The names of the streams and storages right inside a compound file's root storage ("WordDocument",
 * "Workbook", "EncryptedPackage"...), walking the root's tree of children ([MS-CFB] 2.6.4) from its
 * directory; at most `maxEntries` directory entries are read. `broken`: the directory could not be
 * read through (a file cut short, most often: Word writes its directory last, or within its
 * header), has no root entry, or links one of the root's entries to an entry it does not hold. Null
 * when the file does not start as a compound file.
 */
export async function compoundRootNames(file: string, maxEntries: number): Promise<{ names: string[]; broken: boolean } | null> {
  const src = await FileBytes.open(file);
  try {
    const head = Buffer.from(await src.read(0, Math.min(src.size, 512)));
    if (!head.subarray(0, 8).equals(SIGNATURE)) return null;
    if (!isCompoundHead(head)) return { names: [], broken: true };
    const entries: Buffer[] = [];
    const walk = { broken: false };
    for await (const sector of directorySectors(src, walk)) {
      // A copy: the sector is a view of a window of the file that would stay in memory with it.
      const own = Buffer.from(sector);
      for (let e = 0; e + ENTRY_SIZE <= own.length && entries.length < maxEntries; e += ENTRY_SIZE) entries.push(own.subarray(e, e + ENTRY_SIZE));
      if (entries.length >= maxEntries) break;
    }
    const root = entries[0];
    if (root == null) return { names: [], broken: true };
    const names: string[] = [];
    const seen = new Set<number>();
    const pending = [root.readUInt32LE(CHILD)];
    // A link to an entry the directory, read whole, does not hold (or holds unused) cuts off what hangs from it.
    let missing = false;
    while (pending.length > 0) {
      const id = pending.pop()!;
      if (id >= MAX_SECTOR || seen.has(id)) continue;
      const entry = entries[id];
      if (entry == null || entry[OBJECT_TYPE] === 0) {
        missing ||= entries.length < maxEntries;
        continue;
      }
      seen.add(id);
      const length = Math.min(entry.readUInt16LE(NAME_LENGTH), NAME_LENGTH);
      if (length >= 2) names.push(entry.toString("utf16le", 0, length - 2));
      pending.push(entry.readUInt32LE(LEFT_SIBLING), entry.readUInt32LE(RIGHT_SIBLING));
    }
    return { names, broken: walk.broken || missing };
  } finally {
    await src.close();
  }
}

/** The FAT's sectors: the header's first 109, then those of the DIFAT chain (loops, damage and the file's end end it). */
async function difat(src: FileBytes, header: Buffer, size: number): Promise<number[]> {
  const sectors: number[] = [];
  for (let i = 0; i < 109; i++) sectors.push(header.readUInt32LE(76 + i * 4));
  const seen = new Set<number>();
  // No more than the file's sectors need: a hostile chain would otherwise fill memory.
  for (let sector = header.readUInt32LE(68); sector < MAX_SECTOR && !seen.has(sector) && sectors.length * (size / 4) < src.size / size; ) {
    seen.add(sector);
    const at = (sector + 1) * size;
    if (at + size > src.size) break;
    const block = Buffer.from(await src.read(at, size));
    for (let i = 0; i < size / 4 - 1; i++) sectors.push(block.readUInt32LE(i * 4));
    sector = block.readUInt32LE(size - 4);
  }
  return sectors;
}
