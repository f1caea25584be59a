/** What a decoding made of some bytes: at most the bytes asked for (`cut` where it stopped there). */
export interface Decoded {
  bytes: Buffer;
  cut: boolean;
}

/** Perl's `\s` on bytes: where ExifTool's ASCII85 decoding skips a byte. */
const isSpace = (c: number): boolean => c === 0x20 || (c >= 0x09 && c <= 0x0d);

/**
 * `/ASCII85Decode` data decoded as ExifTool decodes it (PDF.pm's DecodeStream): groups of five
 * characters from `!` to `u` give four bytes, `z` four zeros, `~` ends the data (a last group of
 * fewer characters padded with zeros, where the standard pads with `u`), white space is skipped,
 * and any other character ends the decoding with what it gave so far.
 */
export function decodeAscii85(data: Buffer, maxBytes: number): Decoded {
  const out = Buffer.allocUnsafe(Math.min(maxBytes, 4 * data.length));
  let n = 0;
  let count = 0;
  let value = 0;
  for (const c of data) {
    if (c >= 0x21 && c <= 0x75) {
      value = value * 85 + (c - 33);
      if (++count < 5) continue;
    } else if (c === 0x7e) {
      for (let i = count; i < 5; i++) value *= 85;
    } else if (c === 0x7a && count === 0) {
      count = 5;
    } else if (isSpace(c)) {
      continue;
    } else {
      break;
    }
    // Perl packs the group's value as 32 bits and writes as many bytes as it had characters, less one.
    const word = value >>> 0;
    for (let i = 0; i < count - 1; i++) {
      if (n === maxBytes) return { bytes: out.subarray(0, n), cut: true };
      out[n++] = (word >>> (24 - 8 * i)) & 0xff;
    }
    if (c === 0x7e) break;
    count = 0;
    value = 0;
  }
  return { bytes: out.subarray(0, n), cut: false };
}

/**
 * `/ASCIIHexDecode` data decoded as ExifTool 13 decodes it, which is not as the standard does:
 * it cuts the line at its first `>`, then deletes every letter and digit (meaning to keep only
 * them) and packs what is left two characters to a byte, each character giving its low four bits.
 * Real hex data so comes out empty; bytes written as punctuation come out as any bytes, an XMP
 * packet too (ExifTool then reads it).
 */
export function decodeExifToolHex(data: Buffer, maxBytes: number): Decoded {
  const gt = data.indexOf(0x3e);
  const eol = gt < 0 ? -1 : data.indexOf(0x0a, gt);
  const out = Buffer.allocUnsafe(Math.min(maxBytes, Math.ceil(data.length / 2)));
  let n = 0;
  let high = -1;
  for (let at = 0; at < data.length; at++) {
    if (gt >= 0 && at >= gt && (eol < 0 || at < eol)) continue;
    const c = data[at]!;
    if ((c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a)) continue;
    if (high < 0) {
      high = c & 0x0f;
      continue;
    }
    if (n === maxBytes) return { bytes: out.subarray(0, n), cut: true };
    out[n++] = (high << 4) | (c & 0x0f);
    high = -1;
  }
  if (high >= 0) {
    if (n === maxBytes) return { bytes: out.subarray(0, n), cut: true };
    out[n++] = high << 4;
  }
  return { bytes: out.subarray(0, n), cut: false };
}
