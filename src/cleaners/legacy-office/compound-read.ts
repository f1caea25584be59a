import CFB from "cfb";

const SIGNATURE = Buffer.from("d0cf11e0a1b11ae1", "hex");
const NO_STREAM = -1;
/** Directory entries past this are not mirrored (the screen refuses files of far fewer: compound-screen.ts). */
const MAX_ENTRIES = 1 << 18;

/**
 * `CFB.read` of a compound file (Word, Excel, PowerPoint 97-2003, OLE objects), once it is known
 * that the library's walks of it end in bounded memory; throws otherwise, as the library does on
 * a file it cannot read.
 *
 * Written by hand because the library (cfb 1.2.2) follows what the file says without bounds in
 * three places, growing one array as it goes. A worker thread whose heap limit such growth reached
 * aborted the whole process, not only itself (Node's resourceLimits do not hold against a single
 * growing array: nodejs/node#47224): a 10 KB Word document with a few bits flipped in its directory
 * took the service down this way (fuzz seed 1111758247, #1665). Files are now parsed in task
 * processes, where such an abort fails one request, but a walk without end is still a damaged
 * file, refused at once instead of after filling a heap. The walks mirrored here:
 * - the FAT chains from every sector (make_sector_list), which walks a chain again from each of
 *   its sectors it meets before the chain's head, keeping each walk's bytes;
 * - the chain of a stream whose first sector heads no chain (get_sector_list), with no check for
 *   a loop at all;
 * - the paths of the directory's entries (build_full_paths), whose queue grows for ever when the
 *   entries' links go round, and whose walk up an entry's parents never ends when they do.
 * Each is mirrored on the file's bytes, step for step, within a budget of steps that a
 * well-formed file stays far below.
 */
export function readCompound(bytes: Buffer): CFB.CFB$Container {
  const unbounded = unboundedWalk(bytes);
  if (unbounded != null) throw new Error(`the compound file cannot be read: ${unbounded}`);
  return CFB.read(bytes, { type: "buffer" });
}

/** Why the library's reading of `bytes` would not end in bounded memory, or null. */
function unboundedWalk(bytes: Buffer): string | null {
  // The library also reads ZIP and MIME files: no compound file is either.
  if (bytes.length < 512 || !bytes.subarray(0, 8).equals(SIGNATURE)) return "it does not start as a compound file";
  const major = bytes.readUInt16LE(26);
  // Another version the library refuses itself.
  if (major !== 3 && major !== 4) return null;
  const file = new Sectors(bytes, major === 3 ? 512 : 4096);
  if (file.endlessFat) return "its list of FAT sectors runs on past the file's sectors";
  const budget = { steps: 8 * file.count + 4096 };
  const walked = walkChains(file, bytes.readInt32LE(48), budget);
  if (walked == null) return "its sector chains run into one another";
  const { heads, directory } = walked;
  const entries: Entry[] = [];
  for (let at = 0; at + 128 <= directory.length; at += 128) {
    if (entries.length >= MAX_ENTRIES) return "its directory holds too many entries";
    const start = directory.readInt32LE(at + 116);
    const size = directory.readInt32LE(at + 120);
    const unused = size < 0 && start < 0;
    const type = unused ? 0 : directory[at + 66]!;
    entries.push({ type, links: [directory.readInt32LE(at + 68), directory.readInt32LE(at + 72), directory.readInt32LE(at + 76)] });
    if (!unused && type !== 5 && size >= 4096 && !heads.has(start) && !chainEnds(file, start, budget)) return `the sector chain of its entry ${entries.length - 1} loops`;
  }
  return fullPathsEnd(entries) ? null : "its directory's links go round";
}

/** A directory entry as the library reads it: its type, and its left, right and child links. */
interface Entry {
  type: number;
  links: [number, number, number];
}

/** The file's sectors and FAT as the library sees them. */
class Sectors {
  readonly count: number;
  /** Whether the DIFAT chain lists more FAT sectors than the file holds sectors (it goes round, or is damaged): not followed further. */
  readonly endlessFat: boolean = false;
  private readonly fatSectors: number[] = [];

  constructor(
    private readonly bytes: Buffer,
    readonly size: number,
  ) {
    this.count = Math.ceil(bytes.length / size) - 1;
    // The header's FAT sectors up to the first negative number, then those of the DIFAT chain
    // (each up to an end-of-chain mark) for as many sectors as the header counts, round and round
    // if it loops, as the library reads them: no file holds more FAT sectors than sectors.
    for (let i = 0; i < 109; i++) {
      const n = bytes.readInt32LE(76 + 4 * i);
      if (n < 0) break;
      this.fatSectors.push(n);
    }
    for (let difat = bytes.readInt32LE(68), left = bytes.readInt32LE(72); this.has(difat); left--) {
      const at = (difat + 1) * size;
      for (let i = 0; i < size / 4 - 1; i++) {
        const n = this.int32(at + 4 * i);
        if (n === -2) break;
        if (this.fatSectors.length > this.count + 109) {
          this.endlessFat = true;
          return;
        }
        this.fatSectors.push(n);
      }
      if (left < 1) break;
      difat = this.int32(at + size - 4);
    }
  }

  has(n: number): boolean {
    return n >= 0 && n < this.count;
  }

  /** The sector after `n` in its chain, or null where the library stops (a negative number, no FAT sector for `n`). */
  next(n: number): number | null {
    const fat = this.fatSectors[Math.floor((n * 4) / this.size)];
    if (fat == null || !this.has(fat)) return null;
    const next = this.int32((fat + 1) * this.size + ((n * 4) & (this.size - 1)));
    return next < 0 ? null : next;
  }

  /** The library's little-endian read, which takes a byte past the file's end as 0. */
  int32(at: number): number {
    return ((this.bytes[at + 3] ?? 0) << 24) | ((this.bytes[at + 2] ?? 0) << 16) | ((this.bytes[at + 1] ?? 0) << 8) | (this.bytes[at] ?? 0);
  }

  sector(n: number): Buffer {
    return this.bytes.subarray((n + 1) * this.size, (n + 2) * this.size);
  }
}

/**
 * The library's walk of the chains from every sector, in its order (from the directory's first
 * sector round the file): the sectors that head a walk, and the directory's bytes; null past the
 * budget (each walk keeps its bytes, so chains walked again and again cost memory too).
 */
function walkChains(file: Sectors, dirStart: number, budget: { steps: number }): { heads: Set<number>; directory: Buffer } | null {
  const checked = new Set<number>();
  const heads = new Set<number>();
  let directory: number[] = [];
  for (let i = 0; i < file.count; i++) {
    const k = i + dirStart >= file.count ? i + dirStart - file.count : i + dirStart;
    if (checked.has(k)) continue;
    heads.add(k);
    const seen = new Set<number>();
    for (let j: number | null = k; j != null && j >= 0 && !seen.has(j); j = file.next(j)) {
      if (--budget.steps < 0) return null;
      seen.add(j);
      checked.add(j);
    }
    if (k === dirStart) directory = [...seen];
  }
  return { heads, directory: Buffer.concat(directory.filter((n) => file.has(n)).map((n) => file.sector(n))) };
}

/** Whether the chain from `start`, which the library follows with no check for a loop, ends within the budget. */
function chainEnds(file: Sectors, start: number, budget: { steps: number }): boolean {
  const seen = new Set<number>();
  for (let j: number | null = start; j != null && j >= 0; j = file.next(j)) {
    if (seen.has(j) || --budget.steps < 0) return false;
    seen.add(j);
  }
  return true;
}

/**
 * The library's build_full_paths on these entries: whether its queue stays within a budget and
 * each entry's walk up its parents ends. The queue naming an entry the directory does not hold
 * makes the library throw, which ends it too.
 */
function fullPathsEnd(entries: readonly Entry[]): boolean {
  const n = entries.length;
  const dad = new Map<number, number | undefined>();
  const dadOf = (i: number | undefined): number | undefined => (i === undefined ? undefined : dad.has(i) ? dad.get(i) : i >= 0 && i < n ? i : undefined);
  const queue: number[] = [];
  const lastAt = new Map<number, number>();
  const enqueue = (i: number): void => {
    lastAt.set(i, queue.length);
    queue.push(i);
  };
  for (let i = 0; i < n; i++) enqueue(i);
  const budget = 4 * n + 4096;
  let [L, R] = [NO_STREAM, NO_STREAM];
  for (let j = 0; j < queue.length; j++) {
    if (queue.length > budget) return false;
    const i = queue[j]!;
    if (i < 0 || i >= n) return true;
    const [left, right, child] = entries[i]!.links;
    [L, R] = [left, right];
    if (dadOf(i) === i) {
      if (L !== NO_STREAM && dadOf(L) !== L) dad.set(i, dadOf(L));
      if (R !== NO_STREAM && dadOf(R) !== R) dad.set(i, dadOf(R));
    }
    if (child !== NO_STREAM) dad.set(child, i);
    for (const sibling of [L, R]) {
      if (sibling === NO_STREAM || i === dadOf(i)) continue;
      dad.set(sibling, dadOf(i));
      if ((lastAt.get(sibling) ?? -1) < j) enqueue(sibling);
    }
  }
  // The library's second pass reads the left and right links the first one ended with.
  for (let i = 1; i < n; i++) {
    if (dadOf(i) !== i) continue;
    if (R !== NO_STREAM && dadOf(R) !== R) dad.set(i, dadOf(R));
    else if (L !== NO_STREAM && dadOf(L) !== L) dad.set(i, dadOf(L));
  }
  for (let i = 1; i < n; i++) {
    if (entries[i]!.type === 0 || dadOf(i) === i) continue;
    let j: number | undefined = i;
    for (let steps = 0; j !== undefined && j !== 0 && dadOf(j) !== -1 && j !== dadOf(j); steps++) {
      if (steps > n + dad.size) return false;
      j = dadOf(j);
    }
  }
  return true;
}
