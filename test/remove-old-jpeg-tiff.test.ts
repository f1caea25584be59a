import fsp from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { tiffImages } from "../src/cleaners/image/tiff-images.js";
import { makeOldJpegTiff } from "./helpers/make-old-jpeg-tiff.js";
import { findMarker } from "./helpers/marker-scan.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { startServer, type RunningServer } from "./helpers/server.js";
import { CONVERT, exiftool, run } from "./helpers/tools.js";

/*
 * Old-style JPEG TIFF (compression 6: old scanners, fax and imaging software of the 1990s) was
 * refused as damaged. A page that keeps its JPEG headers and tables in a JPEG interchange format
 * stream is cleaned, the stream carried over with the strips, and so is one whose tables lie apart
 * or whose strip is the whole stream (with or without an interchange stream's offset); one whose stream holds a comment is refused, never handed
 * back.
 */

const MARKER = "OldJpegMark4419";

let server: RunningServer;
let dir: string;

beforeAll(async () => {
  dir = await fsp.mkdtemp(path.join(os.tmpdir(), "old-jpeg-tiff-"));
  server = await startServer();
});

afterAll(async () => {
  await server?.stop();
  if (dir != null) await fsp.rm(dir, { recursive: true, force: true });
});

/** Width, height and pixel signature, as libtiff's old-style JPEG decoder gives them. */
async function pixels(file: string): Promise<string> {
  const { stdout } = await run(CONVERT, [file, "-format", "%w %h %#", "info:"]);
  return stdout.toString("utf8").trim();
}

async function cleanCopy(file: string): Promise<string> {
  const outcome = await removeViaApi(server, file, path.basename(file));
  expect(outcome.status, JSON.stringify(outcome.body)).toBe(200);
  expect(outcome.body["remaining"]).toEqual({});
  const out = path.join(dir, `cleaned-${path.basename(file)}`);
  await fsp.writeFile(out, outcome.cleaned!);
  return out;
}

describe("old-style JPEG TIFF", () => {
  test("with metadata ExifTool wrote (which moves the stream apart from the strip) comes back old-style JPEG without it, decoding the same", async () => {
    const file = await makeOldJpegTiff(dir, MARKER);
    await exiftool(["-q", "-overwrite_original", `-IFD0:DocumentName=${MARKER}`, `-XMP-dc:Creator=${MARKER}`, `-IPTC:Caption-Abstract=${MARKER}`, file]);
    expect(await exiftool(["-s3", "-IFD0:Compression", file])).toContain("old-style");
    const before = await pixels(file);
    expect(before).toMatch(/^64 48 [0-9a-f]{64}$/);
    const out = await cleanCopy(file);
    expect(await findMarker(out, MARKER)).toEqual([]);
    expect(await exiftool(["-s3", "-IFD0:Compression", out])).toContain("old-style");
    expect(await pixels(out)).toBe(before);
    expect((await tiffImages(out)).map((i) => i.digest)).toEqual((await tiffImages(file)).map((i) => i.digest));
  });

  test("whose only strip is its whole interchange stream keeps one copy of those bytes", async () => {
    const file = await makeOldJpegTiff(dir, MARKER);
    const before = await pixels(file);
    const out = await cleanCopy(file);
    expect(await findMarker(out, MARKER)).toEqual([]);
    expect(await pixels(out)).toBe(before);
    expect(await exiftool(["-s3", "-IFD0:StripOffsets", out])).toBe(await exiftool(["-s3", "-IFD0:OtherImageStart", out]));
    expect((await fsp.stat(out)).size).toBeLessThan((await fsp.stat(file)).size);
  });

  test("whose interchange stream carries a comment segment is refused, never handed back", async () => {
    const file = await makeOldJpegTiff(dir, "Artist", { streamComment: MARKER });
    // A picture to libtiff, and ExifTool does not see the comment.
    expect(await pixels(file)).toMatch(/^64 48 /);
    expect(await exiftool(["-s3", "-a", "-ee", "-Comment", file])).toBe("");
    const outcome = await removeViaApi(server, file, "comment.tif");
    expect(outcome.status, JSON.stringify(outcome.body)).toBe(422);
    expect(outcome.body["error"]).toMatch(/^The TIFF file's JPEG-compressed pictures carry data of their own/);
  });

  test("with a JPEGQTables field pointing into its interchange stream keeps it, decoding the same", async () => {
    const file = await makeOldJpegTiff(dir, MARKER, { qTables: true });
    const before = await pixels(file);
    const out = await cleanCopy(file);
    expect(await findMarker(out, MARKER)).toEqual([]);
    expect(await pixels(out)).toBe(before);
  });

  test("whose tables lie apart (JPEGQTables, DCTables, ACTables, no interchange stream) keeps them and nothing between them, decoding the same", async () => {
    const between = "BetweenTables7731";
    const file = await makeOldJpegTiff(dir, MARKER, { layout: "tablesApart", betweenTables: between });
    // ExifTool cannot write such a file ("No size tag for IFD0:JPEGACTables"): Artist holds the marker.
    const before = await pixels(file);
    expect(before).toMatch(/^64 48 [0-9a-f]{64}$/);
    expect(await exiftool(["-s3", "-IFD0:OtherImageStart", file])).toBe("");
    const out = await cleanCopy(file);
    expect(await findMarker(out, MARKER)).toEqual([]);
    expect(await findMarker(out, between)).toEqual([]);
    expect(await exiftool(["-s3", "-IFD0:Compression", out])).toContain("old-style");
    expect((await exiftool(["-s3", "-IFD0:JPEGDCTables", out])).trim()).toMatch(/^\d+ \d+ \d+$/);
    expect(await pixels(out)).toBe(before);
    expect((await tiffImages(out)).map((i) => i.digest)).toEqual((await tiffImages(file)).map((i) => i.digest));
  });

  test("whose strip is its whole stream, without an interchange stream, is cleaned, decoding the same", async () => {
    const file = await makeOldJpegTiff(dir, MARKER, { layout: "strip" });
    const before = await pixels(file);
    const out = await cleanCopy(file);
    expect(await findMarker(out, MARKER)).toEqual([]);
    expect(await pixels(out)).toBe(before);
  });

  test("whose interchange stream has no length and is its only strip (Kofax's scanner software) is cleaned, decoding the same", async () => {
    const file = await makeOldJpegTiff(dir, MARKER, { layout: "interchangeNoLength" });
    expect(await exiftool(["-s3", "-IFD0:OtherImageLength", file])).toBe("");
    const before = await pixels(file);
    expect(before).toMatch(/^64 48 [0-9a-f]{64}$/);
    const out = await cleanCopy(file);
    expect(await findMarker(out, MARKER)).toEqual([]);
    expect(await pixels(out)).toBe(before);
    expect(await exiftool(["-s3", "-IFD0:StripOffsets", out])).toBe(await exiftool(["-s3", "-IFD0:OtherImageStart", out]));
  });

  test("whose strip starts with a comment segment, without a start of image, is refused (libtiff skips it and decodes the rest)", async () => {
    const file = await makeOldJpegTiff(dir, "Artist", { layout: "strip", headless: true, streamComment: MARKER });
    expect(await pixels(file)).toMatch(/^64 48 /);
    const outcome = await removeViaApi(server, file, "headless.tif");
    expect(outcome.status, JSON.stringify(outcome.body)).toBe(422);
    expect(outcome.body["error"]).toMatch(/^The TIFF file's JPEG-compressed pictures carry data of their own/);
  });
});
