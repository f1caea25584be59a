import fs from "node:fs/promises";
import zlib from "node:zlib";

/**
 * The top-level elements of a Matroska segment whose CRC-32 child (optional, first in the
 * element) does not match the element's other bytes: a file patched after muxing must have none.
 * Resolves to their EBML IDs in hex.
 */
export async function badMatroskaCrcs(file: string): Promise<string[]> {
  const b = await fs.readFile(file);
  const vint = (p: number, keepMarker: boolean): [value: number, length: number] => {
    const first = b[p]!;
    let len = 1;
    while (len <= 8 && (first & (0x80 >> (len - 1))) === 0) len++;
    let v = keepMarker ? first : first & ((0x80 >> (len - 1)) - 1);
    for (let i = 1; i < len; i++) v = v * 256 + b[p + i]!;
    return [v, len];
  };
  const element = (p: number): { id: number; data: number; end: number } => {
    const [id, idLength] = vint(p, true);
    const [size, sizeLength] = vint(p + idLength, false);
    const data = p + idLength + sizeLength;
    return { id, data, end: data + size };
  };
  const segment = element(element(0).end);
  const bad: string[] = [];
  for (let p = segment.data; p < Math.min(segment.end, b.length); ) {
    const { id, data, end } = element(p);
    if (b[data] === 0xbf && b[data + 1] === 0x84 && b.readUInt32LE(data + 2) !== zlib.crc32(b.subarray(data + 6, end))) bad.push(id.toString(16));
    p = end;
  }
  return bad;
}
