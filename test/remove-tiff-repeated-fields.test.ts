import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findMarker } from "./helpers/marker-scan.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { type RunningServer, startServer } from "./helpers/server.js";
import { run } from "./helpers/tools.js";

/*
 * A TIFF keeps, on each page, only the fields that decode its pixels. A fuzz run (seed
 * 2026120701) flipped one bit of a field's tag and made a second SamplesPerPixel, of text, holding
 * the marker: the copy kept both, and ExifTool's re-read let it through under a picture field's
 * name. Readers take the first of a repeated field; so does the copy now. A picture field of text
 * is no picture field: refused as damaged.
 */

let server: RunningServer;
let dir: string;
const MARKER = "TiffRepeat5521";

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-tiff-repeat-"));
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
  if (dir != null) await fs.rm(dir, { recursive: true, force: true });
});

type Field = [tag: number, type: number, count: number, value: Buffer];

/** A little-endian TIFF of one 2x2 RGB page: its fields (values longer than 4 bytes placed after the directory) and its pixels. */
function tiff(fields: readonly Field[], pixels: Buffer): Buffer {
  const dirSize = 2 + fields.length * 12 + 4;
  let valuesAt = 8 + dirSize;
  const values: Buffer[] = [];
  const dirBuf = Buffer.alloc(dirSize);
  dirBuf.writeUInt16LE(fields.length, 0);
  const outOfLine = fields.reduce((n, [, , , v]) => n + (v.length > 4 ? v.length + (v.length % 2) : 0), 0);
  const pixelsAt = valuesAt + outOfLine;
  fields.forEach(([tag, type, count, value], i) => {
    const at = 2 + i * 12;
    dirBuf.writeUInt16LE(tag, at);
    dirBuf.writeUInt16LE(type, at + 2);
    dirBuf.writeUInt32LE(count, at + 4);
    const v = tag === 273 ? le32(pixelsAt) : value;
    if (v.length <= 4) v.copy(dirBuf, at + 8);
    else {
      dirBuf.writeUInt32LE(valuesAt, at + 8);
      values.push(v, Buffer.alloc(v.length % 2));
      valuesAt += v.length + (v.length % 2);
    }
  });
  return Buffer.concat([Buffer.from("II*\0\x08\0\0\0", "latin1"), dirBuf, ...values, pixels]);
}

const le16 = (n: number): Buffer => Buffer.from([n & 0xff, n >> 8, 0, 0]);
const le32 = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return b;
};
const text = (s: string): Buffer => Buffer.from(`${s}\0`, "latin1");

const PIXELS = Buffer.from([255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255]);

function page(samplesPerPixel: readonly Field[]): Buffer {
  return tiff(
    [
      [256, 3, 1, le16(2)],
      [257, 3, 1, le16(2)],
      [258, 3, 3, Buffer.from([8, 0, 8, 0, 8, 0])],
      [259, 3, 1, le16(1)],
      [262, 3, 1, le16(2)],
      [269, 2, MARKER.length + 1, text(MARKER)],
      [273, 4, 1, le32(0)],
      ...samplesPerPixel,
      [278, 3, 1, le16(2)],
      [279, 4, 1, le32(PIXELS.length)],
      [284, 3, 1, le16(1)],
    ],
    PIXELS,
  );
}

async function pixels(file: string): Promise<string> {
  return (await run("convert", [file, "-depth", "8", "rgb:-"])).stdout.toString("hex");
}

describe("TIFF fields given twice", () => {
  it("a second SamplesPerPixel, of text, is left out: the copy holds no marker and the same pixels", async () => {
    const file = path.join(dir, "repeated.tif");
    await fs.writeFile(file, page([[277, 3, 1, le16(3)], [277, 2, MARKER.length + 1, text(MARKER)]]));
    expect(await pixels(file)).toBe(PIXELS.toString("hex"));
    const { status, body, cleaned } = await removeViaApi(server, file);
    expect(status, JSON.stringify(body)).toBe(200);
    const out = path.join(dir, "cleaned-repeated.tif");
    await fs.writeFile(out, cleaned!);
    expect(await findMarker(out, MARKER)).toEqual([]);
    expect(await pixels(out)).toBe(PIXELS.toString("hex"));
  });

  // A picture field holds one value, a few, or one per sample: more are bytes no reader looks at.
  it("picture fields with more values than their kind has keep the ones readers take: no marker, the same pixels", async () => {
    const shorts = (first: readonly number[]): Buffer => Buffer.concat([Buffer.from(first.flatMap((n) => [n, 0])), Buffer.from(MARKER, "latin1")]);
    const rational = Buffer.concat([le32(72), le32(1), Buffer.from(`${MARKER}xx`, "latin1")]);
    const file = path.join(dir, "long-fields.tif");
    await fs.writeFile(
      file,
      tiff(
        [
          [256, 3, 1 + MARKER.length / 2, shorts([2])],
          [257, 3, 1, le16(2)],
          [258, 3, 3 + MARKER.length / 2, shorts([8, 8, 8])],
          [259, 3, 1, le16(1)],
          [262, 3, 1, le16(2)],
          [273, 4, 1, le32(0)],
          [277, 3, 1 + MARKER.length / 2, shorts([3])],
          [278, 3, 1, le16(2)],
          [279, 4, 1, le32(PIXELS.length)],
          [282, 5, 3, rational],
          [284, 3, 1, le16(1)],
        ],
        PIXELS,
      ),
    );
    // libtiff refuses a SamplesPerPixel of more than one value; the copy, with one, is read.
    const { status, body, cleaned } = await removeViaApi(server, file);
    expect(status, JSON.stringify(body)).toBe(200);
    const out = path.join(dir, "cleaned-long-fields.tif");
    await fs.writeFile(out, cleaned!);
    expect(await findMarker(out, MARKER)).toEqual([]);
    expect(await pixels(out)).toBe(PIXELS.toString("hex"));
  });

  it("a picture field of text alone: refused as damaged, never handed back", async () => {
    const file = path.join(dir, "text-field.tif");
    await fs.writeFile(file, page([[277, 2, MARKER.length + 1, text(MARKER)]]));
    const { status, body } = await removeViaApi(server, file);
    expect(status, JSON.stringify(body)).toBe(422);
    expect(String(body["error"])).toMatch(/damaged/);
  });
});
