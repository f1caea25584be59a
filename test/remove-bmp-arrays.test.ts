import crypto from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bitmapArray, drawnBitmap, iconMask, os2InfoHeader, type Os2Bitmap, type Placed } from "./helpers/make-bitmaps.js";
import { findMarker } from "./helpers/marker-scan.js";
import { expectQuickRefusal } from "./helpers/quick-refusal.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { startServer, type RunningServer } from "./helpers/server.js";
import { CONVERT, run } from "./helpers/tools.js";

/*
 * OS/2 bitmap arrays ("BA": metadata-extractor-images' .ICO files and MEMSIZE.BMP, SPADE.BMP) and
 * lone OS/2 icons ("CI") were refused as an unknown type: ExifTool knows only "BM" bitmaps.
 */

const MARKER = `Os2ArrayMark${crypto.randomBytes(6).toString("hex")}`;
/** Four bytes for the four-byte places (reserved fields, a plain bitmap's hot spot). */
const SHORT = Buffer.from("Qz7#", "latin1");

let server: RunningServer;
let dir: string;
let entries: Os2Bitmap[][];

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-bmp-arrays-"));
  server = await startServer();
  const trueColour = await drawnBitmap(path.join(dir, "a.bmp"), "BMP3", "23x17", "TrueColor");
  const os2Palette = os2InfoHeader(await drawnBitmap(path.join(dir, "b.bmp"), "BMP3", "19x11", "Palette"), SHORT);
  const icon = { ...(await drawnBitmap(path.join(dir, "c.bmp"), "BMP2", "16x16", "Palette")), type: "CI" as const };
  entries = [[trueColour], [os2Palette], [iconMask(16), icon]];
});

afterAll(async () => {
  await server?.stop();
  if (dir != null) await fs.rm(dir, { recursive: true, force: true });
});

/**
 * ImageMagick's signature of each bitmap of the file, every one taken out as a plain BMP of its own
 * from the file header the builder put at `p.headerAt` (ImageMagick 6 reads only an array's first
 * bitmap): its info header and palette, and the pixels its own offset field points to.
 */
async function signatures(bytes: Buffer, placed: readonly Placed[]): Promise<string[]> {
  const found: string[] = [];
  for (const p of placed) {
    const infoAndPalette = bytes.subarray(p.headerAt + 14, p.headerEnd);
    const pixelsAt = bytes.readUInt32LE(p.headerAt + 10);
    const header = Buffer.alloc(14);
    header.write("BM", 0, "latin1");
    header.writeUInt32LE(14 + infoAndPalette.length + p.pixelsEnd - p.pixelsAt, 2);
    header.writeUInt32LE(14 + infoAndPalette.length, 10);
    const file = path.join(dir, `one-${crypto.randomUUID()}.bmp`);
    await fs.writeFile(file, Buffer.concat([header, infoAndPalette, bytes.subarray(pixelsAt, pixelsAt + p.pixelsEnd - p.pixelsAt)]));
    const { stdout } = await run(CONVERT, [`bmp:${file}`, "-format", "%#", "info:"]);
    found.push(stdout.toString("utf8").trim());
  }
  return found;
}

describe("POST /api/v1/remove on OS/2 bitmap arrays", () => {
  it("zeroes gaps and reserved fields, cuts the trailer, and keeps every entry's headers and pixels where they were", async () => {
    const { bytes, placed } = bitmapArray(entries, Buffer.from(`gap ${MARKER}`, "latin1"), Buffer.from(`trailer ${MARKER}`, "latin1"), SHORT);
    const file = path.join(dir, "array.bmp");
    await fs.writeFile(file, bytes);
    const before = await signatures(bytes, placed);
    expect(new Set(before).size).toBe(placed.length);

    const { status, body, cleaned } = await removeViaApi(server, file, "icons.ico");
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body["remaining"]).toEqual({});
    const out = path.join(dir, "cleaned-array.bmp");
    await fs.writeFile(out, cleaned!);
    expect(await findMarker(out, MARKER)).toEqual([]);
    expect(cleaned!.indexOf(SHORT)).toBe(-1);
    expect(await signatures(cleaned!, placed)).toEqual(before);
    // Nothing moved: each bitmap's headers (but for the reserved and hot spot fields) and pixels are where they were.
    for (const p of placed) {
      expect(cleaned!.subarray(p.pixelsAt, p.pixelsEnd).equals(bytes.subarray(p.pixelsAt, p.pixelsEnd))).toBe(true);
      const differing = [...cleaned!.subarray(p.headerAt, p.headerEnd)].flatMap((b, i) => (b === bytes[p.headerAt + i] ? [] : [i]));
      expect(differing.every((i) => cleaned![p.headerAt + i] === 0)).toBe(true);
    }
    expect(cleaned!.length).toBe(placed.at(-1)!.pixelsEnd);
  });

  it("cleans a lone OS/2 colour icon (CI) the same way", async () => {
    const array = bitmapArray([entries[2]!], Buffer.from(`gap ${MARKER}`, "latin1"), Buffer.from(`trailer ${MARKER}`, "latin1"));
    const lone = array.bytes.subarray(14);
    // Without its array header every offset moves back by 14 bytes.
    const placed = array.placed.map((p) => ({ headerAt: p.headerAt - 14, headerEnd: p.headerEnd - 14, pixelsAt: p.pixelsAt - 14, pixelsEnd: p.pixelsEnd - 14 }));
    for (const p of placed) lone.writeUInt32LE(p.pixelsAt, p.headerAt + 10);
    const file = path.join(dir, "lone.bmp");
    await fs.writeFile(file, lone);
    const before = await signatures(lone, placed);
    const { status, body, cleaned } = await removeViaApi(server, file, "icon.ico");
    expect(status, JSON.stringify(body)).toBe(200);
    const out = path.join(dir, "cleaned-lone.bmp");
    await fs.writeFile(out, cleaned!);
    expect(await findMarker(out, MARKER)).toEqual([]);
    expect(await signatures(cleaned!, placed)).toEqual(before);
  });

  it("a plain BMP's reserved file header fields are zeroed", async () => {
    const { info, palette, pixels } = entries[0]![0]!;
    const header = Buffer.alloc(14);
    header.write("BM", 0, "latin1");
    header.writeUInt32LE(14 + info.length + palette.length + pixels.length, 2);
    SHORT.copy(header, 6);
    header.writeUInt32LE(14 + info.length + palette.length, 10);
    const file = path.join(dir, "plain.bmp");
    await fs.writeFile(file, Buffer.concat([header, info, palette, pixels]));
    const { status, cleaned } = await removeViaApi(server, file);
    expect(status).toBe(200);
    expect(cleaned!.indexOf(SHORT)).toBe(-1);
  });

  it("an array whose chain points back on itself is a quick 422", async () => {
    const { bytes } = bitmapArray(entries, Buffer.alloc(0), Buffer.alloc(0));
    const second = bytes.readUInt32LE(6);
    bytes.writeUInt32LE(second, second + 6);
    const file = path.join(dir, "cycle.bmp");
    await fs.writeFile(file, bytes);
    const { status, body } = await removeViaApi(server, file);
    expect(status).toBe(422);
    expect(body["error"]).toBe("The BMP file is damaged: its bitmap array points back on itself.");
  });

  it("thousands of entries claiming the same 2 MB of pixels are refused quickly, not copied over and over", async () => {
    const count = 4000;
    const entrySize = 14 + 14 + 40;
    const pixelsAt = count * entrySize;
    const side = 724; // 724 x 724 x 32 bits: 2 MB of rows
    const head = Buffer.alloc(pixelsAt);
    for (let i = 0; i < count; i++) {
      const at = i * entrySize;
      head.write("BA", at, "latin1");
      head.writeUInt32LE(i + 1 < count ? at + entrySize : 0, at + 6);
      head.write("BM", at + 14, "latin1");
      head.writeUInt32LE(pixelsAt, at + 24);
      head.writeUInt32LE(40, at + 28);
      head.writeInt32LE(side, at + 32);
      head.writeInt32LE(side, at + 36);
      head.writeUInt16LE(1, at + 40);
      head.writeUInt16LE(32, at + 42);
    }
    await expectQuickRefusal(server, dir, "shared.bmp", Buffer.concat([head, Buffer.alloc(side * side * 4, 0x40)]));
  });
});
