import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { proveJpeg } from "../src/cleaners/proof/jpeg-proof.js";
import { provePng } from "../src/cleaners/proof/png-proof.js";
import { findMarker } from "./helpers/marker-scan.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { type RunningServer, startServer } from "./helpers/server.js";
import { CONVERT, pixelSignature, run } from "./helpers/tools.js";
import { pngChunk } from "./helpers/make-images.js";

const MARKER = "UNKNOWNPART-7f3c9a";
const NOT_CLEAN = "The file's metadata could not be removed completely.";

let server: RunningServer;
let dir: string;
let jpeg: Buffer;
let png: Buffer;
/** The same pictures as the cleaners write them: what the proofs must accept. */
let cleanJpeg: Buffer;
let cleanPng: Buffer;

beforeAll(async () => {
  server = await startServer();
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-unknown-"));
  await run(CONVERT, ["-seed", "3", "-size", "48x32", "plasma:fractal", "-strip", path.join(dir, "base.jpg")]);
  await run(CONVERT, ["-seed", "3", "-size", "48x32", "plasma:fractal", "-strip", path.join(dir, "base.png")]);
  jpeg = await fs.readFile(path.join(dir, "base.jpg"));
  png = await fs.readFile(path.join(dir, "base.png"));
  cleanJpeg = (await removeViaApi(server, path.join(dir, "base.jpg"))).cleaned!;
  cleanPng = (await removeViaApi(server, path.join(dir, "base.png"))).cleaned!;
});

afterAll(async () => {
  await server?.stop();
  if (dir != null) await fs.rm(dir, { recursive: true, force: true });
});

function jpegSegment(marker: number, payload: Buffer): Buffer {
  const head = Buffer.from([0xff, marker, 0, 0]);
  head.writeUInt16BE(payload.length + 2, 2);
  return Buffer.concat([head, payload]);
}

/** The JPEG with `segment` right after SOI. */
function jpegWith(segment: Buffer, base = jpeg): Buffer {
  return Buffer.concat([base.subarray(0, 2), segment, base.subarray(2)]);
}

/** The JPEG with the marker appended inside its first DQT segment (its length grown to match). */
function jpegWithPaddedTable(base = jpeg): Buffer {
  const at = base.indexOf(Buffer.from([0xff, 0xdb]));
  const length = base.readUInt16BE(at + 2);
  const padded = jpegSegment(0xdb, Buffer.concat([base.subarray(at + 4, at + 2 + length), Buffer.from(MARKER)]));
  return Buffer.concat([base.subarray(0, at), padded, base.subarray(at + 2 + length)]);
}


/** The PNG with `chunk` right after IHDR. */
function pngWith(chunk: Buffer, base = png): Buffer {
  const afterIhdr = 8 + 12 + base.readUInt32BE(8);
  return Buffer.concat([base.subarray(0, afterIhdr), chunk, base.subarray(afterIhdr)]);
}

/** An 8x8 grey uncompressed TIFF whose IFD0 holds a private tag (65000, ASCII) with the marker. */
function tiffWithPrivateTag(): Buffer {
  const pixels = Buffer.alloc(64, 0x80);
  const text = Buffer.from(`${MARKER}\0`, "latin1");
  const entries: Array<[tag: number, type: number, count: number, value: number]> = [
    [256, 3, 1, 8], [257, 3, 1, 8], [258, 3, 1, 8], [259, 3, 1, 1], [262, 3, 1, 1],
    [273, 4, 1, 0], [277, 3, 1, 1], [278, 3, 1, 8], [279, 4, 1, 64], [65000, 2, text.length, 0],
  ];
  const ifdAt = 8;
  const ifdLength = 2 + entries.length * 12 + 4;
  const textAt = ifdAt + ifdLength;
  const pixelsAt = textAt + text.length;
  const ifd = Buffer.alloc(ifdLength);
  ifd.writeUInt16LE(entries.length, 0);
  entries.forEach(([tag, type, count, value], i) => {
    const e = 2 + i * 12;
    ifd.writeUInt16LE(tag, e);
    ifd.writeUInt16LE(type, e + 2);
    ifd.writeUInt32LE(count, e + 4);
    const v = tag === 273 ? pixelsAt : tag === 65000 ? textAt : value;
    if (type === 3) ifd.writeUInt16LE(v, e + 8);
    else ifd.writeUInt32LE(v, e + 8);
  });
  const head = Buffer.from([0x49, 0x49, 42, 0, ifdAt, 0, 0, 0]);
  return Buffer.concat([head, ifd, text, pixels]);
}

async function write(name: string, data: Buffer): Promise<string> {
  const file = path.join(dir, name);
  await fs.writeFile(file, data);
  return file;
}

describe("metadata no cleaner knows is removed or the file refused, never handed back", () => {
  it.each([
    ["a JPEG APP9 segment", "app9.jpg", () => jpegWith(jpegSegment(0xe9, Buffer.from(`Vendor\0${MARKER}`)))],
    ["a JPEG APP15 segment", "app15.jpg", () => jpegWith(jpegSegment(0xef, Buffer.from(MARKER)))],
    ["a JPEG APP2 segment that is no ICC profile, with keep=colorProfile", "app2.jpg", () => jpegWith(jpegSegment(0xe2, Buffer.from(`PRIVATE\0${MARKER}`)))],
    ["a PNG private ancillary chunk", "private.png", () => pngWith(pngChunk("prVt", Buffer.from(MARKER)))],
    ["a PNG ancillary chunk of an unregistered public type", "public.png", () => pngWith(pngChunk("meTa", Buffer.from(MARKER)))],
    ["a private TIFF tag", "private.tif", () => tiffWithPrivateTag()],
  ])("%s", async (_label, name, make) => {
    const file = await write(name, make());
    expect(await findMarker(file, MARKER)).not.toEqual([]);
    const r = await removeViaApi(server, file, name, name === "app2.jpg" ? { keep: "colorProfile" } : {});
    if (r.status === 200) {
      expect(await findMarker(r.cleaned!, MARKER)).toEqual([]);
      const cleaned = await write(`cleaned-${name}`, r.cleaned!);
      expect(await pixelSignature(cleaned)).toBe(await pixelSignature(file));
    } else {
      expect(r.status).toBe(422);
      expect(r.cleaned).toBeNull();
    }
  });

  // Parts the cleaners keep, copied byte for byte, with bytes after their fields: only the
  // structural proof in verification sees them, ExifTool reads past them.
  it.each([
    ["a JPEG quantisation table segment", "table.jpg", () => jpegWithPaddedTable()],
    ["a PNG sRGB chunk", "srgb.png", () => pngWith(pngChunk("sRGB", Buffer.concat([Buffer.from([0]), Buffer.from(MARKER)])))],
  ])("%s carrying bytes beyond its fields is refused by the structural proof", async (_label, name, make) => {
    const file = await write(name, make());
    const r = await removeViaApi(server, file, name);
    expect(r.status).toBe(422);
    expect(r.body["error"]).toBe(NOT_CLEAN);
    expect(r.cleaned).toBeNull();
    await expect.poll(() => server.logs.some((l) => l.includes("left a part off the allow-list")), { timeout: 5000 }).toBe(true);
  });
});

// What a cleaner that let an unknown part through would hand to verification: the proofs alone.
describe("the structural proofs refuse any part off the allow-list", () => {
  it("JPEG: a clean file passes; an APPn, a COM, a trailer, or a kept part not asked for does not", async () => {
    const eoi = cleanJpeg.subarray(cleanJpeg.length - 2);
    const cases: Array<[Buffer, Set<"orientation" | "colorProfile">, boolean]> = [
      [cleanJpeg, new Set(), true],
      [jpegWith(jpegSegment(0xe9, Buffer.from(MARKER)), cleanJpeg), new Set(["orientation", "colorProfile"]), false],
      [jpegWith(jpegSegment(0xfe, Buffer.from(MARKER)), cleanJpeg), new Set(), false],
      [Buffer.concat([cleanJpeg, Buffer.from(MARKER)]), new Set(), false],
      [Buffer.concat([cleanJpeg.subarray(0, -2), jpegSegment(0xe1, Buffer.from(MARKER)), eoi]), new Set(), false],
      [jpegWith(jpegSegment(0xe2, Buffer.from(`ICC_PROFILE\0\x01\x01${MARKER}`)), cleanJpeg), new Set(), false],
      [jpegWith(jpegSegment(0xe2, Buffer.from(`ICC_PROFILE\0\x01\x01${MARKER}`)), cleanJpeg), new Set(["colorProfile"]), true],
      [jpegWithPaddedTable(cleanJpeg), new Set(), false],
    ];
    for (const [i, [data, allowed, ok]] of cases.entries()) {
      const failure = await proveJpeg(await write(`proof-${i}.jpg`, data), allowed);
      expect({ i, ok: failure == null }).toEqual({ i, ok });
    }
  });

  it("PNG: a clean file passes; text, private, unknown or padded chunks, a trailer, or an eXIf beyond the orientation do not", async () => {
    const orientationOnly = Buffer.from("4d4d002a00000008000101120003000000010006000000000000", "hex");
    const cases: Array<[Buffer, Set<"orientation" | "colorProfile">, boolean]> = [
      [cleanPng, new Set(), true],
      [pngWith(pngChunk("tEXt", Buffer.from(`Comment\0${MARKER}`)), cleanPng), new Set(["orientation", "colorProfile"]), false],
      [pngWith(pngChunk("prVt", Buffer.from(MARKER)), cleanPng), new Set(), false],
      [pngWith(pngChunk("gAMA", Buffer.concat([Buffer.alloc(4), Buffer.from(MARKER)])), cleanPng), new Set(), false],
      [Buffer.concat([cleanPng, Buffer.from(MARKER)]), new Set(), false],
      [pngWith(pngChunk("eXIf", orientationOnly), cleanPng), new Set(), false],
      [pngWith(pngChunk("eXIf", orientationOnly), cleanPng), new Set(["orientation"]), true],
      [pngWith(pngChunk("eXIf", Buffer.concat([orientationOnly.subarray(0, 22), Buffer.from(MARKER)])), cleanPng), new Set(["orientation"]), false],
    ];
    for (const [i, [data, allowed, ok]] of cases.entries()) {
      const failure = await provePng(await write(`proof-${i}.png`, data), allowed);
      expect({ i, ok: failure == null }).toEqual({ i, ok });
    }
  });
});
