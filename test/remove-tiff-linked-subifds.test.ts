import crypto from "node:crypto";
import fsp from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findMarker } from "./helpers/marker-scan.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { type RunningServer, startServer } from "./helpers/server.js";
import { CONVERT, exiftool, run } from "./helpers/tools.js";

/*
 * tifffile writes a page's reduced-resolution levels as SubIFDs and also links them one to the
 * next (Pillow's child_ifd.tiff): the second level is reached from the SubIFDs list and from the
 * first level's next-directory pointer. A valid file, cleaned like any TIFF with previews: the
 * levels, smaller than their page, go with the metadata, the page stays byte for byte.
 */

const MARKER = `Subifd${crypto.randomBytes(6).toString("hex")}`;

let server: RunningServer;
let dir: string;

beforeAll(async () => {
  dir = await fsp.mkdtemp(path.join(os.tmpdir(), "tiff-linked-subifds-"));
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
  if (dir != null) await fsp.rm(dir, { recursive: true, force: true });
});

interface Level {
  size: number;
  /** Whether this level's next-directory pointer leads to the following level. */
  linked: boolean;
}

/**
 * A little-endian grey TIFF: one page of `page` x `page` pixels with Artist and Software holding
 * the marker, and SubIFDs of the `levels`' sizes, uncompressed, pixels random.
 */
function tiffWithLevels(page: number, levels: readonly Level[]): Buffer {
  const text = Buffer.from(`${MARKER}\0`, "latin1");
  type Entry = [tag: number, type: number, count: number, value: number];
  const directory = (size: number, pixelsAt: number, extra: Entry[], next: number): Buffer => {
    const entries: Entry[] = [[256, 3, 1, size], [257, 3, 1, size], [258, 3, 1, 8], [259, 3, 1, 1], [262, 3, 1, 1], [273, 4, 1, pixelsAt], [277, 3, 1, 1], [278, 3, 1, size], [279, 4, 1, size * size], ...extra];
    entries.sort((a, b) => a[0] - b[0]);
    const b = Buffer.alloc(2 + entries.length * 12 + 4);
    b.writeUInt16LE(entries.length, 0);
    entries.forEach(([tag, type, count, value], i) => {
      b.writeUInt16LE(tag, 2 + i * 12);
      b.writeUInt16LE(type, 4 + i * 12);
      b.writeUInt32LE(count, 6 + i * 12);
      if (type === 3 && count === 1) b.writeUInt16LE(value, 10 + i * 12);
      else b.writeUInt32LE(value, 10 + i * 12);
    });
    b.writeUInt32LE(next, 2 + entries.length * 12);
    return b;
  };
  const dirLength = (extra: number): number => 2 + (9 + extra) * 12 + 4;
  // Layout: header, page directory, its text and SubIFD array (one offset fits in the entry), level directories, then pixels.
  const pageAt = 8;
  const textAt = pageAt + dirLength(3);
  const arrayAt = textAt + text.length + (text.length % 2);
  const levelAt: number[] = [];
  let at = arrayAt + 4 * levels.length;
  for (const _ of levels) {
    levelAt.push(at);
    at += dirLength(0);
  }
  const pixels = [page, ...levels.map((l) => l.size)].map((s) => crypto.randomBytes(s * s));
  const pixelsAt: number[] = [];
  for (const p of pixels) {
    pixelsAt.push(at);
    at += p.length;
  }
  const array = Buffer.alloc(4 * levels.length);
  levelAt.forEach((a, i) => array.writeUInt32LE(a, i * 4));
  const parts = [
    Buffer.from([0x49, 0x49, 42, 0, pageAt, 0, 0, 0]),
    directory(page, pixelsAt[0]!, [[305, 2, text.length, textAt], [315, 2, text.length, textAt], [330, 13, levels.length, levels.length === 1 ? levelAt[0]! : arrayAt]], 0),
    text,
    Buffer.alloc(text.length % 2),
    array,
    ...levels.map((l, i) => directory(l.size, pixelsAt[i + 1]!, [], l.linked ? (levelAt[i + 1] ?? 0) : 0)),
    ...pixels,
  ];
  return Buffer.concat(parts);
}

async function write(name: string, b: Buffer): Promise<string> {
  const file = path.join(dir, name);
  await fsp.writeFile(file, b);
  return file;
}

async function signature(file: string): Promise<string> {
  const { stdout } = await run(CONVERT, [`${file}[0]`, "-format", "%w %h %#", "info:"]);
  return stdout.toString("utf8").trim();
}

describe("TIFF SubIFDs linked one to the next, as tifffile writes a pyramid", () => {
  it("cleans a page whose smaller levels are listed as SubIFDs and chained: marker gone, the page's pixels the same", async () => {
    const file = await write("pyramid.tif", tiffWithLevels(32, [{ size: 16, linked: true }, { size: 8, linked: false }]));
    // ExifTool reads the file as it is, the second level twice.
    const read = await exiftool(["-G1", "-a", "-s", file]);
    expect(read).toContain(MARKER);
    expect(read.match(/\[SubIFD1\]\s+ImageWidth\s+:\s+8/g)?.length).toBe(2);

    const r = await removeViaApi(server, file, "pyramid.tif");
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body["remaining"]).toEqual({});
    const out = await write("pyramid-clean.tif", r.cleaned!);
    expect(await findMarker(out, MARKER)).toEqual([]);
    expect(await signature(out)).toBe(await signature(file));
  });

  it("still refuses a copy that would lose a SubIFD image as large as its page (not a reduced copy), and a page chain that loops", async () => {
    const full = await write("full-sub.tif", tiffWithLevels(32, [{ size: 32, linked: false }]));
    const r = await removeViaApi(server, full, "full-sub.tif");
    expect(r.status).toBe(422);
    expect(r.body["error"]).toBe("The file could not be cleaned without changing its content; it may be damaged.");

    const loop = tiffWithLevels(32, [{ size: 16, linked: false }]);
    // The page's next-directory pointer back at itself.
    loop.writeUInt32LE(8, 8 + 2 + 12 * 12);
    const looped = await removeViaApi(server, await write("loop.tif", loop), "loop.tif");
    expect(looped.status).toBe(422);
    expect(looped.body["error"]).toMatch(/^The TIFF file is damaged/);
  });
});
