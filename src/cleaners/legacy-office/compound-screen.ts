import { TooComplexError } from "../errors.js";
import { FileBytes } from "../file-bytes.js";

/**
 * Entries (storages and streams) in a compound file's directory before it is refused: our legacy
 * Office cleaner and ExifTool walk each (a Word document of 100,000 empty streams, 13 MB, took the
 * service 28 s and its process tree ~700 MB before a 422). A Word, Excel or PowerPoint file has
 * tens; an Outlook message a few per recipient and attachment, thousands for the largest.
 */
export const MAX_COMPOUND_ENTRIES = 20_000;

const SIGNATURE = Buffer.from("d0cf11e0a1b11ae1", "hex");
const ENTRY_SIZE = 128;
/** Sector numbers at and past this are markers (free, end of chain, FAT, DIFAT). */
const MAX_SECTOR = 0xfffffffa;

export function isCompoundHead(bytes: Buffer): boolean {
  return bytes.length >= 512 && bytes.subarray(0, 8).equals(SIGNATURE);
}

/**
 * Refuses (TooComplexError) a compound file (Word, Excel, PowerPoint, Outlook message...) whose
 * directory holds more entries than MAX_COMPOUND_ENTRIES, following the directory's sector chain
 * through the FAT. A sector outside the file, or one already read, ends the walk: damage is the
 * cleaner's to judge.
 */
export async function checkCompoundShape(file: string): Promise<void> {
  const src = await FileBytes.open(file);
  try {
    const header = Buffer.from(await src.read(0, 512));
    const shift = header.readUInt16LE(30);
    if (shift !== 9 && shift !== 12) return;
    const size = 1 << shift;
    const sectorAt = (n: number) => (n + 1) * size;
    const fatSectors = await difat(src, header, size);
    const perFat = size / 4;
    let entries = 0;
    const seen = new Set<number>();
    const scratch = Buffer.alloc(4);
    for (let sector = header.readUInt32LE(48); sector < MAX_SECTOR && !seen.has(sector); ) {
      seen.add(sector);
      const at = sectorAt(sector);
      if (at + size > src.size) return;
      const dir = await src.read(at, size);
      for (let e = 0; e < size; e += ENTRY_SIZE) if (dir[e + 66] !== 0) entries++;
      if (entries > MAX_COMPOUND_ENTRIES) throw new TooComplexError(`compound file: more than ${MAX_COMPOUND_ENTRIES} directory entries`);
      const fat = fatSectors[Math.floor(sector / perFat)];
      if (fat == null || fat >= MAX_SECTOR || sectorAt(fat) + size > src.size) return;
      // An exact read: the FAT lies apart from the directory, whose window a read here would drop.
      const next = sectorAt(fat) + (sector % perFat) * 4;
      sector = (src.peek(next, 4) ?? (await src.slice(next, 4, scratch)).bytes).readUInt32LE(0);
    }
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
