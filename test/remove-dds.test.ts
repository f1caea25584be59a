import crypto from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  DDSCAPS2_CUBEMAP_ALLFACES, DDSCAPS2_VOLUME, DDSCAPS_COMPLEX_MIPMAP, DDSCAPS_TEXTURE, DDSD_DEPTH, DDSD_MIPMAPCOUNT, DDSD_TEXTURE, DIMENSION_3D,
  DXGI_BC3_TYPELESS, DXGI_BC7_UNORM, DXGI_R8G8B8A8_UNORM, MISC_TEXTURECUBE, ddsHeader, patternBytes,
} from "./helpers/make-dds.js";
import { proveDds } from "../src/cleaners/proof/dds-proof.js";
import { findMarker } from "./helpers/marker-scan.js";
import { cleanedCopyViaApi, removeViaApi } from "./helpers/remove-api.js";
import { type RunningServer, postFile, startServer } from "./helpers/server.js";
import { CONVERT, EXIFTOOL, pixelSignature, run } from "./helpers/tools.js";

let server: RunningServer;
let dir: string;
const MARKER = `Ddsmark${crypto.randomBytes(6).toString("hex")}`;
const HEADER = 128;
/** dwReserved1: eleven DWORDs from byte 32, where writers sign. */
const RESERVED1 = 32;
/** dwReserved2, the header's last DWORD. */
const RESERVED2 = 124;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-dds-"));
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

/**
 * `made` with the marker where a writer can hide it: in dwReserved1 (after NVIDIA Texture Tools'
 * "NVTT" signature, where it sits), in dwReserved2 (its first 4 bytes), and in bytes after the
 * pixels.
 */
function marked(made: Buffer): Buffer {
  const bytes = Buffer.from(made);
  bytes.fill(0, RESERVED1, RESERVED1 + 44);
  bytes.write(`NVTT${MARKER}`, RESERVED1, "latin1");
  bytes.write(MARKER, RESERVED2, 4, "latin1");
  return Buffer.concat([bytes, Buffer.from(`appended ${MARKER}`, "latin1")]);
}

/** Removes `data` through the API, expecting a clean copy whose pixel data is `pixels` byte for byte, with the marker nowhere. */
async function cleanedCopy(data: Buffer, name: string, pixelsAt: number, pixels: Buffer): Promise<{ out: string; cleaned: Buffer }> {
  const file = path.join(dir, `${crypto.randomUUID()}-${name}`);
  await fs.writeFile(file, data);
  expect((await findMarker(file, MARKER)).length).toBeGreaterThan(0);
  const { out } = await cleanedCopyViaApi(server, file, dir);
  const cleaned = await fs.readFile(out);
  expect(await findMarker(out, MARKER)).toEqual([]);
  expect(cleaned.subarray(RESERVED1, RESERVED1 + 44).every((b) => b === 0)).toBe(true);
  expect(cleaned.readUInt32LE(RESERVED2)).toBe(0);
  expect(cleaned.length).toBe(pixelsAt + pixels.length);
  expect(cleaned.subarray(pixelsAt).equals(pixels)).toBe(true);
  expect(await proveDds(out)).toBeNull();
  return { out, cleaned };
}

/** ImageMagick's DDS of a gradient (a 64x32 one gets a full mip chain, a 37x21 one none), and the signature of its pixels. */
async function madeByImageMagick(size: string, compression: string, alpha: boolean): Promise<{ made: Buffer; pixels: string }> {
  const file = path.join(dir, `made-${crypto.randomUUID()}.dds`);
  const gradient = alpha ? "gradient:rgba(255,32,0,1)-rgba(0,48,255,0.2)" : "gradient:#ff2000-#0030ff";
  await run(CONVERT, ["-size", size, gradient, "-define", `dds:compression=${compression}`, file]);
  return { made: await fs.readFile(file), pixels: await pixelSignature(file) };
}

describe("POST /api/v1/remove on DirectDraw Surface textures", () => {
  it.each([
    ["64x32", "dxt1", false, "DXT1"],
    ["64x32", "dxt5", true, "DXT5"],
    ["64x32", "none", true, "\0\0\0\0"],
    ["37x21", "dxt1", false, "DXT1"],
    ["37x21", "none", false, "\0\0\0\0"],
  ] as const)("zeroes the writer's reserved DWORDs and cuts bytes after the pixels (%s %s), pixels unchanged", async (size, compression, alpha, fourCc) => {
    const { made, pixels } = await madeByImageMagick(size, compression, alpha);
    expect(made.toString("latin1", 84, 88)).toBe(fourCc);
    expect(made.toString("latin1", RESERVED1, RESERVED1 + 11)).toBe("IMAGEMAGICK");
    const data = marked(made);
    const { out } = await cleanedCopy(data, `texture-${size}.dds`, HEADER, made.subarray(HEADER));
    expect(await pixelSignature(out)).toBe(pixels);
  });

  it("is recognised by its header although ExifTool has no DDS module, its writer's signature and appended bytes listed", async () => {
    const { made } = await madeByImageMagick("64x32", "dxt5", true);
    const data = marked(made);
    // NVTT's version after its signature: bytes of a number, no text.
    data.writeUInt32LE(0x020101, RESERVED1 + 40);
    const file = path.join(dir, "signed.dds");
    await fs.writeFile(file, data);
    const { stdout } = await run(EXIFTOOL, ["-s3", "-Error", file], { okCodes: [1] });
    expect(stdout.toString("utf8").trim()).toBe("Unknown file type");
    const res = await postFile(`${server.baseUrl}/api/v1/extract`, { name: "signed.dds", data }, { headers: { "X-API-Key": server.apiKey } });
    const body = (await res.json()) as { metadata: Record<string, Record<string, unknown>>; findings: { kind: string; title: string }[] };
    expect(body.metadata["File"]!["FileType"]).toBe("DDS");
    expect(body.metadata["File"]!["Type"]).toBe("image/vnd-ms.dds");
    expect(body.metadata["File"]!["ImageWidth"]).toBe("64");
    expect(body.metadata["dds"]).toEqual({ Software: `NVTT${MARKER}`, PrivateData: "[binary data: 44 bytes]" });
    const appended = `appended ${MARKER}`.length;
    expect(body.findings.map((f) => f.title)).toContain(`The file hides ${appended} bytes after the end of its picture (data).`);

    const { status, body: removal } = await removeViaApi(server, file);
    expect(status, JSON.stringify(removal)).toBe(200);
    expect(removal["removed"]).toEqual({ dds: 2 });
  });

  it.each([
    {
      name: "a DX10 array of three RGBA textures with mip chains",
      header: { width: 8, height: 4, mipCount: 4, flags: DDSD_TEXTURE | DDSD_MIPMAPCOUNT, caps: DDSCAPS_TEXTURE | DDSCAPS_COMPLEX_MIPMAP, dxgiFormat: DXGI_R8G8B8A8_UNORM, arraySize: 3 },
      bytes: 3 * (8 * 4 + 4 * 2 + 2 * 1 + 1 * 1) * 4,
    },
    {
      // Pillow (11.2 on) saves BC2, BC3 and BC5 as a DX10 texture whose array size is 0, and reads
      // one texture there (its test images bc1.dds and bc5_snorm.dds have the same header).
      name: "a DX10 BC3 texture of array size 0, as Pillow writes it",
      header: { width: 16, height: 8, dxgiFormat: DXGI_BC3_TYPELESS, arraySize: 0 },
      bytes: 4 * 2 * 16,
    },
    {
      name: "a DX10 BC7 cube map",
      header: { width: 8, height: 8, dxgiFormat: DXGI_BC7_UNORM, miscFlag: MISC_TEXTURECUBE, arraySize: 1 },
      bytes: 6 * 4 * 16,
    },
    {
      name: "a DX10 volume with mip levels",
      header: { width: 4, height: 4, depth: 4, mipCount: 3, flags: DDSD_TEXTURE | DDSD_DEPTH | DDSD_MIPMAPCOUNT, dxgiFormat: DXGI_R8G8B8A8_UNORM, dimension: DIMENSION_3D },
      bytes: (4 * 4 * 4 + 2 * 2 * 2 + 1) * 4,
    },
    {
      name: "a legacy DXT1 cube map with mip chains",
      header: { width: 16, height: 16, mipCount: 5, fourCc: "DXT1", caps: DDSCAPS_TEXTURE | DDSCAPS_COMPLEX_MIPMAP, caps2: DDSCAPS2_CUBEMAP_ALLFACES },
      bytes: 6 * (16 + 4 + 1 + 1 + 1) * 8,
    },
    {
      name: "a legacy 24-bit volume",
      header: { width: 5, height: 3, depth: 2, masks: { bits: 24, r: 0xff0000, g: 0xff00, b: 0xff, a: 0 }, caps2: DDSCAPS2_VOLUME, flags: DDSD_TEXTURE | DDSD_DEPTH },
      bytes: 5 * 3 * 3 * 2,
    },
  ])("copies exactly the pixel data of $name", async ({ header, bytes }) => {
    const head = ddsHeader(header);
    const pixels = patternBytes(bytes, bytes);
    const data = marked(Buffer.concat([head, pixels]));
    const { cleaned } = await cleanedCopy(data, "built.dds", head.length, pixels);
    expect(cleaned.subarray(HEADER, head.length).equals(head.subarray(HEADER))).toBe(true);
  });

  it("the proof of a cleaned texture fails for each place a writer can hide bytes, added to a cleaned copy", async () => {
    const dx10 = ddsHeader({ width: 8, height: 8, dxgiFormat: DXGI_BC7_UNORM, arraySize: 1 });
    const copyOf = async (made: Buffer, headerLength: number): Promise<Buffer> => (await cleanedCopy(marked(made), "copy.dds", headerLength, made.subarray(headerLength))).cleaned;
    const dxt = await copyOf((await madeByImageMagick("64x32", "dxt1", false)).made, HEADER);
    const rgb = await copyOf((await madeByImageMagick("37x21", "none", false)).made, HEADER);
    const bc7 = await copyOf(Buffer.concat([dx10, patternBytes(64, 3)]), dx10.length);
    const changed = (copy: Buffer, at: number, value: number): Buffer => {
      const b = Buffer.from(copy);
      b.writeUInt32LE(value, at);
      return b;
    };
    const hiding: ReadonlyArray<[string, Buffer]> = [
      ["a writer's name in the reserved DWORDs", changed(dxt, RESERVED1 + 36, 0x5454564e)],
      ["the last reserved DWORD", changed(rgb, RESERVED2, 1)],
      ["caps3", changed(dxt, 116, 0x1000)],
      ["a header flag bit no reader defines", changed(dxt, 8, (dxt.readUInt32LE(8) | 0x40000000) >>> 0)],
      ["a pixel format flag bit NVTT uses privately", changed(dxt, 80, (dxt.readUInt32LE(80) | 0x80000000) >>> 0)],
      ["a depth in a texture that is no volume", changed(rgb, 24, 7)],
      ["a FourCC in an uncompressed format", changed(rgb, 84, 0x31545844)],
      ["a bit count in a compressed format (NVTT's swizzle code)", changed(dxt, 88, 0x5958_3241)],
      ["a linear size other than the exact one", changed(dxt, 20, dxt.readUInt32LE(20) + 1)],
      ["a DX10 misc flag past the cube map's", changed(bc7, 136, 0x10)],
      ["a byte after the pixels", Buffer.concat([rgb, Buffer.from([0])])],
      ["a byte less than the pixels", rgb.subarray(0, rgb.length - 1)],
    ];
    for (const [where, bytes] of hiding) {
      const file = path.join(dir, `hiding-${crypto.randomUUID()}.dds`);
      await fs.writeFile(file, bytes);
      expect(await proveDds(file), where).not.toBeNull();
    }
  });

  it("refuses a texture whose pixels begin with a photo ExifTool reads, rather than hand back its EXIF as clean", async () => {
    // ExifTool reads a JPEG it finds in an unknown file's first kilobyte ("JPEG-like data after
    // unknown header"): here the pixels of an 8-bit luminance texture are a JPEG with an Artist.
    const photo = path.join(dir, "inside.jpg");
    await run(CONVERT, ["-size", "16x16", "xc:red", photo]);
    await run(EXIFTOOL, ["-q", "-overwrite_original", `-Artist=${MARKER}`, photo]);
    const jpeg = await fs.readFile(photo);
    const width = 64;
    const height = Math.ceil(jpeg.length / width);
    const head = ddsHeader({ width, height, masks: { bits: 8, r: 0xff, g: 0, b: 0, a: 0 } });
    head.writeUInt32LE(0x20000, 80);
    const file = path.join(dir, "polyglot.dds");
    await fs.writeFile(file, Buffer.concat([head, jpeg, Buffer.alloc(width * height - jpeg.length)]));
    const { stdout } = await run(EXIFTOOL, ["-s3", "-Artist", file]);
    expect(stdout.toString("utf8").trim()).toBe(MARKER);

    const { status, body, cleaned } = await removeViaApi(server, file);
    expect(cleaned, JSON.stringify(body)).toBeNull();
    expect(status).toBe(422);
    expect(body["error"]).toBe("The file's metadata could not be removed completely.");
  });

  it("says in words why a texture whose pixels are cut short cannot be cleaned", async () => {
    const { made } = await madeByImageMagick("64x32", "dxt1", false);
    const file = path.join(dir, "cut.dds");
    await fs.writeFile(file, made.subarray(0, made.length - 1));
    const { status, body } = await removeViaApi(server, file);
    expect(status).toBe(422);
    expect(body["error"]).toBe("The DDS texture cannot be cleaned: its pixel data is cut short.");
  });
});

