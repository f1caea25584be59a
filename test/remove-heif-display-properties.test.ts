import crypto from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectHeifCleanedSamePixels } from "./helpers/heif-cleaned.js";
import { appendInMetaBox, heifPixelSignature, makeHeif } from "./helpers/make-images.js";
import { findMarker } from "./helpers/marker-scan.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { type RunningServer, startServer } from "./helpers/server.js";
import { exiftool, pixelSignature } from "./helpers/tools.js";

let server: RunningServer;
let dir: string;
const MARKER = `Paspmark${crypto.randomBytes(6).toString("hex")}`;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-heif-pasp-"));
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

describe("POST /api/v1/remove on a HEIC with a pixel aspect ratio property", () => {
  // libavif writes a 1:1 `pasp` in every AVIF (metadata-extractor's sample AVIF has one), which
  // the service refused as metadata left in the copy. heif-enc writes none: its 16-byte `pixi`
  // property becomes a 16-byte `pasp` in place, so nothing else in the file moves.
  it("keeps the property, removes the metadata, pixels unchanged", async () => {
    const file = await makeHeif(dir, MARKER, "heic");
    const bytes = await fs.readFile(file);
    const pixi = bytes.indexOf("pixi", 0, "latin1");
    expect(bytes.readUInt32BE(pixi - 4)).toBe(16);
    bytes.write("pasp", pixi, "latin1");
    bytes.writeUInt32BE(1, pixi + 4);
    bytes.writeUInt32BE(1, pixi + 8);
    await fs.writeFile(file, bytes);
    expect((await exiftool(["-s3", "-QuickTime:PixelAspectRatio", file])).trim()).toBe("1 1");
    expect(await findMarker(file, MARKER)).not.toEqual([]);
    const pixels = await pixelSignature(file);

    const { status, body, cleaned } = await removeViaApi(server, file, "photo.heic");
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body["remaining"]).toEqual({});
    const out = path.join(dir, `cleaned-${crypto.randomUUID()}.heic`);
    await fs.writeFile(out, cleaned!);
    expect(await findMarker(out, MARKER)).toEqual([]);
    expect((await exiftool(["-s3", "-QuickTime:PixelAspectRatio", out])).trim()).toBe("1 1");
    expect(await pixelSignature(out)).toBe(pixels);
  });
});

// The properties made of numbers are read by libheif only as far as their fields go; ExifTool's
// rewrite and the in-place blanking kept whatever a writer put after them.
describe("POST /api/v1/remove on a HEIC/AVIF whose number properties carry bytes past their fields", () => {
  it.each([
    { kind: "heic", type: "ispe" },
    { kind: "heic", type: "pixi" },
    { kind: "avif", type: "colr" },
    { kind: "avif", type: "pixi" },
  ] as const)("$kind, $type: they do not reach the copy, pixels identical", async ({ kind, type }) => {
    const marker = `Proptail${crypto.randomBytes(6).toString("hex")}`;
    const file = await makeHeif(dir, MARKER, kind);
    await fs.writeFile(file, appendInMetaBox(await fs.readFile(file), ["iprp", "ipco", type], Buffer.from(` ${marker}`, "latin1")));
    expect(await findMarker(file, marker)).not.toEqual([]);
    const pixels = await heifPixelSignature(file);

    await expectHeifCleanedSamePixels(server, file, marker, pixels);
  });
});
