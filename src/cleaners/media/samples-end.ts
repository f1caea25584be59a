import { TooComplexError } from "../errors.js";
import type { FileBytes } from "../file-bytes.js";

/**
 * How far before the end of the form chunks after the samples are looked for: tags that tools
 * append (`id3 ` with its pictures, `LIST`, `bext`, `iXML`, `_PMX`) are far smaller.
 */
const TAIL = 64 * 1024 * 1024;
/**
 * Places that hold a chunk header whose length lands inside the form. Real samples hold a few
 * thousand in the tail; bytes built to chain (`AAAA` and a zero length, repeated) one every 8.
 */
const MAX_LINKS = 1_000_000;

/**
 * Where the samples of a WAV's `data` chunk or an AIFF's `SSND` starting at `at` end when it claims
 * more bytes than the form holds (`end`). A recorder that never finished its file leaves such a
 * length, and then the samples do run to the end. But a tool that appended chunks without fixing
 * the length, or damage to it, leaves chunks after the samples (an ID3 tag, a `LIST` or `NAME` of
 * names) that the claimed length would copy into the clean file as samples. So the samples end at
 * the first place of the tail, on the chunks' two-byte grid, from which a chain of chunks
 * (printable ids, lengths that fit, in the form's byte order) ends exactly where the form does;
 * with none, at `end`. By hand: no RIFF or IFF library recovers such a file. One pass over the
 * tail notes each header's next place; the chains are then resolved from the end backwards, so
 * no place is walked twice.
 */
export async function samplesEnd(src: FileBytes, at: number, end: number, bigEndian: boolean): Promise<number> {
  const start = at + 2 * Math.ceil(Math.max(0, end - TAIL - at) / 2);
  const places: number[] = [];
  const nexts: number[] = [];
  for (let p = start; p + 8 <= end; ) {
    const window = await src.from(p, 8);
    const last = Math.min(window.length, end - p) - 8;
    if (last < 0) break;
    let i = 0;
    for (; i <= last; i += 2) {
      if (!isChunkId(window, i)) continue;
      const size = bigEndian ? window.readUInt32BE(i + 4) : window.readUInt32LE(i + 4);
      const next = p + i + 8 + size;
      // The pad byte of an odd last chunk is often missing.
      if (next === end || next + (size % 2) === end) {
        places.push(p + i);
        nexts.push(end);
      } else if (next + (size % 2) + 8 <= end) {
        places.push(p + i);
        nexts.push(next + (size % 2));
      }
      if (places.length > MAX_LINKS) throw new TooComplexError("the bytes after the samples hold too many chunk headers");
    }
    p += i;
  }
  const chained = new Set<number>([end]);
  let first = end;
  for (let k = places.length - 1; k >= 0; k--) {
    if (!chained.has(nexts[k]!)) continue;
    chained.add(places[k]!);
    first = places[k]!;
  }
  return first;
}

/** Four printable ASCII bytes, the first not a space: `LIST`, `id3 `, `_PMX`, `NAME`. */
function isChunkId(b: Buffer, i: number): boolean {
  const c0 = b[i]!;
  if (c0 <= 0x20 || c0 > 0x7e) return false;
  for (let k = 1; k < 4; k++) {
    const c = b[i + k]!;
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}
