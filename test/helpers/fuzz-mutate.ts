/**
 * Seeded mutations of valid files, the kinds that break parsers: flipped bits, cut ends, length
 * fields that lie, and garbage behind a valid magic number. Same seed, same bytes.
 */

/** mulberry32: small, fast, and the same sequence on every machine for a given seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export type Random = () => number;
const int = (rnd: Random, n: number): number => Math.floor(rnd() * n);

export const MUTATIONS = ["bitflip", "truncate", "length-lie", "garbage-after-magic", "splice", "zero-run"] as const;
export type Mutation = (typeof MUTATIONS)[number];

/** Lengths that make parsers allocate, loop or read past the end. */
const LIES = [0, 1, 0x7f, 0x80, 0xff, 0xffff, 0x7fffffff, 0xffffffff, 0xfffffff0];

export function mutate(bytes: Buffer, kind: Mutation, rnd: Random): Buffer {
  const out = Buffer.from(bytes);
  switch (kind) {
    case "bitflip": {
      const flips = 1 + int(rnd, 32);
      for (let i = 0; i < flips; i++) {
        const at = int(rnd, out.length);
        out[at] = out[at]! ^ (1 << int(rnd, 8));
      }
      return out;
    }
    case "truncate":
      return out.subarray(0, 1 + int(rnd, out.length - 1));
    case "length-lie": {
      // Any 4-byte field could be a length (PNG chunks, TIFF counts, MP4 boxes, ZIP sizes...):
      // overwrite a few, both byte orders, with values parsers trust at their peril.
      const lies = 1 + int(rnd, 4);
      for (let i = 0; i < lies && out.length > 8; i++) {
        const at = int(rnd, out.length - 4);
        const v = LIES[int(rnd, LIES.length)]!;
        if (rnd() < 0.5) out.writeUInt32BE(v >>> 0, at);
        else out.writeUInt32LE(v >>> 0, at);
      }
      return out;
    }
    case "garbage-after-magic": {
      const keep = Math.min(out.length, 4 + int(rnd, 28));
      const garbage = Buffer.alloc(int(rnd, 64 * 1024));
      for (let i = 0; i < garbage.length; i++) garbage[i] = int(rnd, 256);
      return Buffer.concat([out.subarray(0, keep), garbage]);
    }
    case "splice": {
      // A slice of the file copied elsewhere in it: repeated headers, chunks inside chunks.
      const from = int(rnd, out.length);
      const len = Math.min(out.length - from, 1 + int(rnd, 4096));
      const to = int(rnd, out.length);
      return Buffer.concat([out.subarray(0, to), out.subarray(from, from + len), out.subarray(to)]);
    }
    case "zero-run": {
      const at = int(rnd, out.length);
      out.fill(rnd() < 0.5 ? 0 : 0xff, at, Math.min(out.length, at + 1 + int(rnd, 512)));
      return out;
    }
  }
}
