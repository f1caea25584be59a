import type { Decoded } from "./ascii-filters.js";

const CLEAR = 256;
const END = 257;
const FIRST_FREE = 258;
/** Codes are at most 12 bits wide: entries past this many can never be named. */
const MAX_CODES = 4096;

// The table, shared by every call (each runs to its end synchronously): the screen tries every
// stream's first bytes, and a table of its own for each cost more than most of those tries.
const prefix = new Int16Array(MAX_CODES);
const suffix = new Uint8Array(MAX_CODES);
const length = new Uint16Array(MAX_CODES);
const first = new Uint8Array(MAX_CODES);
for (let i = 0; i < 256; i++) {
  suffix[i] = i;
  first[i] = i;
  length[i] = 1;
}

/**
 * A PDF stream's `/LZWDecode` data decoded as ExifTool decodes it (PDF.pm's DecodeLZW), which it
 * does for any stream it reads (a metadata stream too): codes packed most significant bit first,
 * 9 bits wide and one bit wider each time the table reaches the next power of two less one (PDF's
 * "early change"), up to 12; 256 empties the table, 257 ends the data. Decoding stops at the end
 * code, at the end of `data` (where ExifTool, missing the end code, reads nothing: the screens
 * count what was decoded all the same) or after `maxBytes` (`cut`). Null where ExifTool fails: a
 * code the table does not hold yet, or fewer than 4 bytes.
 */
export function decodeLzw(data: Buffer, maxBytes: number): Decoded | null {
  if (data.length < 4) return null;
  // ExifTool reads the data as 16-bit words, a lone last byte completed with a zero.
  const bits = Math.ceil(data.length / 2) * 16;
  let out: Buffer = Buffer.allocUnsafe(Math.min(maxBytes, 4 * data.length));
  let n = 0;
  let size = FIRST_FREE;
  let width = 9;
  let last = -1;
  for (let at = 0; at + width <= bits; at += width) {
    const code = readCode(data, at, width);
    let entry = code;
    if (code === CLEAR) {
      size = FIRST_FREE;
      width = 9;
      last = -1;
      continue;
    }
    if (code === END) return { bytes: out.subarray(0, n), cut: false };
    if (code < size) {
      if (last >= 0) size = add(last, first[code]!, size);
    } else if (code === size && last >= 0) {
      size = add(last, first[last]!, size);
    } else {
      return null;
    }
    const len = length[entry]!;
    if (n + len > maxBytes) return { bytes: out.subarray(0, n), cut: true };
    if (n + len > out.length) out = grown(out, Math.min(maxBytes, Math.max(2 * out.length, n + len)), n);
    for (let i = n + len - 1; i >= n; i--) {
      out[i] = suffix[entry]!;
      entry = prefix[entry]!;
    }
    n += len;
    if (size >= (1 << width) - 1 && width < 12) width++;
    last = code;
  }
  return { bytes: out.subarray(0, n), cut: false };
}

/** Appends the entry `of` + `byte` at `at` (kept only while a code can name it); the table's new size. */
function add(of: number, byte: number, at: number): number {
  if (at < MAX_CODES) {
    prefix[at] = of;
    suffix[at] = byte;
    first[at] = first[of]!;
    length[at] = length[of]! + 1;
  }
  return at + 1;
}

/** The `width` bits at bit `at` of `data`, most significant first (zeros past its end). */
function readCode(data: Buffer, at: number, width: number): number {
  const byte = at >> 3;
  const window = ((data[byte] ?? 0) << 16) | ((data[byte + 1] ?? 0) << 8) | (data[byte + 2] ?? 0);
  return (window >> (24 - (at & 7) - width)) & ((1 << width) - 1);
}

function grown(out: Buffer, size: number, used: number): Buffer {
  const bigger = Buffer.allocUnsafe(size);
  out.copy(bigger, 0, 0, used);
  return bigger;
}
