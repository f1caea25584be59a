import crypto from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectHeifCleanedSamePixels } from "./helpers/heif-cleaned.js";
import { heifLocations } from "./helpers/make-exif-blocks.js";
import { appendInMetaBox, box, heifPixelSignature, makeHeif } from "./helpers/make-images.js";
import { findMarker } from "./helpers/marker-scan.js";
import { cleanedCopyViaApi, removeViaApi } from "./helpers/remove-api.js";
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

/**
 * Properties of numbers that real AVIF and HEIC files carry and the service refused as metadata
 * left in the copy (AOMediaCodec/av1-avif's test files, pillow_heif's samples): an AV1 picture's
 * operating point, layer sizes and selected layer (Apple's and Xiph's layered AVIF), HDR
 * mastering display and light levels (Microsoft's), and the entity groups of pictures that are
 * alternatives (Nokia's and Samsung's alpha and gain-map files). Added here unassociated, so
 * that the picture decodes as before; ExifTool reads them all the same.
 */
const LAYER_AND_HDR_PROPERTIES: ReadonlyArray<[type: string, payload: Buffer]> = [
  ["a1op", Buffer.from([0])],
  ["lsel", Buffer.from([0, 0])],
  ["a1lx", Buffer.from([0, 0, 0, 0, 0, 0, 0])],
  ["mdcv", Buffer.from("8a48395d1d4c0bb83a983d880d0d004900989680000001f4", "hex")],
  ["clli", Buffer.from([0x07, 0xd0, 0x05, 0xdc])],
];

/** A `grpl` holding an `altr` group of the file's first two stored items. */
function alternatives(file: Buffer, tail = Buffer.alloc(0)): Buffer {
  const ids = heifLocations(file).slice(0, 2).map((l) => l.id);
  const fields = Buffer.alloc(12 + 4 * ids.length);
  fields.writeUInt32BE(1000, 4);
  fields.writeUInt32BE(ids.length, 8);
  ids.forEach((id, i) => fields.writeUInt32BE(id, 12 + 4 * i));
  return box("grpl", box("altr", Buffer.concat([fields, tail])));
}

describe("POST /api/v1/remove on an AVIF with AV1 layer, HDR and entity-group properties", () => {
  it("keeps them, removes the metadata, pixels unchanged", async () => {
    const file = await makeHeif(await fs.mkdtemp(path.join(dir, "layers-")), MARKER, "avif");
    let bytes = appendInMetaBox(await fs.readFile(file), ["iprp", "ipco"], Buffer.concat(LAYER_AND_HDR_PROPERTIES.map(([type, payload]) => box(type, payload))));
    bytes = appendInMetaBox(bytes, [], alternatives(bytes));
    await fs.writeFile(file, bytes);
    const listed = (f: string): Promise<string> => exiftool(["-s", "-u", "-QuickTime:Unknown_a1op", "-QuickTime:Unknown_lsel", "-QuickTime:Unknown_a1lx", "-QuickTime:Unknown_mdcv", "-QuickTime:MaxContentLightLevel", "-QuickTime:Unknown_altr", f]);
    const before = await listed(file);
    expect(before.trim().split("\n")).toHaveLength(6);
    const pixels = await heifPixelSignature(file);

    const out = await expectHeifCleanedSamePixels(server, file, MARKER, pixels);
    expect(await listed(out)).toBe(before);
  });

  it.each(LAYER_AND_HDR_PROPERTIES.map(([type, payload]) => ({ type, payload })))("$type carrying bytes past its fields: they do not reach the copy, pixels identical", async ({ type, payload }) => {
    const marker = `Proptail${crypto.randomBytes(6).toString("hex")}`;
    const file = await makeHeif(await fs.mkdtemp(path.join(dir, `${type}-`)), MARKER, "avif");
    await fs.writeFile(file, appendInMetaBox(await fs.readFile(file), ["iprp", "ipco"], box(type, Buffer.concat([payload, Buffer.from(` ${marker}`, "latin1")]))));
    expect(await findMarker(file, marker)).not.toEqual([]);

    await expectHeifCleanedSamePixels(server, file, marker, await heifPixelSignature(file));
  });

  // libheif 1.15 reads no file whose group has bytes past its ids, before cleaning or after (the
  // group keeps its size, its tail zeroed): only the bytes are checked.
  it("altr carrying bytes past its ids: they do not reach the copy", async () => {
    const marker = `Grouptail${crypto.randomBytes(6).toString("hex")}`;
    const sub = await fs.mkdtemp(path.join(dir, "altr-"));
    const file = await makeHeif(sub, MARKER, "avif");
    const original = await fs.readFile(file);
    await fs.writeFile(file, appendInMetaBox(original, [], alternatives(original, Buffer.from(` ${marker}`, "latin1"))));
    expect(await findMarker(file, marker)).not.toEqual([]);

    const { out } = await cleanedCopyViaApi(server, file, sub);
    expect(await findMarker(out, marker)).toEqual([]);
    expect(await findMarker(out, MARKER)).toEqual([]);
    expect((await exiftool(["-s3", "-u", "-QuickTime:Unknown_altr", out])).trim()).toBe(`(Binary data ${20 + 1 + marker.length} bytes, use -b option to extract)`);
  });
});
