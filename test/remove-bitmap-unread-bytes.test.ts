import crypto from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bitmapArray, drawnBitmap } from "./helpers/make-bitmaps.js";
import { iccProfile } from "./helpers/make-images.js";
import { findMarker } from "./helpers/marker-scan.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { type RunningServer, startServer } from "./helpers/server.js";
import { CONVERT, exiftool, pixelSignature, run } from "./helpers/tools.js";

/*
 * Bytes of a bitmap (BMP, an icon's or an OS/2 array's) that no reader draws from: the colour
 * table of a 16-, 24- or 32-bit picture (its pixels are colours, the table only a hint for
 * 256-colour screens) and an info header's bytes past the last field any version defines (a stated
 * size of 1000 where V5 ends at 124). Both went into the clean copy as they were; so did a V4 or
 * V5 header's colour endpoints and gamma (48 bytes) where its colour space (sRGB, Windows', a
 * profile) says they are not used.
 */

const MARKER = `BmpHdr${crypto.randomBytes(6).toString("hex")}`;
const FILE_HEADER = 14;
const V5 = 124;
const V4 = 108;
/** Where a V4 or V5 header's colour space, and its endpoints and gamma, lie from its start. */
const CS_TYPE = 56;
const ENDPOINTS = 60;

let server: RunningServer;
let dir: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-bmp-unread-"));
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

/** `n` bytes of the marker as text, over and over (UTF-8 and UTF-16). */
function planted(n: number): Buffer {
  const text = Buffer.concat([Buffer.from(` ${MARKER} `), Buffer.from(MARKER, "utf16le")]);
  return Buffer.alloc(n, text);
}

async function draw(name: string, format: string, args: readonly string[]): Promise<{ file: string; bytes: Buffer }> {
  const file = path.join(dir, name);
  await run(CONVERT, ["-size", "40x30", "gradient:#ff2000-#0030ff", ...args, `${format}:${file}`]);
  return { file, bytes: await fs.readFile(file) };
}

/** `bmp` with `inserted` put at `at` (before the pixels), the pixel offset and file size moved to match. */
function insert(bmp: Buffer, at: number, inserted: Buffer): Buffer {
  const out = Buffer.concat([bmp.subarray(0, at), inserted, bmp.subarray(at)]);
  out.writeUInt32LE(bmp.readUInt32LE(10) + inserted.length, 10);
  out.writeUInt32LE(out.length, 2);
  return out;
}

async function clean(file: string, name = "picture.bmp"): Promise<string> {
  const { status, body, cleaned } = await removeViaApi(server, file, name);
  expect(status, JSON.stringify(body)).toBe(200);
  expect(body["remaining"]).toEqual({});
  const out = path.join(dir, `cleaned-${path.basename(file)}`);
  await fs.writeFile(out, cleaned!);
  return out;
}

describe("POST /api/v1/remove on a BMP with bytes no reader draws from", () => {
  it.each([
    ["a 24-bit picture (40-byte header)", "bmp3", ["-type", "TrueColor"]],
    ["a 32-bit picture with alpha (V5 header)", "bmp", ["-type", "TrueColorAlpha"]],
    ["a 16-bit picture (V5 header, bit fields)", "bmp", ["-define", "bmp:subtype=RGB565"]],
  ] as const)("drops the colour table of %s, pixels unchanged", async (_what, format, args) => {
    const { file, bytes } = await draw(`table-${format}-${args.at(-1)}.bmp`, format, args);
    const drawn = await pixelSignature(file);
    expect(bytes.readUInt16LE(FILE_HEADER + 14)).toBeGreaterThan(8);
    const entries = 64;
    const marked = insert(bytes, bytes.readUInt32LE(10), planted(4 * entries));
    marked.writeUInt32LE(entries, FILE_HEADER + 32);
    await fs.writeFile(file, marked);
    expect(await pixelSignature(file)).toBe(drawn);
    expect(await findMarker(file, MARKER)).not.toEqual([]);

    const out = await clean(file);
    expect(await findMarker(out, MARKER)).toEqual([]);
    expect(await pixelSignature(out)).toBe(drawn);
  });

  it("cuts an info header stated as 1000 bytes to V5's 124, pixels unchanged", async () => {
    const { file, bytes } = await draw("oversized.bmp", "bmp", ["-type", "TrueColor"]);
    const drawn = await pixelSignature(file);
    expect(bytes.readUInt32LE(FILE_HEADER)).toBe(V5);
    const marked = insert(bytes, FILE_HEADER + V5, planted(1000 - V5));
    marked.writeUInt32LE(1000, FILE_HEADER);
    await fs.writeFile(file, marked);
    expect(await findMarker(file, MARKER)).not.toEqual([]);

    const out = await clean(file);
    expect(await findMarker(out, MARKER)).toEqual([]);
    // ImageMagick refuses the stated 1000 bytes, so the copy is compared with the picture as drawn.
    expect(await pixelSignature(out)).toBe(drawn);
    expect((await fs.readFile(out)).length).toBe(bytes.length);
  });

  it("with keep=colorProfile, a profile after an oversized header is kept, its offset moved with it", async () => {
    const { file, bytes } = await draw("oversized-profile.bmp", "bmp", ["-type", "TrueColor"]);
    const drawn = await pixelSignature(file);
    const profile = iccProfile("Kept profile");
    const marked = insert(bytes, FILE_HEADER + V5, Buffer.concat([planted(1000 - V5), profile]));
    marked.writeUInt32LE(1000, FILE_HEADER);
    marked.write("DEBM", FILE_HEADER + 56, "latin1");
    marked.writeUInt32LE(1000, FILE_HEADER + 112);
    marked.writeUInt32LE(profile.length, FILE_HEADER + 116);
    await fs.writeFile(file, marked);
    expect(await findMarker(file, MARKER)).not.toEqual([]);

    const { status, body, cleaned: copy } = await removeViaApi(server, file, "picture.bmp", { keep: "colorProfile" });
    expect(status, JSON.stringify(body)).toBe(200);
    const out = path.join(dir, "cleaned-oversized-profile.bmp");
    await fs.writeFile(out, copy!);
    expect(await findMarker(out, MARKER)).toEqual([]);
    // ExifTool reads a profile after a header of exactly V5's size only: the copy's is one.
    expect((await exiftool(["-s3", "-ICC_Profile:ProfileDescription", out])).trim()).toBe("Kept profile");
    const cleaned = await fs.readFile(out);
    const pixelsAt = cleaned.readUInt32LE(10);
    expect(cleaned.subarray(pixelsAt).equals(bytes.subarray(bytes.readUInt32LE(10)))).toBe(true);
    // ImageMagick refuses this hand-made profile: the same pixels with the profile switched off.
    cleaned.write("BGRs", FILE_HEADER + 56, "latin1");
    await fs.writeFile(out, cleaned);
    expect(await pixelSignature(out)).toBe(drawn);
  });
});

describe("POST /api/v1/remove on bitmaps whose colour space leaves the endpoints and gamma unused", () => {
  /** ImageMagick's V5 BMP (sRGB), cut to a V4 header with `v4`, its colour space `cs` and `endpoints` written over its endpoints and gamma. */
  async function spaced(name: string, cs: string, v4: boolean, endpoints: Buffer): Promise<{ file: string; drawn: string }> {
    const { file, bytes } = await draw(name, "bmp", ["-type", "TrueColor"]);
    const drawn = await pixelSignature(file);
    expect(bytes.readUInt32LE(FILE_HEADER)).toBe(V5);
    const cut = V5 - V4;
    const out = v4 ? Buffer.concat([bytes.subarray(0, FILE_HEADER + V4), bytes.subarray(FILE_HEADER + V5)]) : Buffer.from(bytes);
    if (v4) {
      out.writeUInt32LE(V4, FILE_HEADER);
      out.writeUInt32LE(bytes.readUInt32LE(10) - cut, 10);
      out.writeUInt32LE(out.length, 2);
    }
    out.write(cs, FILE_HEADER + CS_TYPE, "latin1");
    endpoints.copy(out, FILE_HEADER + ENDPOINTS);
    await fs.writeFile(file, out);
    expect(await pixelSignature(file)).toBe(drawn);
    return { file, drawn };
  }

  it.each([
    ["sRGB (V5 header)", "BGRs", false],
    ["Windows' colour space (V4 header)", " niW", true],
  ] as const)("zeroes them in a BMP of %s, pixels unchanged", async (_what, cs, v4) => {
    const { file, drawn } = await spaced(`endpoints-${v4 ? "v4" : "v5"}.bmp`, cs, v4, planted(48));
    expect(await findMarker(file, MARKER)).not.toEqual([]);

    const out = await clean(file);
    expect(await findMarker(out, MARKER)).toEqual([]);
    expect(await pixelSignature(out)).toBe(drawn);
    const cleaned = await fs.readFile(out);
    expect(cleaned.toString("latin1", FILE_HEADER + CS_TYPE, FILE_HEADER + CS_TYPE + 4)).toBe(cs);
    expect(cleaned.subarray(FILE_HEADER + ENDPOINTS, FILE_HEADER + ENDPOINTS + 48).equals(Buffer.alloc(48))).toBe(true);
  });

  it("keeps them for a calibrated colour space, which reads them", async () => {
    // D65-like primaries in 2.30 fixed point, gamma 2.2 in 16.16.
    const endpoints = Buffer.alloc(48);
    [0.64, 0.33, 0.03, 0.3, 0.6, 0.1, 0.15, 0.06, 0.79].forEach((v, i) => endpoints.writeUInt32LE(Math.round(v * 2 ** 30), 4 * i));
    for (let i = 0; i < 3; i++) endpoints.writeUInt32LE(Math.round(2.2 * 65536), 36 + 4 * i);
    const { file, drawn } = await spaced("calibrated.bmp", "\0\0\0\0", false, endpoints);

    const out = await clean(file);
    expect(await pixelSignature(out)).toBe(drawn);
    expect((await fs.readFile(out)).subarray(FILE_HEADER + ENDPOINTS, FILE_HEADER + ENDPOINTS + 48).equals(endpoints)).toBe(true);
  });

  it("zeroes them in an icon's V5 header (sRGB), rows unchanged", async () => {
    const file = path.join(dir, "endpoints.ico");
    await run(CONVERT, ["-size", "16x16", "gradient:#ff2000-#0030ff", "-type", "TrueColorAlpha", `ico:${file}`]);
    const drawn = await fs.readFile(file);
    const imageAt = drawn.readUInt32LE(18);
    // The 84 bytes that make its 40-byte header a V5 one.
    const v5 = Buffer.alloc(V5 - 40);
    v5.write("BGRs", CS_TYPE - 40, "latin1");
    planted(48).copy(v5, ENDPOINTS - 40);
    const marked = Buffer.concat([drawn.subarray(0, imageAt + 40), v5, drawn.subarray(imageAt + 40)]);
    marked.writeUInt32LE(V5, imageAt);
    marked.writeUInt32LE(drawn.readUInt32LE(14) + v5.length, 14);
    await fs.writeFile(file, marked);
    expect(await findMarker(file, MARKER)).not.toEqual([]);

    const out = await clean(file, "icon.ico");
    expect(await findMarker(out, MARKER)).toEqual([]);
    const cleaned = await fs.readFile(out);
    expect(cleaned.toString("latin1", imageAt + CS_TYPE, imageAt + CS_TYPE + 4)).toBe("BGRs");
    // ImageMagick reads an icon's rows right after 40 bytes whatever its header's size: compared byte for byte.
    expect(cleaned.subarray(imageAt + V5).equals(marked.subarray(imageAt + V5))).toBe(true);
  });

  it("zeroes them in an OS/2 array's bitmap of a V5 header (sRGB), its pixels where they were", async () => {
    const drawn = await drawnBitmap(path.join(dir, "endpoints-entry.bmp"), "BMP3", "23x17", "TrueColor");
    const info = Buffer.alloc(V5);
    drawn.info.copy(info, 0, 0, 40);
    info.writeUInt32LE(V5, 0);
    info.write("BGRs", CS_TYPE, "latin1");
    planted(48).copy(info, ENDPOINTS);
    const { bytes, placed } = bitmapArray([[{ ...drawn, info }]], Buffer.alloc(0), Buffer.alloc(0));
    const file = path.join(dir, "endpoints-array.bmp");
    await fs.writeFile(file, bytes);
    expect(await findMarker(file, MARKER)).not.toEqual([]);

    const out = await clean(file, "icons.ico");
    expect(await findMarker(out, MARKER)).toEqual([]);
    const cleaned = await fs.readFile(out);
    const [{ headerAt, pixelsAt, pixelsEnd }] = placed as [(typeof placed)[number]];
    expect(cleaned.subarray(pixelsAt, pixelsEnd).equals(drawn.pixels)).toBe(true);
    const infoAt = headerAt + FILE_HEADER;
    expect(cleaned.toString("latin1", infoAt + CS_TYPE, infoAt + CS_TYPE + 4)).toBe("BGRs");
    expect(cleaned.subarray(infoAt + ENDPOINTS, infoAt + ENDPOINTS + 48).equals(Buffer.alloc(48))).toBe(true);
  });
});

describe("POST /api/v1/remove on icons and OS/2 bitmap arrays with bytes no reader draws from", () => {
  /** A 32-bit icon drawn by ImageMagick, `inserted` put after its image's 40-byte info header. */
  async function icon(name: string, inserted: Buffer): Promise<{ file: string; drawn: Buffer; marked: Buffer; imageAt: number }> {
    const file = path.join(dir, name);
    await run(CONVERT, ["-size", "16x16", "gradient:#ff2000-#0030ff", "-type", "TrueColorAlpha", `ico:${file}`]);
    const drawn = await fs.readFile(file);
    expect(drawn.readUInt16LE(4)).toBe(1);
    const imageAt = drawn.readUInt32LE(18);
    expect(drawn.readUInt32LE(imageAt)).toBe(40);
    const marked = Buffer.concat([drawn.subarray(0, imageAt + 40), inserted, drawn.subarray(imageAt + 40)]);
    marked.writeUInt32LE(drawn.readUInt32LE(14) + inserted.length, 14);
    await fs.writeFile(file, marked);
    return { file, drawn, marked, imageAt };
  }

  it("zeroes a 32-bit icon's colour table, pixels unchanged", async () => {
    const entries = 64;
    const { file, drawn, marked, imageAt } = await icon("table.ico", planted(4 * entries));
    marked.writeUInt32LE(entries, imageAt + 32);
    await fs.writeFile(file, marked);
    expect(await findMarker(file, MARKER)).not.toEqual([]);
    const drawnFile = path.join(dir, "drawn.ico");
    await fs.writeFile(drawnFile, drawn);
    // ImageMagick skips the stated table, as Windows does.
    expect(await pixelSignature(file)).toBe(await pixelSignature(drawnFile));

    const out = await clean(file, "icon.ico");
    expect(await findMarker(out, MARKER)).toEqual([]);
    expect(await pixelSignature(out)).toBe(await pixelSignature(drawnFile));
  });

  it("zeroes an icon's info header past V5's fields, rows unchanged", async () => {
    // Past V5's fields: those before it are fields of a V5 header.
    const { file, marked, imageAt } = await icon("oversized.ico", Buffer.concat([Buffer.alloc(V5 - 40), planted(1000 - V5)]));
    marked.writeUInt32LE(1000, imageAt);
    await fs.writeFile(file, marked);
    expect(await findMarker(file, MARKER)).not.toEqual([]);

    const out = await clean(file, "icon.ico");
    expect(await findMarker(out, MARKER)).toEqual([]);
    // ImageMagick reads an icon's rows right after 40 bytes whatever the header's size (Windows
    // after its stated size), so the copy is compared byte for byte: the rows where they were.
    const cleaned = await fs.readFile(out);
    expect(cleaned.readUInt32LE(18)).toBe(imageAt);
    expect(cleaned.subarray(imageAt + 1000).equals(marked.subarray(imageAt + 1000))).toBe(true);
    expect(cleaned.subarray(imageAt, imageAt + 40).equals(marked.subarray(imageAt, imageAt + 40))).toBe(true);
  });

  it("switches an icon's V5 header with a linked colour profile to sRGB and drops the profile's path", async () => {
    // A V5 header (the 84 bytes past a 40-byte one), its profile after the colour rows and mask.
    const v5 = Buffer.alloc(V5 - 40);
    const { file, marked, imageAt } = await icon("linked.ico", v5);
    const imageSize = marked.readUInt32LE(14);
    const linked = Buffer.from(`C:\\Users\\${MARKER}\\profile.icc\0`, "latin1");
    marked.writeUInt32LE(V5, imageAt);
    marked.write("KNIL", imageAt + 56, "latin1");
    marked.writeUInt32LE(imageSize, imageAt + 112);
    marked.writeUInt32LE(linked.length, imageAt + 116);
    marked.writeUInt32LE(imageSize + linked.length, 14);
    const withPath = Buffer.concat([marked, linked]);
    await fs.writeFile(file, withPath);
    expect(await findMarker(file, MARKER)).not.toEqual([]);

    const out = await clean(file, "icon.ico");
    expect(await findMarker(out, MARKER)).toEqual([]);
    const cleaned = await fs.readFile(out);
    expect(cleaned.toString("latin1", imageAt + 56, imageAt + 60)).toBe("BGRs");
    // ImageMagick reads an icon's rows right after 40 bytes whatever its header's size: compared byte for byte.
    expect(cleaned.subarray(imageAt + V5, imageAt + imageSize).equals(withPath.subarray(imageAt + V5, imageAt + imageSize))).toBe(true);
  });

  it("zeroes the colour table of an OS/2 array's true-colour bitmap, its pixels where they were", async () => {
    const drawn = await drawnBitmap(path.join(dir, "entry.bmp"), "BMP3", "23x17", "TrueColor");
    const entries = 64;
    const info = Buffer.from(drawn.info);
    info.writeUInt32LE(entries, 32);
    const { bytes, placed } = bitmapArray([[{ ...drawn, info, palette: planted(4 * entries) }]], Buffer.alloc(0), Buffer.alloc(0));
    const file = path.join(dir, "array.bmp");
    await fs.writeFile(file, bytes);
    expect(await findMarker(file, MARKER)).not.toEqual([]);

    const out = await clean(file, "icons.ico");
    expect(await findMarker(out, MARKER)).toEqual([]);
    const cleaned = await fs.readFile(out);
    const [{ pixelsAt, pixelsEnd }] = placed as [(typeof placed)[number]];
    expect(cleaned.subarray(pixelsAt, pixelsEnd).equals(drawn.pixels)).toBe(true);
    // The entry as a plain BMP of its own (ImageMagick 6 reads no arrays): the same picture.
    const single = Buffer.from(cleaned.subarray(14));
    single.writeUInt32LE(single.length, 2);
    single.writeUInt32LE(pixelsAt - 14, 10);
    const one = path.join(dir, "entry-cleaned.bmp");
    await fs.writeFile(one, single);
    expect(await pixelSignature(one)).toBe(await pixelSignature(path.join(dir, "entry.bmp")));
  });
});
