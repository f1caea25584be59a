import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { proveMetafile } from "../src/cleaners/proof/metafile-proof.js";
import { makeEmf, makeWmf } from "./helpers/make-legacy-pictures.js";
import { makeBmp } from "./helpers/make-formats.js";
import { makeGif, makeTiff } from "./helpers/make-images.js";
import { drawn, emfComment, emfPlusRecord, emfRecord, padded, withEmfRecords, withWmfRecords, wmfRecord, words } from "./helpers/make-metafile-records.js";
import { findMarker } from "./helpers/marker-scan.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { type RunningServer, startServer } from "./helpers/server.js";
import { CONVERT, run } from "./helpers/tools.js";

const MARKER = "MFZQ7";
const MBED = 0x4d424544;
const LINK = 0x4c494e4b;
const SRGB = 0x73524742;
let server: RunningServer;
let dir: string;

beforeAll(async () => {
  server = await startServer();
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-metafile-bitmaps-"));
});

afterAll(async () => {
  await server?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

/** Places a bitmap of a drawing record can hide data in, where readers do not look. */
type Place = "endpoints" | "reserved" | "embedded profile" | "linked profile" | "row padding" | "after the pixels" | "after the RLE end";
const PLACES: readonly Place[] = ["endpoints", "reserved", "embedded profile", "linked profile", "row padding", "after the pixels", "after the RLE end"];
const EVERYWHERE = new Set(PLACES);

/** A bitmap of `width` x `height` pixels (palette indices at 8 bits, BGR at 24), each row padded to whole words, with the marker's letters when hiding there; says where the padding lies. */
function rows(width: number, height: number, bpp: number, hide: ReadonlySet<Place>): { bits: Buffer; pads: number[] } {
  const used = (width * bpp) / 8;
  const stride = Math.ceil(used / 4) * 4;
  const bits = Buffer.alloc(stride * height);
  const pads: number[] = [];
  for (let y = 0; y < height; y++) {
    for (let i = 0; i < used; i++) bits[y * stride + i] = bpp === 8 ? (i + y) % 3 : (37 * (i + y)) & 0xff;
    for (let i = used; i < stride; i++) {
      if (hide.has("row padding")) bits[y * stride + i] = MARKER.charCodeAt(i - used);
      pads.push(y * stride + i);
    }
  }
  return { bits, pads };
}

/** A V1 (40 bytes), V4 (108) or V5 (124) info header; the marker in a V4 header's colour endpoints (unused but by calibrated colour spaces) and a V5 header's reserved word when hiding there. */
function infoHeader(
  size: 40 | 108 | 124,
  width: number,
  height: number,
  bpp: number,
  hide: ReadonlySet<Place>,
  o: { compression?: number; colours?: number; space?: number; profile?: [number, number] } = {},
): Buffer {
  const h = Buffer.alloc(size);
  h.set(words(size, width, height), 0);
  h.writeUInt16LE(1, 12);
  h.writeUInt16LE(bpp, 14);
  h.writeUInt32LE(o.compression ?? 0, 16);
  h.writeUInt32LE(o.colours ?? 0, 32);
  if (size >= 108) {
    h.writeUInt32LE(o.space ?? SRGB, 56);
    if (hide.has("endpoints")) h.write(`${MARKER} endpoints`, 60, "latin1");
  }
  if (size === 124) {
    h.writeUInt32LE(4, 108);
    h.set(words(...(o.profile ?? [0, 0])), 112);
    if (hide.has("reserved")) h.write(MARKER.slice(0, 4), 120, "latin1");
  }
  return h;
}

const palette = (...colours: number[]): Buffer => words(...colours);
const text = (place: Place, hide: ReadonlySet<Place>, what: string): Buffer => Buffer.from(hide.has(place) ? `${MARKER} ${what}` : "", "latin1");

/** STRETCHDIBITS ([MS-EMF] 2.3.1.7) drawing `info` and `bits` (split as EMF keeps them) into the rectangle at x, y of size cx, cy; says where its bits start. */
function stretchDibits(info: Buffer, bits: Buffer, at: readonly [number, number, number, number], src: readonly [number, number]): { record: Buffer; bitsAt: number } {
  const [x, y, cx, cy] = at;
  const bitsAt = 80 + padded(info).length;
  const head = words(x, y, x + cx, y + cy, x, y, 0, 0, src[0], src[1], 80, info.length, bitsAt, bits.length, 0, 0x00cc0020, cx, cy);
  return { record: emfRecord(81, head, padded(info), bits), bitsAt };
}

/**
 * Three bitmaps for makeEmf's picture, hiding the marker in the places of `hide`: a 24-bit one
 * (V5 header) with an embedded colour profile after its pixels; an 8-bit one (V5 header) whose
 * linked profile's path follows its colour table and whose bits go on past the last row; an RLE8
 * one with text after its end-of-bitmap escape. Says where the first two's row padding lies in
 * the records, one after the other.
 */
function emfBitmaps(hide: ReadonlySet<Place>): { records: Buffer[]; pads: number[] } {
  const a = rows(3, 2, 24, hide);
  const icc = text("embedded profile", hide, `embedded ICC profile, copyright ${MARKER}`);
  const embedded = icc.length > 0 ? { space: MBED, profile: [124 + a.bits.length, icc.length] as [number, number] } : {};
  const first = stretchDibits(infoHeader(124, 3, 2, 24, hide, embedded), Buffer.concat([a.bits, icc]), [60, 5, 35, 35], [3, 2]);
  const b = rows(5, 3, 8, hide);
  const profilePath = text("linked profile", hide, `C:\\Users\\${MARKER}\\Profiles\\paper.icm\0`);
  const colours = palette(0x00ffff, 0xff00ff, 0x00ff00);
  const linked = profilePath.length > 0 ? { space: LINK, profile: [124 + colours.length, profilePath.length] as [number, number] } : {};
  const second = stretchDibits(
    Buffer.concat([infoHeader(124, 5, 3, 8, hide, { colours: 3, ...linked }), colours, profilePath]),
    Buffer.concat([b.bits, text("after the pixels", hide, "after the pixels")]),
    [5, 60, 35, 35],
    [5, 3],
  );
  const rle = Buffer.concat([Buffer.from([4, 1, 0, 0, 4, 0, 0, 1]), text("after the RLE end", hide, "after the end")]);
  const third = stretchDibits(Buffer.concat([infoHeader(40, 4, 2, 8, hide, { compression: 1, colours: 2 }), palette(0x800000, 0x008080)]), rle, [60, 60, 35, 35], [4, 2]);
  return {
    records: [first.record, second.record, third.record],
    pads: [...a.pads.map((p) => first.bitsAt + p), ...b.pads.map((p) => first.record.length + second.bitsAt + p)],
  };
}

/** STRETCHDIB ([MS-WMF] 2.3.1.6) with a packed 8-bit DIB (V4 header) for makeWmf's picture, hiding the marker in the places of `hide`; says where its row padding lies in the record. */
function wmfBitmap(hide: ReadonlySet<Place>): { records: Buffer[]; pads: number[] } {
  const { bits, pads } = rows(5, 3, 8, hide);
  const colours = palette(0x0000ff, 0x00ff00, 0xffff00);
  const after = text("after the pixels", hide, "after.");
  const dib = Buffer.concat([infoHeader(108, 5, 3, 8, hide, { colours: 3 }), colours, bits, after, Buffer.alloc(after.length % 2)]);
  const params = Buffer.alloc(22);
  params.writeUInt32LE(0x00cc0020, 0);
  [0, 3, 5, 0, 0, 40, 40, 50, 50].forEach((v, i) => params.writeInt16LE(v, 4 + 2 * i));
  return { records: [wmfRecord(0x0f43, Buffer.concat([params, dib]))], pads: pads.map((p) => 28 + 108 + colours.length + p) };
}

const withEmf = (base: Buffer, records: Buffer[]): Buffer => withEmfRecords(base, records);
const withWmf = (base: Buffer, records: Buffer[]): Buffer => withWmfRecords(base, records, 0);

describe("bitmaps inside EMF and WMF drawings", () => {
  const cases = [
    // makeEmf's three texts, then one for each bitmap; the records go before the end-of-file record (the last 20 bytes).
    ["bitmaps.emf", emfBitmaps, makeEmf(MARKER), withEmf, 20, 3 + 3],
    ["bitmap.wmf", wmfBitmap, makeWmf(MARKER), withWmf, 6, 1 + 1],
  ] as const;

  it.each(cases)("%s: profiles, endpoints, row padding and bytes after the pixels become zeros, the same picture drawn", async (name, bitmaps, plain, add, eof, removed) => {
    const { records, pads } = bitmaps(EVERYWHERE);
    const original = add(plain, records);
    const file = path.join(dir, name);
    await fs.writeFile(file, original);
    const { status, body, cleaned } = await removeViaApi(server, file);
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body["removed"]).toEqual({ metafileText: removed });
    expect(body["remaining"]).toEqual({});
    expect(await findMarker(cleaned!, MARKER)).toEqual([]);
    expect(cleaned!.length).toBe(original.length);
    const at = plain.length - eof;
    for (const p of pads) expect(cleaned![at + p], `padding byte ${p}`).toBe(0);
    const picture = await drawn(dir, name, original);
    // The bitmaps are drawn: the picture is not the one without them.
    expect(picture).not.toBe(await drawn(dir, `plain-${name}`, plain));
    expect(await drawn(dir, `copy-${name}`, cleaned!)).toBe(picture);
  });

  it.each(cases)("the proof of a cleaned %s fails for each place a bitmap can hide data, added to a cleaned copy", async (name, bitmaps, plain, add) => {
    const file = path.join(dir, `proof-${name}`);
    await fs.writeFile(file, plain);
    const { status, cleaned } = await removeViaApi(server, file);
    expect(status).toBe(200);
    await fs.writeFile(file, add(cleaned!, bitmaps(new Set()).records));
    expect(await proveMetafile(file)).toBeNull();
    // The WMF's bitmap has a V4 header (no profile) and no RLE.
    const places = name.endsWith(".wmf") ? PLACES.filter((p) => ["endpoints", "row padding", "after the pixels"].includes(p)) : PLACES;
    for (const place of places) {
      await fs.writeFile(file, add(cleaned!, bitmaps(new Set([place])).records));
      expect(await proveMetafile(file), place).not.toBeNull();
    }
  });
});

/** An EMF+ image object ([MS-EMFPLUS] 2.2.1.4: a bitmap stored as a file) holding `file`, in an EMF comment; says where the file starts in the comment. */
function emfPlusImage(file: Buffer): { record: Buffer; fileAt: number } {
  const image = padded(Buffer.concat([words(0xdbc01002, 1, 16, 16, 0, 0x0022200a, 1), file]));
  const record = emfComment(Buffer.from("EMF+", "latin1"), emfPlusRecord(0x4008, image));
  record.writeUInt16LE(0x0500, 16 + 2);
  return { record, fileAt: 16 + 12 + 28 };
}

/** Every frame's pixels, as ImageMagick decodes them. */
async function frames(name: string, bytes: Buffer): Promise<string> {
  const file = path.join(dir, name);
  await fs.writeFile(file, bytes);
  return (await run(CONVERT, [file, "-format", "%#\\n", "info:"])).stdout.toString().trim();
}

describe("pictures of other kinds inside EMF+ images", () => {
  it.each([
    ["a TIFF (EXIF, GPS, IPTC, XMP, ICC profile, text fields)", "tif", (d: string) => makeTiff(d, MARKER)],
    ["an animated GIF (comments, XMP, bytes after its trailer)", "gif", (d: string) => makeGif(d, MARKER)],
    ["a BMP (a V5 header's embedded profile, bytes after it)", "bmp", (d: string) => makeBmp(d, MARKER, false)],
  ] as const)("%s loses its metadata in place, its pixels the same", async (_, ext, make) => {
    const work = await fs.mkdtemp(path.join(dir, `${ext}-`));
    const picture = await fs.readFile(await make(work));
    expect(await findMarker(picture, MARKER)).not.toEqual([]);
    const plain = makeEmf(MARKER);
    const { record, fileAt } = emfPlusImage(picture);
    const original = withEmfRecords(plain, [record]);
    const at = plain.length - 20 + fileAt;
    const file = path.join(work, "pictures.emf");
    await fs.writeFile(file, original);
    const { status, body, cleaned } = await removeViaApi(server, file);
    expect(status, JSON.stringify(body)).toBe(200);
    // makeEmf's three texts and the picture.
    expect((body["removed"] as Record<string, number>)["metafileText"]).toBe(3 + 1);
    expect(body["remaining"]).toEqual({});
    expect(await findMarker(cleaned!, MARKER)).toEqual([]);
    expect(cleaned!.length).toBe(original.length);
    const after = cleaned!.subarray(at, at + picture.length);
    expect(await frames(`cleaned.${ext}`, after)).toBe(await frames(`original.${ext}`, picture));
  });
});
