import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import zlib from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { streamHash } from "./helpers/make-media.js";
import { replacePayload } from "./helpers/plant-boxes.js";
import { expectQuickRefusal } from "./helpers/quick-refusal.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { type RunningServer, startServer } from "./helpers/server.js";
import { ffmpegQuiet, pixelSignature, run } from "./helpers/tools.js";

/**
 * A file whose tables point many parts at the same bytes, so that a cleaner copying part after
 * part writes far more than the file holds: a quick 422, with the disk spared, while a file of
 * as many parts of its own is still cleaned.
 */

let dir: string;
let server: RunningServer;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-outgrowing-"));
  server = await startServer();
});

afterAll(async () => {
  await server?.stop();
  if (dir != null) await fs.rm(dir, { recursive: true, force: true });
});

/**
 * A big-endian grey TIFF of `rows` one-row strips of 1,000 pixels, deflated, whose strip offsets
 * all name one place (`shared`) or each its own strip. A shared strip is padded to `stripBytes`.
 */
function stripTiff(rows: number, shared: boolean, stripBytes: number): Buffer {
  const row = zlib.deflateSync(Buffer.alloc(1000, 0x80));
  const strip = shared ? Buffer.concat([row, Buffer.alloc(stripBytes - row.length)]) : row;
  const tags: Array<[number, number, number, number]> = [
    [256, 3, 1, 1000], [257, 4, 1, rows], [258, 3, 1, 8], [259, 3, 1, 8], [262, 3, 1, 1],
    [273, 4, rows, 0], [277, 3, 1, 1], [278, 4, 1, 1], [279, 4, rows, 0],
  ];
  const ifdAt = 8;
  const offsetsAt = ifdAt + 2 + tags.length * 12 + 4;
  const countsAt = offsetsAt + 4 * rows;
  const dataAt = countsAt + 4 * rows;
  const head = Buffer.alloc(dataAt);
  head.write("MM\0*", 0, "latin1");
  head.writeUInt32BE(ifdAt, 4);
  head.writeUInt16BE(tags.length, ifdAt);
  tags.forEach(([tag, type, count, value], i) => {
    const at = ifdAt + 2 + i * 12;
    head.writeUInt16BE(tag, at);
    head.writeUInt16BE(type, at + 2);
    head.writeUInt32BE(count, at + 4);
    const v = tag === 273 ? offsetsAt : tag === 279 ? countsAt : value;
    if (type === 3 && count === 1) head.writeUInt16BE(v, at + 8);
    else head.writeUInt32BE(v, at + 8);
  });
  for (let i = 0; i < rows; i++) {
    head.writeUInt32BE(shared ? dataAt : dataAt + i * strip.length, offsetsAt + 4 * i);
    head.writeUInt32BE(strip.length, countsAt + 4 * i);
  }
  return Buffer.concat([head, shared ? strip : Buffer.concat(Array<Buffer>(rows).fill(strip))]);
}

/**
 * A second of noise (ten ~90 kB MPEG-4 frames, ~0.9 MB) in an MP4 whose edit list plays that
 * second `edits` times: ffmpeg's stream copy writes every sample once per edit. A top-level
 * `moof` box at its end (empty: no samples of its own) sends the file to the remux, as any
 * fragmented movie goes, instead of the box-by-box rewrite, which keeps the edit list as it is.
 */
async function repeatedEditsMp4(name: string, edits: number): Promise<string> {
  const file = path.join(dir, name);
  await run("ffmpeg", [...ffmpegQuiet, "-f", "lavfi", "-i", "nullsrc=size=320x240:rate=10,geq=random(1)*255:128:128", "-t", "1", "-c:v", "mpeg4", "-q:v", "1", file]);
  await replacePayload(file, ["moov", "trak", "edts", "elst"], (payload) => {
    // Version 0: an entry of 12 bytes (segment duration, media time, rate) after version, flags and count.
    const entry = payload.subarray(8, 20);
    const count = Buffer.alloc(4);
    count.writeUInt32BE(edits);
    return Buffer.concat([payload.subarray(0, 4), count, ...Array<Buffer>(edits).fill(entry)]);
  });
  const moof = Buffer.alloc(16);
  moof.writeUInt32BE(16);
  moof.write("moof", 4, "latin1");
  await fs.appendFile(file, moof);
  return file;
}

describe("parts copied over and over", () => {
  it("an MP4 of 0.9 MB whose edit list repeats its one second 1,000 times is a quick 422 (main remuxed it to 890 MB, a 200 after 18 to 30 s)", async () => {
    const file = await repeatedEditsMp4("repeated-edits.mp4", 1000);
    await expectQuickRefusal(server, dir, "repeated-edits.mp4", await fs.readFile(file));
  }, 120_000);

  it("the same MP4 with its one edit is remuxed, its frames unchanged", async () => {
    const file = await repeatedEditsMp4("one-edit.mp4", 1);
    const { status, body, cleaned } = await removeViaApi(server, file);
    expect(status, JSON.stringify(body)).toBe(200);
    const out = path.join(dir, "cleaned-one-edit.mp4");
    await fs.writeFile(out, cleaned!);
    expect(await streamHash(out, "0:v")).toBe(await streamHash(file, "0:v"));
  }, 120_000);

  it("a TIFF of 100,000 strips that all point at the same 4 MB (a 4.8 MB file) is a quick 422 (main wrote 12 GB to the disk in 48 s, then ran to the deadline)", async () => {
    await expectQuickRefusal(server, dir, "shared-strips.tif", stripTiff(100_000, true, 4_000_000));
  }, 120_000);

  it("a TIFF of 10,000 strips of its own is cleaned, its pixels unchanged", async () => {
    const file = path.join(dir, "own-strips.tif");
    await fs.writeFile(file, stripTiff(10_000, false, 0));
    const { status, body, cleaned } = await removeViaApi(server, file);
    expect(status, JSON.stringify(body)).toBe(200);
    const out = path.join(dir, "cleaned-own-strips.tif");
    await fs.writeFile(out, cleaned!);
    expect(await pixelSignature(out)).toBe(await pixelSignature(file));
  }, 120_000);
});
