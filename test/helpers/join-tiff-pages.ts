import fs from "node:fs/promises";

/** Fields whose values are offsets into the file: strips, tiles, an old-style JPEG's stream and tables. */
const OFFSET_FIELDS = new Set([273, 324, 513, 519, 520, 521]);

/** Bytes of one value by field type (TIFF 6.0: SHORT, LONG, RATIONAL and their signed kinds, FLOAT, DOUBLE, IFD). */
const TYPE_WIDTH: Readonly<Record<number, number>> = { 3: 2, 8: 2, 4: 4, 9: 4, 11: 4, 13: 4, 5: 8, 10: 8, 12: 8 };

/**
 * Little-endian classic TIFFs of one directory each, as one file whose directory chain holds them
 * in order: each later file is appended at an even offset, its offsets moved by that much (no tool
 * here writes an old-style JPEG TIFF of several pages: its writers were 1990s scanner software).
 */
export async function joinTiffPages(out: string, files: readonly string[]): Promise<void> {
  const parts: Buffer[] = [];
  let size = 0;
  let lastNext = -1;
  for (const file of files) {
    const bytes = Buffer.from(await fs.readFile(file));
    const base = size;
    const ifd = bytes.readUInt32LE(4);
    const count = bytes.readUInt16LE(ifd);
    for (let i = 0; i < count; i++) {
      const e = ifd + 2 + i * 12;
      const [tag, type, n] = [bytes.readUInt16LE(e), bytes.readUInt16LE(e + 2), bytes.readUInt32LE(e + 4)];
      const width = TYPE_WIDTH[type] ?? 1;
      const inline = n * width <= 4;
      if (!inline) bytes.writeUInt32LE(bytes.readUInt32LE(e + 8) + base, e + 8);
      if (OFFSET_FIELDS.has(tag) && type === 4) {
        const at = inline ? e + 8 : bytes.readUInt32LE(e + 8) - base;
        for (let k = 0; k < n; k++) bytes.writeUInt32LE(bytes.readUInt32LE(at + 4 * k) + base, at + 4 * k);
      }
    }
    if (lastNext >= 0) parts[parts.length - 1]!.writeUInt32LE(base + ifd, lastNext);
    else bytes.writeUInt32LE(ifd, 4);
    lastNext = ifd + 2 + count * 12;
    const padded = bytes.length % 2 === 0 ? bytes : Buffer.concat([bytes, Buffer.alloc(1)]);
    parts.push(padded);
    size += padded.length;
  }
  await fs.writeFile(out, Buffer.concat(parts));
}
