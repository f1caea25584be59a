import crypto from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { box } from "./helpers/make-formats.js";
import { findMarker } from "./helpers/marker-scan.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { type RunningServer, startServer } from "./helpers/server.js";
import { CONVERT, exiftool, pixelSignature, run } from "./helpers/tools.js";

let server: RunningServer;
let dir: string;
const MARKER = `Resdmark${crypto.randomBytes(6).toString("hex")}`;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-jp2-resd-"));
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

describe("POST /api/v1/remove on a JP2 with a display or capture resolution", () => {
  // metadata-extractor's balloon.jpf has a `res ` box holding `resd` (72 dpi); the copy was refused
  // for it as metadata left behind. The same for `resc`, the grid a scanner captured the picture at
  // (libvips' issue412.jp2, tika's testJPEG.jp2), kept like a TIFF's XResolution.
  it.each([
    ["resd", "DisplayXResolution"],
    ["resc", "CaptureXResolution"],
  ] as const)("keeps the %s box, removes the metadata, pixels unchanged", async (type, tag) => {
    const made = path.join(dir, `made-${type}.jp2`);
    await run(CONVERT, ["-size", "32x24", "gradient:#ff2000-#0030ff", made]);
    const bytes = await fs.readFile(made);
    const jp2h = bytes.indexOf("jp2h", 0, "latin1") - 4;
    const size = bytes.readUInt32BE(jp2h);
    // 72 dpi as 2835 pixels per metre: numerator, denominator, exponent, for each direction.
    const resolution = Buffer.alloc(10);
    resolution.writeUInt16BE(2835, 0);
    resolution.writeUInt16BE(1, 2);
    resolution.writeUInt16BE(2835, 4);
    resolution.writeUInt16BE(1, 6);
    const res = box("res ", box(type, resolution));
    const header = Buffer.concat([bytes.subarray(jp2h, jp2h + size), res]);
    header.writeUInt32BE(header.length);
    const file = path.join(dir, `in-${type}.jp2`);
    await fs.writeFile(file, Buffer.concat([bytes.subarray(0, jp2h), header, bytes.subarray(jp2h + size)]));
    await exiftool(["-q", "-overwrite_original", `-XMP:Creator=${MARKER}`, file]);
    const resolutionTag = async (f: string): Promise<string> => (await exiftool(["-s3", `-Jpeg2000:${tag}`, f])).trim();
    expect(await resolutionTag(file)).not.toBe("");
    expect(await findMarker(file, MARKER)).not.toEqual([]);
    const pixels = await pixelSignature(file);

    const { status, body, cleaned } = await removeViaApi(server, file, "picture.jp2");
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body["remaining"]).toEqual({});
    const out = path.join(dir, `cleaned-${type}.jp2`);
    await fs.writeFile(out, cleaned!);
    expect(await findMarker(out, MARKER)).toEqual([]);
    expect(await resolutionTag(out)).toBe(await resolutionTag(file));
    expect(await pixelSignature(out)).toBe(pixels);
  });
});
