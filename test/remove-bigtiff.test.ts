import fsp from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { tiffImages } from "../src/cleaners/image/tiff-images.js";
import { bigTiffDng } from "./helpers/make-raw.js";
import { findMarker } from "./helpers/marker-scan.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { startServer, type RunningServer } from "./helpers/server.js";
import { CONVERT, exiftool, run } from "./helpers/tools.js";

/*
 * BigTIFF (TIFF with 64-bit offsets, for scans and microscopy past 4 GB) was refused as a type
 * with no cleaner. It is cleaned like a classic TIFF and comes back a BigTIFF, every page decoding
 * the same. ExifTool reads BigTIFF but cannot write it, so ImageMagick writes the fields here.
 */

const MARKER = "BigTiffMark7730";

let server: RunningServer;
let dir: string;

beforeAll(async () => {
  dir = await fsp.mkdtemp(path.join(os.tmpdir(), "bigtiff-"));
  server = await startServer();
});

afterAll(async () => {
  await server?.stop();
  if (dir != null) await fsp.rm(dir, { recursive: true, force: true });
});

/**
 * Two pages as ImageMagick writes a BigTIFF (`TIFF64:`): the marker in each page's
 * ImageDescription and PageName, in an XMP packet and in a caption of IPTC.
 */
async function bigTiff(name: string, options: readonly string[]): Promise<string> {
  const tagged = path.join(dir, `${name}-tagged.tif`);
  await run(CONVERT, ["-size", "48x32", "gradient:red-blue", "-size", "20x10", "gradient:green-yellow", "-depth", "8", "-compress", "none", tagged]);
  await exiftool(["-q", "-overwrite_original", `-XMP-dc:Creator=${MARKER}`, `-IPTC:Caption-Abstract=${MARKER}`, tagged]);
  const file = path.join(dir, `${name}.btf`);
  await run(CONVERT, [tagged, ...options, "-set", "comment", MARKER, "-set", "label", MARKER, `TIFF64:${file}`]);
  return file;
}

/** Width, height and pixel signature of every frame. */
async function frames(file: string): Promise<string[]> {
  const { stdout } = await run(CONVERT, [file, "-format", "%w %h %#\n", "info:"]);
  return stdout.toString("utf8").trim().split("\n");
}

async function expectCleanBigTiff(file: string): Promise<void> {
  expect((await exiftool(["-s3", "-FileType", file])).trim()).toBe("BTF");
  expect(await exiftool(["-s3", "-IFD0:ImageDescription", file])).toContain(MARKER);
  expect(await findMarker(file, MARKER)).not.toEqual([]);
  const before = await frames(file);
  expect(before).toHaveLength(2);
  const outcome = await removeViaApi(server, file, path.basename(file));
  expect(outcome.status, JSON.stringify(outcome.body)).toBe(200);
  expect(outcome.body["remaining"]).toEqual({});
  const out = path.join(dir, `cleaned-${path.basename(file)}`);
  await fsp.writeFile(out, outcome.cleaned!);
  expect((await exiftool(["-s3", "-FileType", out])).trim()).toBe("BTF");
  expect(await findMarker(out, MARKER)).toEqual([]);
  expect(await frames(out)).toEqual(before);
  expect((await tiffImages(out)).map((i) => i.digest)).toEqual((await tiffImages(file)).map((i) => i.digest));
}

describe("BigTIFF", () => {
  test("of two uncompressed pages, little-endian, comes back a BigTIFF without its metadata, each page decoding the same", async () => {
    await expectCleanBigTiff(await bigTiff("strips", []));
  });

  test("of LZW tiles, big-endian, comes back a BigTIFF without its metadata, each page decoding the same", async () => {
    const file = await bigTiff("tiles", ["-define", "tiff:endian=msb", "-compress", "LZW", "-define", "tiff:tile-geometry=16x16"]);
    expect((await fsp.readFile(file)).toString("latin1", 0, 2)).toBe("MM");
    expect(await exiftool(["-s3", "-TileWidth", file])).toContain("16");
    await expectCleanBigTiff(file);
  });

  test("holding a camera raw (a DNG) is refused naming BigTIFF, not cleaned as a plain TIFF without its colour filter layout and DNG version", async () => {
    const file = path.join(dir, "raw.dng");
    await fsp.writeFile(file, bigTiffDng(MARKER));
    const bare = path.join(dir, "raw-bare");
    await fsp.copyFile(file, bare);
    expect((await exiftool(["-s3", "-FileType", "-DNGVersion", "-CFAPattern", "-Make", bare])).trim().split("\n")).toEqual(["BTF", "1.4.0.0", "[Red,Green][Green,Blue]", MARKER]);
    const outcome = await removeViaApi(server, file, "raw.dng");
    expect(outcome.status, JSON.stringify(outcome.body)).toBe(422);
    expect(outcome.body["error"]).toMatch(/^This is a camera raw photo \(a DNG, for instance\) stored as a BigTIFF/);
    expect(outcome.cleaned).toBeNull();
  });

  test("whose strip offset lies past what a file can hold is refused as damaged", async () => {
    const file = await bigTiff("far", []);
    const b = await fsp.readFile(file);
    expect(b.toString("latin1", 0, 4)).toBe("II+\0");
    const ifd = Number(b.readBigUInt64LE(8));
    const entries = Number(b.readBigUInt64LE(ifd));
    const strip = Array.from({ length: entries }, (_, i) => ifd + 8 + i * 20).find((e) => b.readUInt16LE(e) === 273);
    // One strip: its LONG8 offset lies in the entry itself.
    expect(Number(b.readBigUInt64LE(strip! + 4))).toBe(1);
    b.writeBigUInt64LE(1n << 60n, strip! + 12);
    await fsp.writeFile(file, b);
    const outcome = await removeViaApi(server, file, "far.btf");
    expect(outcome.status, JSON.stringify(outcome.body)).toBe(422);
    expect(outcome.body["error"]).toMatch(/^The TIFF file is damaged/);
  });
});
