import crypto from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BadFileError } from "../src/cleaners/errors.js";
import { blankHeifInPlace, readHeifTop } from "../src/cleaners/image/heif-in-place.js";
import { heifCleaner } from "../src/cleaners/image/heif.js";
import { isDescriptive } from "../src/cleaners/keep.js";
import { heifShapeHolds } from "../src/cleaners/proof/heif-proof.js";
import type { FoundTag } from "../src/cleaners/types.js";
import { heifPixelSignature, makeHeif } from "./helpers/make-images.js";
import { findMarker } from "./helpers/marker-scan.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { type RunningServer, startServer } from "./helpers/server.js";
import { exiftool } from "./helpers/tools.js";

let server: RunningServer;
let dir: string;
const MARKER = `Inplace${crypto.randomBytes(6).toString("hex")}`;
/** heif-enc's HEIC (a one-tile grid, its layout in `idat`) and ImageMagick's AVIF, with ExifTool's Exif and XMP items. */
const originals: Record<"HEIC" | "AVIF", string> = { HEIC: "", AVIF: "" };

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-heif-in-place-"));
  server = await startServer();
  for (const [type, kind] of [["HEIC", "heic"], ["AVIF", "avif"]] as const) {
    const sub = path.join(dir, kind);
    await fs.mkdir(sub);
    originals[type] = await makeHeif(sub, MARKER, kind);
  }
});
afterAll(async () => {
  await server?.stop();
  if (dir != null) await fs.rm(dir, { recursive: true, force: true });
});

function newPath(name: string): string {
  return path.join(dir, `${crypto.randomUUID()}-${name}`);
}

async function write(name: string, data: Buffer): Promise<string> {
  const file = newPath(name);
  await fs.writeFile(file, data);
  return file;
}

/** The in-place blanking's own output (null: it declined, and then must have left nothing behind). */
async function inPlace(file: string, type: string, dropIcc = true): Promise<Buffer | null> {
  const out = newPath("in-place");
  const outcome = await blankHeifInPlace(await readHeifTop(file), file, out, type, dropIcc);
  const written = await fs.readFile(out).catch(() => null);
  if (outcome == null) {
    expect(written, "a declined blanking leaves no file").toBeNull();
    return null;
  }
  expect(written).not.toBeNull();
  return written;
}

interface Located {
  /** Where the item's first extent length field is, and the extent's file range. */
  lengthAt: number;
  from: number;
  to: number;
}

/** The first extent of the Exif item, read from `iinf` and a version 0/1 `iloc` with 4-byte fields (what heif-enc and ExifTool write). */
function exifExtent(b: Buffer): Located {
  const iinf = b.indexOf("iinf", 0, "latin1");
  const exifType = b.indexOf("Exif", iinf, "latin1");
  const exifId = b.readUInt16BE(exifType - 4);
  const iloc = b.indexOf("iloc", 0, "latin1");
  const version = b[iloc + 4]!;
  expect([b[iloc + 8], b[iloc + 9]]).toEqual([0x44, 0x40]);
  let q = iloc + 10;
  const count = b.readUInt16BE(q);
  q += 2;
  for (let i = 0; i < count; i++) {
    const id = b.readUInt16BE(q);
    q += 2 + (version > 0 ? 2 : 0) + 2;
    const base = b.readUInt32BE(q);
    const extents = b.readUInt16BE(q + 4);
    q += 6;
    if (id === exifId) return { lengthAt: q + 4, from: base + b.readUInt32BE(q), to: base + b.readUInt32BE(q) + b.readUInt32BE(q + 4) };
    q += extents * 8;
  }
  throw new Error("no Exif item location");
}

/** The original's byte range of its `meta` box (the only place the blanking writes other than zeros). */
function metaRange(b: Buffer): [number, number] {
  const at = b.indexOf("meta", 0, "latin1") - 4;
  return [at, at + b.readUInt32BE(at)];
}

describe("HEIC/AVIF removal blanks the metadata items in place where the shape is plain, ExifTool's rewrite elsewhere", () => {
  it.each(["HEIC", "AVIF"] as const)("takes the in-place path for a %s with Exif and XMP items: markers gone, picture bytes and pixels unchanged, the service's copy the same", async (type) => {
    const original = await fs.readFile(originals[type]);
    const blanked = await inPlace(originals[type], type);
    expect(blanked, "the in-place path declined").not.toBeNull();
    expect(blanked!.length).toBe(original.length);
    // Outside `meta`, a byte either stayed or became 0 (the metadata items' data).
    const [metaFrom, metaTo] = metaRange(original);
    for (let i = 0; i < original.length; i++) {
      if ((i < metaFrom || i >= metaTo) && blanked![i] !== original[i]) expect(blanked![i], `byte ${i}`).toBe(0);
    }
    const out = await write(`blanked.${type}`, blanked!);
    expect(await findMarker(out, MARKER)).toEqual([]);
    expect(await heifShapeHolds(out, type)).toBe(true);
    expect(await heifPixelSignature(out)).toBe(await heifPixelSignature(originals[type]));

    // The service took the same path: ExifTool's rewrite would have dropped the metadata bytes
    // and moved the picture, not handed back these bytes.
    const r = await removeViaApi(server, originals[type], `photo.${type.toLowerCase()}`);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.cleaned!.equals(blanked!)).toBe(true);
    expect(r.body["remaining"]).toEqual({});
    expect(r.body["removed"]).toMatchObject({ exif: expect.any(Number), xmp: expect.any(Number) });
  });

  it("takes the in-place path for a HEIC with an iPhone's dinf (data in this file), whose copy ExifTool reads only structure from; not for a dinf naming another file", async () => {
    const sub = path.join(dir, "dinf");
    await fs.mkdir(sub);
    const file = await makeHeif(sub, MARKER, "heic", { dataInformation: true });
    const blanked = await inPlace(file, "HEIC");
    expect(blanked, "the in-place path declined").not.toBeNull();
    const out = await write("dinf-clean.heic", blanked!);
    expect(await findMarker(out, MARKER)).toEqual([]);
    expect(await heifPixelSignature(out)).toBe(await heifPixelSignature(file));
    const [tags] = JSON.parse(await exiftool(["-j", "-G0", "-u", "-ee", "-a", out])) as Array<Record<string, unknown>>;
    const leftovers = Object.entries(tags!)
      .map(([key, value]) => ({ group: key.split(":")[0]!, tag: key.split(":")[1] ?? "", value: value as FoundTag["value"] }))
      .filter((t) => t.tag !== "" && !isDescriptive(t.group, t.tag) && !heifCleaner.isStructural(t));
    expect(leftovers).toEqual([]);

    expect(await heifShapeHolds(out, "HEIC")).toBe(true);

    // The same entry without its self-contained flag: the data would be elsewhere.
    const external = Buffer.from(await fs.readFile(file));
    external[external.indexOf("url ", 0, "latin1") + 7] = 0;
    expect(await inPlace(await write("external.heic", external), "HEIC")).toBeNull();
    const externalCopy = Buffer.from(blanked!);
    externalCopy[externalCopy.indexOf("url ", 0, "latin1") + 7] = 0;
    expect(await heifShapeHolds(await write("external-copy.heic", externalCopy), "HEIC")).toBe(false);
  });

  it("zeroes media data no picture item points at (bytes ExifTool's rewrite would carry along)", async () => {
    const b = Buffer.from(await fs.readFile(originals.HEIC));
    const exif = exifExtent(b);
    // The Exif item now ends after its first 8 bytes; the rest, marker included, belongs to no item.
    b.writeUInt32BE(8, exif.lengthAt);
    const file = await write("unreferenced.heic", b);
    expect(b.subarray(exif.from + 8, exif.to).includes(MARKER)).toBe(true);
    const blanked = await inPlace(file, "HEIC");
    expect(blanked).not.toBeNull();
    expect(await findMarker(blanked!, MARKER)).toEqual([]);
    const r = await removeViaApi(server, file, "unreferenced.heic");
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(await findMarker(r.cleaned!, MARKER)).toEqual([]);
  });

  it("leaves a shape it does not know to ExifTool's rewrite, which still cleans it", async () => {
    // Canon's `uuid` version box inside `meta`: not a box the blanking reads.
    const sub = path.join(dir, "canon");
    await fs.mkdir(sub);
    const canon = await makeHeif(sub, MARKER, "heic", { canonMeta: true });
    expect(await inPlace(canon, "HEIF")).toBeNull();
    const r = await removeViaApi(server, canon, "canon.hif");
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    const out = await write("canon-clean.heic", r.cleaned!);
    expect(await findMarker(out, MARKER)).toEqual([]);
    expect(r.cleaned!.length).toBeLessThan((await fs.stat(canon)).size);
    expect(await heifPixelSignature(out)).toBe(await heifPixelSignature(canon));
  });

  it.each([
    ["the in-place path", {}],
    ["ExifTool's rewrite", { canonMeta: true }],
  ] as const)("blanks the handler name an encoder signs (libavif) on %s", async (_path, opts) => {
    const sub = path.join(dir, `handler-${crypto.randomUUID()}`);
    await fs.mkdir(sub);
    const named = await makeHeif(sub, MARKER, "heic", { ...opts, handlerName: `libavif ${MARKER}` });
    expect((await exiftool(["-s3", "-QuickTime:HandlerDescription", named])).trim()).toBe(`libavif ${MARKER}`);
    const r = await removeViaApi(server, named, "named.heic");
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body["remaining"]).toEqual({});
    const out = await write("named-clean.heic", r.cleaned!);
    expect(await findMarker(out, MARKER)).toEqual([]);
    expect(await findMarker(out, "libavif")).toEqual([]);
    expect(await heifPixelSignature(out)).toBe(await heifPixelSignature(named));
  });

  it("blanks after ExifTool's rewrite the data of an item of a type no tool knows and the bytes no item points at (both carried along by the rewrite)", async () => {
    const b = Buffer.from(await fs.readFile(originals.HEIC));
    const exif = exifExtent(b);
    b.writeUInt32BE(8, exif.lengthAt);
    b.write("Exiq", b.indexOf("Exif", b.indexOf("iinf", 0, "latin1"), "latin1"), "latin1");
    const file = await write("unknown-item.heic", b);
    expect(await inPlace(file, "HEIC")).toBeNull();
    const r = await removeViaApi(server, file, "unknown-item.heic");
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(await findMarker(r.cleaned!, MARKER)).toEqual([]);
    const out = await write("unknown-item-clean.heic", r.cleaned!);
    expect(await heifPixelSignature(out)).toBe(await heifPixelSignature(originals.HEIC));
  });

  it("leaves a kept ICC profile to ExifTool's rewrite (the blanked copy would not pass the proof)", async () => {
    const sub = path.join(dir, "icc");
    await fs.mkdir(sub);
    const icc = await makeHeif(sub, MARKER, "heic", { icc: "kept profile" });
    expect(await inPlace(icc, "HEIC", false)).toBeNull();
    expect(await inPlace(icc, "HEIC", true)).not.toBeNull();
  });

  it("never leaks a marker or fails otherwise than as a damaged file for mutated HEICs", async () => {
    const original = await fs.readFile(originals.HEIC);
    const [, metaTo] = metaRange(original);
    const exif = exifExtent(original);
    let seed = 12;
    const random = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const mutants: Buffer[] = [];
    for (let i = 0; i < 150; i++) {
      const b = Buffer.from(original);
      const kind = i % 5;
      if (kind === 0) b[random(metaTo)] = random(256);
      else if (kind === 1) b.writeUInt32BE(random(original.length + 64), exif.lengthAt - 4 * random(2));
      else if (kind === 2) b.writeUInt32BE(random(2 ** 32), 4 * random(Math.floor(metaTo / 4)));
      else if (kind === 3) b.writeUInt8([0, 1, 2, 3, 255][random(5)]!, random(metaTo));
      mutants.push(kind === 4 ? b.subarray(0, random(original.length)) : b);
    }
    let taken = 0;
    for (const [i, m] of mutants.entries()) {
      const file = await write(`mutant-${i}.heic`, m);
      let blanked: Buffer | null;
      try {
        blanked = await inPlace(file, "HEIC");
      } catch (err) {
        expect(err, `mutant ${i}`).toBeInstanceOf(BadFileError);
        continue;
      }
      if (blanked == null) continue;
      taken++;
      expect(await findMarker(blanked, MARKER), `mutant ${i}`).toEqual([]);
    }
    // Most single changes leave a shape the blanking still takes (a changed property, say).
    expect(taken).toBeGreaterThan(10);
    for (const i of [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]) {
      const r = await removeViaApi(server, await write(`api-mutant-${i}.heic`, mutants[i]!), "mutant.heic");
      if (r.status === 200) expect(await findMarker(r.cleaned!, MARKER), `mutant ${i}`).toEqual([]);
      else expect([415, 422]).toContain(r.status);
    }
    expect((await fetch(`${server.baseUrl}/healthz`)).status).toBe(200);
  }, 120_000);
});
