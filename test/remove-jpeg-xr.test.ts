import crypto from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Part, zip } from "./helpers/make-office.js";
import { findMarker } from "./helpers/marker-scan.js";
import { readZip } from "./helpers/read-archives.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { type RunningServer, startServer } from "./helpers/server.js";
import { CONVERT, exiftool, run } from "./helpers/tools.js";

let server: RunningServer;
let dir: string;
const MARKER = `Jxrmark${crypto.randomBytes(6).toString("hex")}`;
const FIXTURE = path.resolve("test/fixtures/pptx/picture-effect.pptx");
const WDP_PART = "ppt/media/hdphoto1.wdp";

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-jxr-"));
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

type Kind = "opaque" | "planar alpha" | "planar alpha counted as jxrlib does";

/**
 * A 64x48 gradient encoded by the JPEG XR reference encoder (opaque, or with its alpha as a plane
 * of its own), then given the marker by ExifTool in every place it writes in such a file (IFD0's
 * fields, EXIF, GPS, XMP, IPTC), and followed by bytes holding it. jxrlib writes the file's size
 * as the alpha plane's byte count, which ExifTool refuses to rewrite: the true count is put first,
 * and for the last kind jxrlib's way of counting (the plane's end) is put back after ExifTool.
 */
async function markedPicture(kind: Kind): Promise<string> {
  const id = crypto.randomUUID();
  const alpha = kind !== "opaque";
  const source = path.join(dir, `source-${id}.${alpha ? "tif" : "bmp"}`);
  const gradient = ["-size", "64x48", "gradient:#ff2000-#0030ff"];
  if (alpha) await run(CONVERT, [...gradient, "(", "-size", "64x48", "gradient:white-black", ")", "-alpha", "off", "-compose", "copy_opacity", "-composite", "-depth", "8", "-compress", "none", source]);
  else await run(CONVERT, [...gradient, "-type", "TrueColor", `BMP3:${source}`]);
  const file = path.join(dir, `marked-${id}.jxr`);
  await run("JxrEncApp", ["-i", source, "-o", file, "-q", "1", ...(alpha ? ["-a", "2"] : [])]);
  if (alpha) await patchFields(file, (field, size) => field(ALPHA_BYTE_COUNT).set(size - field(ALPHA_OFFSET).get()));
  await exiftool([
    "-q", "-overwrite_original",
    ...["Artist", "Software", "ImageDescription", "Make", "Model", "Copyright", "DocumentName", "HostComputer"].map((t) => `-IFD0:${t}=${MARKER}`),
    `-EXIF:UserComment=${MARKER}`, "-GPSLatitude=48.1", "-GPSLatitudeRef=N", `-XMP:Creator=${MARKER}`, `-IPTC:Keywords=${MARKER}`,
    file,
  ]);
  if (kind === "planar alpha counted as jxrlib does") await patchFields(file, (field) => field(ALPHA_BYTE_COUNT).set(field(ALPHA_OFFSET).get() + field(ALPHA_BYTE_COUNT).get()));
  await fs.appendFile(file, `trailer ${MARKER}`);
  return file;
}

const ALPHA_OFFSET = 0xbcc2;
const ALPHA_BYTE_COUNT = 0xbcc3;
const PIXEL_FORMAT = 0xbc01;
const XMP = 0x02bc;

/** Rewrites 32-bit values of IFD0's entries in place (the value, or where it lies when it does not fit). */
async function patchFields(file: string, patch: (field: (tag: number) => { get: () => number; set: (v: number) => void }, size: number) => void): Promise<void> {
  const bytes = await fs.readFile(file);
  const ifd = bytes.readUInt32LE(4);
  const field = (tag: number): { get: () => number; set: (v: number) => void } => {
    for (let i = 0; i < bytes.readUInt16LE(ifd); i++) {
      const at = ifd + 2 + i * 12;
      if (bytes.readUInt16LE(at) === tag) return { get: () => bytes.readUInt32LE(at + 8), set: (v) => bytes.writeUInt32LE(v, at + 8) };
    }
    throw new Error(`no tag ${tag.toString(16)}`);
  };
  patch(field, bytes.length);
  await fs.writeFile(file, bytes);
}

/** The pixels the reference decoder makes of a picture (a TIFF keeps the alpha channel). */
async function decoded(file: string): Promise<Buffer> {
  const input = path.join(dir, `decode-${crypto.randomUUID()}.jxr`);
  const output = `${input}.tif`;
  await fs.copyFile(file, input);
  await run("JxrDecApp", ["-i", input, "-o", output]);
  return fs.readFile(output);
}

/** The presentation with `picture` in place of its HD Photo part. */
async function presentationHolding(picture: string): Promise<string> {
  const { members } = await readZip(await fs.readFile(FIXTURE));
  const data = await fs.readFile(picture);
  const file = path.join(dir, `effect-${crypto.randomUUID()}.pptx`);
  await fs.writeFile(file, await zip(members.map((m): Part => [m.name, m.name === WDP_PART ? data : m.data])));
  return file;
}

async function member(bytes: Buffer, name: string): Promise<Buffer> {
  const found = (await readZip(bytes)).members.find((m) => m.name === name);
  if (found == null) throw new Error(`${name} is not in the archive`);
  return found.data;
}

describe("POST /api/v1/remove on JPEG XR (HD Photo) pictures", () => {
  it.each<Kind>(["opaque", "planar alpha", "planar alpha counted as jxrlib does"])("drops IFD0's fields, EXIF, GPS, XMP, IPTC and what follows the picture, the codestreams unchanged (%s)", async (kind) => {
    const file = await markedPicture(kind);
    expect((await exiftool(["-s3", "-FileType", file])).trim()).toBe("JXR");
    expect((await exiftool(["-s3", "-IFD0:Artist", "-XMP:Creator", "-IPTC:Keywords", "-EXIF:UserComment", file])).split("\n").filter((l) => l === MARKER)).toHaveLength(4);

    const { status, body, cleaned } = await removeViaApi(server, file, "picture.jxr");
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body["remaining"]).toEqual({});
    const removed = body["removed"] as Record<string, number>;
    expect(removed["exif"]).toBeGreaterThanOrEqual(10);
    expect(removed["xmp"]).toBeGreaterThan(0);
    expect(removed["iptc"]).toBeGreaterThan(0);
    const out = path.join(dir, `cleaned-${crypto.randomUUID()}.jxr`);
    await fs.writeFile(out, cleaned!);
    expect(await findMarker(out, MARKER)).toEqual([]);
    expect((await exiftool(["-s3", "-FileType", out])).trim()).toBe("JXR");
    expect((await exiftool(["-s3", "-GPSLatitude", out])).trim()).toBe("");
    expect((await exiftool(["-s3", "-AlphaByteCount", out])).trim() !== "").toBe(kind !== "opaque");
    expect((await decoded(out)).equals(await decoded(file))).toBe(true);
  });

  it("cleans the HD Photo picture PowerPoint keeps for a picture given an effect, as it comes and holding metadata", async () => {
    const asSaved = await removeViaApi(server, FIXTURE, "effect.pptx");
    expect(asSaved.status, JSON.stringify(asSaved.body)).toBe(200);
    const original = await fs.readFile(FIXTURE);
    expect((await member(asSaved.cleaned!, WDP_PART)).subarray(0, 4).equals(Buffer.from([0x49, 0x49, 0xbc, 0x01]))).toBe(true);

    const picture = await markedPicture("opaque");
    const file = await presentationHolding(picture);
    const { status, body, cleaned } = await removeViaApi(server, file, "effect.pptx");
    expect(status, JSON.stringify(body)).toBe(200);
    expect(await findMarker(cleaned!, MARKER)).toEqual([]);
    const wdp = path.join(dir, `part-${crypto.randomUUID()}.wdp`);
    await fs.writeFile(wdp, await member(cleaned!, WDP_PART));
    expect((await decoded(wdp)).equals(await decoded(picture))).toBe(true);
    expect((await member(cleaned!, "ppt/slides/slide1.xml")).equals(await member(original, "ppt/slides/slide1.xml"))).toBe(true);
  });

  it("refuses a picture whose kept field points into its metadata, saying why", async () => {
    const file = await markedPicture("opaque");
    // PixelFormat, a 16-byte value the copy keeps, pointed at the XMP packet, which goes.
    await patchFields(file, (field) => field(PIXEL_FORMAT).set(field(XMP).get()));
    const { status, body } = await removeViaApi(server, file, "crafted.jxr");
    expect(status).toBe(422);
    expect(body["error"]).toBe("The JPEG XR picture is damaged: its picture fields overlap its metadata.");
  });

  it("says in words why a picture cut short cannot be cleaned", async () => {
    const file = await markedPicture("opaque");
    const bytes = await fs.readFile(file);
    const cut = path.join(dir, "cut.jxr");
    await fs.writeFile(cut, bytes.subarray(0, bytes.length - 200));
    const { status, body } = await removeViaApi(server, cut, "cut.jxr");
    expect(status).toBe(422);
    expect(body["error"]).toBe("The JPEG XR picture is damaged: its picture data lies outside the file.");
  });

  it("refuses as too complex, in a moment, a picture whose directory points at thousands of metadata directories", async () => {
    // 4,000 EXIF pointers, each at a directory of its own (empty ones, in a run of zeros).
    const pointers = 4000;
    const dirBytes = 2 + 12 * (pointers + 2) + 4;
    const codestream = Buffer.concat([Buffer.from("WMPHOTO\0", "latin1"), Buffer.alloc(100)]);
    const codestreamAt = 8 + dirBytes;
    const zerosAt = codestreamAt + codestream.length;
    const file = Buffer.alloc(zerosAt + 2 * pointers + 16);
    file.write("II\xbc\x01", 0, "latin1");
    file.writeUInt32LE(8, 4);
    file.writeUInt16LE(pointers + 2, 8);
    const entry = (i: number, tag: number, value: number): void => {
      const at = 10 + 12 * i;
      file.writeUInt16LE(tag, at);
      file.writeUInt16LE(4, at + 2);
      file.writeUInt32LE(1, at + 4);
      file.writeUInt32LE(value, at + 8);
    };
    for (let i = 0; i < pointers; i++) entry(i, 0x8769, zerosAt + 2 * i);
    entry(pointers, 0xbcc0, codestreamAt);
    entry(pointers + 1, 0xbcc1, codestream.length);
    codestream.copy(file, codestreamAt);
    const hostile = path.join(dir, "pointers.jxr");
    await fs.writeFile(hostile, file);
    const started = Date.now();
    const { status, body } = await removeViaApi(server, hostile, "pointers.jxr");
    expect(status).toBe(422);
    expect(body["error"]).toBe("The file is too complex to process within this service's limits.");
    expect(Date.now() - started).toBeLessThan(10_000);
    const health = await fetch(`${server.baseUrl}/healthz`);
    expect(health.status).toBe(200);
  });
});
