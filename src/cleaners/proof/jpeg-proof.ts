import type { KeepOption } from "../types.js";
import { ProofReader } from "./reader.js";
import { isOrientationOnlyExif, type ProofFailure } from "./shared.js";

const ICC_HEADER = Buffer.from("ICC_PROFILE\0", "latin1");
const EXIF_HEADER = Buffer.from("Exif\0\0", "latin1");

/**
 * Proves a cleaned JPEG holds nothing but what decoding needs, by walking it from SOI to EOI on its
 * own: every marker segment must be a coding one whose length its own fields account for byte
 * for byte (frame and scan headers, Huffman, quantisation and arithmetic tables, restart
 * interval...), or the canonical 12-byte Adobe colour transform, or what `allowed` asked to keep
 * (ICC profile segments; an EXIF block holding only the orientation). The file must end at its
 * EOI: no APPn, COM, MPF preview, trailer or slack can be there. What is left unproven is the
 * entropy-coded image data itself, which is the picture.
 *
 * Resolves to null when the proof holds, else to what broke it.
 */
export function proveJpeg(file: string, allowed: ReadonlySet<KeepOption>): Promise<ProofFailure | null> {
  return ProofReader.use(file, async (r) => {
    const soi = await r.bytes(0, 2);
    if (soi?.[0] !== 0xff || soi[1] !== 0xd8) return "no SOI";
    let pos = 2;
    for (;;) {
      if ((await r.bytes(pos, 1))?.[0] !== 0xff) return `no marker at ${pos}`;
      while ((await r.bytes(pos + 1, 1))?.[0] === 0xff) pos += 1;
      const marker = (await r.bytes(pos + 1, 1))?.[0];
      if (marker == null) return "no EOI";
      if (marker === 0xd9) return pos + 2 === r.size ? null : `${r.size - pos - 2} bytes after EOI`;
      const lengthField = await r.bytes(pos + 2, 2);
      if (lengthField == null) return "truncated segment";
      const length = lengthField.readUInt16BE(0);
      const payload = length >= 2 ? await r.bytes(pos + 4, length - 2) : null;
      if (payload == null) return `bad length of segment 0x${marker.toString(16)}`;
      const refused = checkSegment(marker, payload, allowed);
      if (refused != null) return `${refused} at ${pos}`;
      pos += 2 + length;
      if (marker === 0xda) pos = await scanEnd(r, pos);
    }
  });
}

/** Null when the segment is on the allow-list and its payload is exactly what its fields say. */
function checkSegment(marker: number, p: Buffer, allowed: ReadonlySet<KeepOption>): string | null {
  const name = `segment 0x${marker.toString(16)}`;
  const exact = (ok: boolean): string | null => (ok ? null : `${name} of ${p.length} bytes does not match its fields`);
  if (isFrameHeader(marker) || marker === 0xde || marker === 0xf7) return exact(p.length >= 6 && p.length === 6 + 3 * p[5]!);
  switch (marker) {
    case 0xc4:
      return exact(huffmanTablesFit(p));
    case 0xdb:
      return exact(quantTablesFit(p));
    case 0xcc:
      return exact(p.length > 0 && p.length % 2 === 0);
    case 0xdc:
    case 0xdd:
      return exact(p.length === 2);
    case 0xdf:
      return exact(p.length === 1);
    case 0xda:
      return exact(p.length >= 1 && p.length === 1 + 2 * p[0]! + 3);
    // JPEG-LS preset parameters (LSE): decoder input whose layout depends on its id; kept as read.
    case 0xf8:
      return null;
    case 0xee:
      return exact(p.length === 12 && p.toString("latin1", 0, 5) === "Adobe" && p.readUInt16BE(5) === 100 && p.readUInt32BE(7) === 0 && p[11]! <= 2);
    case 0xe2:
      return allowed.has("colorProfile") && p.subarray(0, ICC_HEADER.length).equals(ICC_HEADER) ? null : `${name} (APP2) not asked for`;
    case 0xe1:
      return allowed.has("orientation") && p.subarray(0, EXIF_HEADER.length).equals(EXIF_HEADER) && isOrientationOnlyExif(p.subarray(EXIF_HEADER.length))
        ? null
        : `${name} (APP1) not asked for`;
    default:
      return `${name} is not on the allow-list`;
  }
}

/** SOF0-SOF15 without DHT (C4), JPG (C8) and DAC (CC). */
function isFrameHeader(marker: number): boolean {
  return marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
}

/** DHT: tables of (class/id, 16 counts, that many symbols), filling the payload exactly. */
function huffmanTablesFit(p: Buffer): boolean {
  let i = 0;
  while (i < p.length) {
    if (i + 17 > p.length) return false;
    let symbols = 0;
    for (let k = 1; k <= 16; k++) symbols += p[i + k]!;
    i += 17 + symbols;
  }
  return p.length > 0 && i === p.length;
}

/** DQT: tables of (precision/id, 64 values of 8 or 16 bits), filling the payload exactly. */
function quantTablesFit(p: Buffer): boolean {
  let i = 0;
  while (i < p.length) i += 1 + ((p[i]! >> 4) === 0 ? 64 : 128);
  return p.length > 0 && i === p.length;
}

/** Where the entropy-coded data from `at` ends: at the first marker that is neither a stuffed 0x00 nor RSTn. */
async function scanEnd(r: ProofReader, at: number): Promise<number> {
  let pos = at;
  for (;;) {
    if (pos + 2 > r.size) return pos;
    let chunk = await r.from(pos);
    // A 0xFF is always looked at with the byte after it: a window ending on one is read anew from it.
    if (chunk.length < 2) chunk = (await r.bytes(pos, 2)) != null ? await r.from(pos) : chunk;
    let i = chunk.indexOf(0xff);
    while (i >= 0 && i + 1 < chunk.length) {
      const next = chunk[i + 1]!;
      if (next !== 0x00 && (next < 0xd0 || next > 0xd7)) return pos + i;
      i = chunk.indexOf(0xff, i + 2);
    }
    pos += i < 0 ? chunk.length : i;
  }
}
