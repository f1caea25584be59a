import fsp, { type FileHandle } from "node:fs/promises";

/** Bytes of a file at a position: one piece of a stream's data as a container laid it out. */
export interface Piece {
  at: number;
  bytes: Buffer;
}

/** One same-length replacement: every occurrence of `from` becomes `to`. */
export interface Patch {
  from: Buffer;
  to: Buffer;
}

/**
 * Replacements found by where they start rather than listed one by one (a GOP header on every
 * second of a video, each with its own time code): at each occurrence of `prefix`, `patchAt` is
 * given the joined bytes from there (up to `maxLength` of them, fewer at the end) and returns the
 * patch for the bytes there, or null to leave them.
 */
export interface Rule {
  prefix: Buffer;
  maxLength: number;
  patchAt(bytes: Buffer): Patch | null;
}

/** The pieces a container splits one stream's data into, in order, read a chunk at a time. */
export type PieceSource = (fh: FileHandle) => AsyncIterable<readonly Piece[]>;

/** Bytes of the joined pieces scanned at a time (plus the longest patch, carried over). */
const WINDOW = 4 * 1024 * 1024;

/** A piece's place in the window: `pos` in the joined bytes, `at` in the file. */
interface Segment {
  pos: number;
  at: number;
  len: number;
}

/**
 * Replaces every occurrence of each patch's `from` by its same-length `to`, and what each rule
 * finds by its patch, in the data that `source` reads as pieces of the file: matches are found in
 * the pieces joined together, so one that a container cut over two of its packets is found and
 * written back piece by piece. Nothing moves, so the container's packet layout and indexes stay
 * valid. Resolves to the number of replacements made.
 */
export async function patchPieces(file: string, source: PieceSource, patches: readonly Patch[], rules: readonly Rule[] = []): Promise<number> {
  if (patches.length === 0 && rules.length === 0) return 0;
  const longest = Math.max(...patches.map((p) => p.from.length), ...rules.map((r) => r.maxLength));
  const index = patches.length > 0 ? indexPatches(patches) : { prefixes: [], at: () => null };
  const matchers: Array<{ prefix: Buffer; at: (window: Buffer, pos: number) => Patch | null }> = [
    ...index.prefixes.map((prefix) => ({ prefix, at: index.at })),
    ...rules.map((r) => ({ prefix: r.prefix, at: (window: Buffer, pos: number) => r.patchAt(window.subarray(pos, pos + r.maxLength)) })),
  ];
  const fh = await fsp.open(file, "r+");
  let window = Buffer.alloc(0);
  let segments: Segment[] = [];
  let pending: Piece[] = [];
  let pendingBytes = 0;
  let count = 0;

  const scan = async (final: boolean): Promise<void> => {
    window = Buffer.concat([window, ...pending.map((p) => p.bytes)]);
    let pos = segments.length > 0 ? segments[segments.length - 1]!.pos + segments[segments.length - 1]!.len : 0;
    for (const p of pending) {
      segments.push({ pos, at: p.at, len: p.bytes.length });
      pos += p.bytes.length;
    }
    pending = [];
    pendingBytes = 0;
    // A match starting in the last longest-1 bytes may run on into pieces not read yet: it is
    // the next window's to patch.
    const limit = final ? window.length : Math.max(0, window.length - (longest - 1));
    const changed: Array<{ from: number; to: number }> = [];
    for (const { prefix, at: patchAt } of matchers) {
      for (let at = window.indexOf(prefix); at >= 0 && at < limit; ) {
        const patch = patchAt(window, at);
        if (patch == null) {
          at = window.indexOf(prefix, at + 1);
          continue;
        }
        patch.to.copy(window, at);
        changed.push({ from: at, to: at + patch.to.length });
        count++;
        at = window.indexOf(prefix, at + patch.from.length);
      }
    }
    // Written back once per run of changed bytes, not once per patch: a stream can hold a unit
    // every few bytes, and a write each made a 8 MB file's patch take half a minute.
    for (const run of mergeRuns(changed)) await writeAcross(fh, segments, run.from, window.subarray(run.from, run.to));
    window = Buffer.from(window.subarray(limit));
    segments = segments
      .filter((s) => s.pos + s.len > limit)
      .map((s) => (s.pos >= limit ? { ...s, pos: s.pos - limit } : { pos: 0, at: s.at + (limit - s.pos), len: s.len - (limit - s.pos) }));
  };

  try {
    for await (const chunk of source(fh)) {
      for (const piece of chunk) {
        if (piece.bytes.length === 0) continue;
        pending.push(piece);
        pendingBytes += piece.bytes.length;
      }
      if (pendingBytes >= WINDOW) await scan(false);
    }
    await scan(true);
  } finally {
    await fh.close();
  }
  return count;
}

/** Distinct prefixes looked for at most: each is one native search over the window. */
const MAX_PREFIXES = 8;

/**
 * The patches arranged for one pass over the data whatever their number (a camera can write a
 * different SEI unit on every frame, tens of thousands in a file): the window is searched for a
 * few short prefixes they share, and at each hit the bytes there are looked up by length and
 * content. Prefixes are as long as possible (up to 8 bytes) while there are few of them.
 */
function indexPatches(patches: readonly Patch[]): { prefixes: Buffer[]; at: (window: Buffer, pos: number) => Patch | null } {
  const shortest = Math.min(...patches.map((p) => p.from.length));
  let size = Math.min(8, shortest);
  while (size > 1 && new Set(patches.map((p) => p.from.toString("hex", 0, size))).size > MAX_PREFIXES) size--;
  const byPrefix = new Map<string, Map<number, Map<string, Patch>>>();
  for (const p of patches) {
    const key = p.from.toString("hex", 0, size);
    const byLength = byPrefix.get(key) ?? new Map<number, Map<string, Patch>>();
    byPrefix.set(key, byLength);
    const same = byLength.get(p.from.length) ?? new Map<string, Patch>();
    byLength.set(p.from.length, same);
    same.set(p.from.toString("hex"), p);
  }
  return {
    prefixes: [...byPrefix.keys()].map((k) => Buffer.from(k, "hex")),
    at(window, pos) {
      for (const [length, same] of byPrefix.get(window.toString("hex", pos, pos + size)) ?? []) {
        if (pos + length > window.length) continue;
        const patch = same.get(window.toString("hex", pos, pos + length));
        if (patch != null) return patch;
      }
      return null;
    },
  };
}

/** The ranges `runs` cover, in order, those that overlap or touch joined. */
function mergeRuns(runs: Array<{ from: number; to: number }>): Array<{ from: number; to: number }> {
  const merged: Array<{ from: number; to: number }> = [];
  for (const run of runs.sort((a, b) => a.from - b.from)) {
    const last = merged[merged.length - 1];
    if (last != null && run.from <= last.to) last.to = Math.max(last.to, run.to);
    else merged.push({ ...run });
  }
  return merged;
}

/** Writes `bytes` at position `pos` of the joined pieces, each part into its own piece's place. */
async function writeAcross(fh: FileHandle, segments: readonly Segment[], pos: number, bytes: Buffer): Promise<void> {
  let lo = 0;
  let hi = segments.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (segments[mid]!.pos + segments[mid]!.len <= pos) lo = mid + 1;
    else hi = mid;
  }
  let done = 0;
  for (let k = lo; done < bytes.length; k++) {
    const s = segments[k];
    if (s == null) throw new Error("a patch runs past the pieces read");
    const offset = pos + done - s.pos;
    const n = Math.min(s.len - offset, bytes.length - done);
    await fh.write(bytes, done, n, s.at + offset);
    done += n;
  }
}

const CHUNK = 4 * 1024 * 1024;

/** The whole file as one stream of bytes: for containers that keep each sample in one piece. */
export const wholeFile: PieceSource = async function* (fh) {
  const { size } = await fh.stat();
  for (let at = 0; at < size; at += CHUNK) {
    const buf = Buffer.alloc(Math.min(CHUNK, size - at));
    const { bytesRead } = await fh.read(buf, 0, buf.length, at);
    yield [{ at, bytes: buf.subarray(0, bytesRead) }];
  }
};

/** Replaces every occurrence of each `from` by its same-length `to` anywhere in a file. */
export function patchInPlace(file: string, patches: readonly Patch[]): Promise<number> {
  return patchPieces(file, wholeFile, patches);
}
