import crypto from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { removeViaApi } from "./helpers/remove-api.js";
import { type RunningServer, startServer } from "./helpers/server.js";
import { CONVERT, pixelSignature, run } from "./helpers/tools.js";

/*
 * A colour table entry is blue, green, red and a reserved byte that Windows says must be zero and
 * readers skip: the fourth bytes of a 256-colour palette hold 256 bytes of anything, one in four,
 * and went into the clean copy as they were.
 */

/** Short enough for a 16-colour table's 16 reserved bytes. */
const MARKER = `Pal${crypto.randomBytes(5).toString("hex")}`;

let server: RunningServer;
let dir: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-bmp-palette-"));
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

/** Where a picture's colour table lies in the file: [first entry, end). */
type TableOf = (bytes: Buffer) => [number, number];

/** A BMP's table: after its info header, up to its pixels (ImageMagick writes them right after it). */
const bmpTable: TableOf = (b) => [14 + b.readUInt32LE(14), b.readUInt32LE(10)];

/** An icon's first image's table: after its 40-byte info header, one entry per value of its pixels. */
const icoTable: TableOf = (b) => {
  const at = b.readUInt32LE(18) + 40;
  return [at, at + 4 * 2 ** b.readUInt16LE(at - 40 + 14)];
};

/** The entries' fourth bytes, one after the other. */
function fourthBytes(bytes: Buffer, [at, end]: [number, number]): Buffer {
  const out: number[] = [];
  for (let i = at + 3; i < end; i += 4) out.push(bytes[i]!);
  return Buffer.from(out);
}

describe("POST /api/v1/remove on a picture whose colour table's reserved bytes hold text", () => {
  it.each([
    ["an 8-bit BMP (40-byte header)", "picture.bmp", ["-type", "Palette", "-colors", "200"], "bmp3", bmpTable],
    ["an 8-bit BMP (V5 header)", "picture.bmp", ["-type", "Palette", "-colors", "200"], "bmp", bmpTable],
    ["a 4-bit icon", "icon.ico", ["-type", "Palette", "-colors", "16"], "ico", icoTable],
  ] as const)("zeroes them in %s, pixels unchanged", async (_what, name, args, format, tableOf) => {
    const file = path.join(dir, `${format}-${name}`);
    await run(CONVERT, ["-seed", "3", "-size", "24x16", "plasma:fractal", ...args, `${format}:${file}`]);
    const drawn = await fs.readFile(file);
    const table = tableOf(drawn);
    expect(fourthBytes(drawn, table).every((b) => b === 0)).toBe(true);
    const marked = Buffer.from(drawn);
    const text = Buffer.from(`${MARKER} `.repeat(40), "latin1");
    let n = 0;
    for (let i = table[0] + 3; i < table[1]; i += 4) marked[i] = text[n++]!;
    expect(fourthBytes(marked, table).includes(MARKER)).toBe(true);
    await fs.writeFile(file, marked);

    const { status, body, cleaned } = await removeViaApi(server, file, name);
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body["remaining"]).toEqual({});
    expect(fourthBytes(cleaned!, table).every((b) => b === 0)).toBe(true);
    // ImageMagick's own file, byte for byte: nothing else in it moved.
    expect(cleaned!.equals(drawn)).toBe(true);
    const out = path.join(dir, `cleaned-${format}-${name}`);
    await fs.writeFile(out, cleaned!);
    expect(await pixelSignature(out)).toBe(await pixelSignature(file));
  });
});
