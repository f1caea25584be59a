import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import zlib from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectQuickRefusal } from "./helpers/quick-refusal.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { type RunningServer, startServer } from "./helpers/server.js";
import { pixelSignature } from "./helpers/tools.js";

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

describe("parts copied over and over", () => {
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
