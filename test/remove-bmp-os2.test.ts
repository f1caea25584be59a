import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findMarker } from "./helpers/marker-scan.js";
import { cleanedCopyViaApi } from "./helpers/remove-api.js";
import { startServer, type RunningServer } from "./helpers/server.js";
import { CONVERT, pixelSignature, run } from "./helpers/tools.js";

/*
 * OS/2 bitmaps: a 1.x header (12 bytes, 16-bit width and height; ImageMagick's BMP2) was read as
 * Windows' 40-byte one, so every such file was "damaged" (bmpsuite's pal8os2.bmp, metadata-extractor's
 * QC.BMP); a 2.x header's compression 3 is Huffman 1D of a stated size, which was taken for
 * Windows' bit fields and the data cut to plain rows' size (bmpsuite's pal1huff.bmp came back
 * with half its bytes).
 */

const MARKER = "Os2BitmapMark_5521";

let server: RunningServer;
let dir: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "bmp-os2-"));
  server = await startServer();
});

afterAll(async () => {
  await server?.stop();
  if (dir != null) await fs.rm(dir, { recursive: true, force: true });
});

describe("OS/2 bitmaps", () => {
  it("a 1.x header (BMP2) is read: bytes after the pixels go, the pixels stay", async () => {
    const file = path.join(dir, "core.bmp");
    await run(CONVERT, ["-size", "41x30", "gradient:red-blue", "-type", "palette", `BMP2:${file}`]);
    const bmp = await fs.readFile(file);
    expect(bmp.readUInt32LE(14)).toBe(12);
    const before = await pixelSignature(file);
    await fs.writeFile(file, Buffer.concat([bmp, Buffer.from(MARKER, "latin1")]));
    const { out } = await cleanedCopyViaApi(server, file, dir);
    expect(await findMarker(out, MARKER)).toEqual([]);
    expect((await fs.readFile(out)).length).toBe(bmp.length);
    expect(await pixelSignature(out)).toBe(before);
  });

  it("a 2.x header's Huffman-compressed pixels (compression 3) are kept whole, their stated size", async () => {
    const file = path.join(dir, "huffman.bmp");
    const pixels = Buffer.alloc(600, 0x5a);
    const header = Buffer.alloc(14 + 64 + 8);
    header.write("BM", 0, "latin1");
    header.writeUInt32LE(header.length + pixels.length, 2);
    header.writeUInt32LE(header.length, 10);
    header.writeUInt32LE(64, 14);
    header.writeInt32LE(64, 18); // width
    header.writeInt32LE(64, 22); // height: 64 plain 1-bit rows would be 512 bytes
    header.writeUInt16LE(1, 26);
    header.writeUInt16LE(1, 28);
    header.writeUInt32LE(3, 30); // Huffman 1D
    header.writeUInt32LE(pixels.length, 34);
    header.writeUInt32LE(2, 14 + 32); // colours used
    header.writeUInt32LE(0xffffff, 14 + 64 + 4); // palette: black, white
    const original = Buffer.concat([header, pixels]);
    await fs.writeFile(file, Buffer.concat([original, Buffer.from(MARKER, "latin1")]));
    const { out } = await cleanedCopyViaApi(server, file, dir);
    expect(await findMarker(out, MARKER)).toEqual([]);
    expect((await fs.readFile(out)).equals(original)).toBe(true);
  });
});
