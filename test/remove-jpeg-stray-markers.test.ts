import crypto from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findMarker } from "./helpers/marker-scan.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { type RunningServer, startServer } from "./helpers/server.js";
import { CONVERT, exiftool, pixelSignature, run } from "./helpers/tools.js";

let server: RunningServer;
let dir: string;
const MARKER = `StrayMark${crypto.randomBytes(6).toString("hex")}`;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-jpeg-stray-"));
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

/** Where the first segment with this marker starts, walking the header's segments. */
function segmentAt(jpeg: Buffer, marker: number): number {
  for (let at = 2; at + 4 <= jpeg.length; at += 2 + jpeg.readUInt16BE(at + 2)) {
    if (jpeg[at] !== 0xff) break;
    if (jpeg[at + 1] === marker) return at;
  }
  throw new Error(`no segment 0x${marker.toString(16)}`);
}

describe("POST /api/v1/remove on a JPEG with stray markers in its header", () => {
  it("cleans a picture that libjpeg decodes past a stuffed 0xFF00 and segment-less markers (Pillow's jpeg_ff00_header.jpg), markers gone, same pixels", async () => {
    const made = path.join(dir, "made.jpg");
    await run(CONVERT, ["-size", "48x32", "gradient:#ff2000-#0030ff", "-quality", "90", made]);
    await exiftool(["-q", "-overwrite_original", `-EXIF:Artist=${MARKER}`, `-XMP-dc:Creator=${MARKER}`, `-Comment=${MARKER}`, made]);
    const jpeg = await fs.readFile(made);
    // Before the quantization tables: a stuffed 0xFF00 and two bytes (as in Pillow's sample), a
    // restart marker and a TEM, none of which has a segment.
    const at = segmentAt(jpeg, 0xdb);
    const stray = Buffer.from([0xff, 0x00, 0x00, 0x02, 0xff, 0xd0, 0xff, 0x01]);
    const file = path.join(dir, "stray.jpg");
    await fs.writeFile(file, Buffer.concat([jpeg.subarray(0, at), stray, jpeg.subarray(at)]));
    const pixels = await pixelSignature(made);
    // libjpeg (ImageMagick's decoder) shows the same picture, warning of the extraneous bytes.
    expect(await pixelSignature(file)).toBe(pixels);

    const { status, body, cleaned } = await removeViaApi(server, file, "stray.jpg");
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body["remaining"]).toEqual({});
    const out = path.join(dir, "clean.jpg");
    await fs.writeFile(out, cleaned!);
    expect(await findMarker(out, MARKER)).toEqual([]);
    expect(cleaned!.includes(stray)).toBe(false);
    expect(await exiftool(["-s3", "-Warning", out])).toBe("");
    expect(await pixelSignature(out)).toBe(pixels);
  });

  it("still refuses a second start of image in the header, which libjpeg refuses too", async () => {
    const made = path.join(dir, "made-soi.jpg");
    await run(CONVERT, ["-size", "48x32", "gradient:#ff2000-#0030ff", made]);
    const jpeg = await fs.readFile(made);
    const at = segmentAt(jpeg, 0xdb);
    const file = path.join(dir, "soi.jpg");
    await fs.writeFile(file, Buffer.concat([jpeg.subarray(0, at), Buffer.from([0xff, 0xd8]), jpeg.subarray(at)]));
    await expect(pixelSignature(file)).rejects.toThrow(/SOI/);
    const { status, body } = await removeViaApi(server, file, "soi.jpg");
    expect(status).toBe(422);
    expect(body["error"]).toBe("The JPEG file is damaged: it has a misplaced marker.");
  });
});
