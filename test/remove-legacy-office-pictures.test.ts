import crypto from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { iccProfile, makeTiff } from "./helpers/make-images.js";
import { type LegacyKind, legacyOfficePictures } from "./helpers/make-legacy-office.js";
import { dibBlip, legacyOfficeDrawings, makeEmf, makeLegacyOfficeWithBlips, makeWmf, metafileBlip, tiffBlip } from "./helpers/make-legacy-pictures.js";
import { findMarker } from "./helpers/marker-scan.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { type RunningServer, startServer } from "./helpers/server.js";
import { CONVERT, exiftool, pixelSignature, run } from "./helpers/tools.js";

let server: RunningServer;
let dir: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-remove-legacy-pictures-"));
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

const kinds: LegacyKind[] = ["doc", "xls", "ppt"];

describe("POST /api/v1/remove on Office 97-2003 files holding pictures other than JPEG and PNG", () => {
  it.each(kinds)("%s: a TIFF picture's EXIF, GPS, XMP, IPTC, ICC profile and IFD0 text go in place, its pixels stay", async (kind) => {
    const marker = `Pictiff${kind}${crypto.randomBytes(5).toString("hex")}`;
    const own = await fs.mkdtemp(path.join(dir, "tiff-"));
    const tiff = await makeTiff(own, marker);
    const file = await makeLegacyOfficeWithBlips(dir, kind, `Doc${marker}`, [tiffBlip(await fs.readFile(tiff))]);
    expect(await findMarker(file, marker)).not.toEqual([]);

    const { status, body, cleaned } = await removeViaApi(server, file, `report.${kind}`);
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body["remaining"]).toEqual({});
    // The picture's own tags count, read from it before and after (IFD0 and GPS fields are EXIF to ExifTool).
    const review = kind === "doc" ? ["comments", "trackedChanges"] : [];
    expect(Object.keys(body["removed"] as object).sort()).toEqual(["exif", "flashpix", "icc_profile", "iptc", "xmp", ...review].sort());
    expect(await findMarker(cleaned!, marker)).toEqual([]);
    const out = path.join(dir, `cleaned-${crypto.randomUUID()}.${kind}`);
    await fs.writeFile(out, cleaned!);
    expect(await legacyOfficePictures(dir, kind, out)).toEqual([await pixelSignature(tiff)]);
  }, 120_000);

  it.each(kinds)("%s: an EMF's description and comments and a WMF's comment escape (deflated in the document) become zeros, the drawings stay", async (kind) => {
    const marker = `Picmeta${kind}${crypto.randomBytes(5).toString("hex")}`;
    const file = await makeLegacyOfficeWithBlips(dir, kind, `Doc${marker}`, [metafileBlip("emf", makeEmf(marker)), metafileBlip("wmf", makeWmf(marker))]);
    expect(await findMarker(file, marker)).not.toEqual([]);
    const drawn = await legacyOfficeDrawings(dir, kind, file);
    // Each drawing as LibreOffice draws it, and the PNG it keeps beside it.
    expect(drawn).toHaveLength(4);

    const { status, body, cleaned } = await removeViaApi(server, file, `report.${kind}`);
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body["remaining"]).toEqual({});
    // The EMF's description, its private comment and its group's description; the WMF's comment.
    expect((body["removed"] as Record<string, number>)["metafileText"]).toBe(4);
    expect(await findMarker(cleaned!, marker)).toEqual([]);
    const out = path.join(dir, `cleaned-${crypto.randomUUID()}.${kind}`);
    await fs.writeFile(out, cleaned!);
    expect(await legacyOfficeDrawings(dir, kind, out)).toEqual(drawn);
  }, 120_000);

  it.each(kinds)("%s: the colour profiles of bitmaps (DIB), embedded or linked by a path, go in place, the pixels stay", async (kind) => {
    const marker = `Picdib${kind}${crypto.randomBytes(5).toString("hex")}`;
    // Two bitmaps of different pixels: LibreOffice shows one picture for equal ones.
    const bmps = await Promise.all(
      ["7", "8"].map(async (seed) => {
        const bmp = path.join(dir, `${marker}-${seed}.bmp`);
        await run(CONVERT, ["-seed", seed, "-size", "64x48", "plasma:fractal", "-depth", "8", `BMP:${bmp}`]);
        return bmp;
      }),
    );
    const [embedded, linked] = await Promise.all(bmps.map((b) => fs.readFile(b)));
    const blips = [dibBlip(embedded!, "MBED", iccProfile(marker)), dibBlip(linked!, "LINK", Buffer.from(`C:\\Users\\${marker}\\camera.icc\0`, "latin1"))];
    const file = await makeLegacyOfficeWithBlips(dir, kind, `Doc${marker}`, blips);
    expect(await findMarker(file, marker)).not.toEqual([]);

    const { status, body, cleaned } = await removeViaApi(server, file, `report.${kind}`);
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body["remaining"]).toEqual({});
    // The embedded profile, as ExifTool reads it (it files a linked profile's name under File, which is not counted).
    expect((body["removed"] as Record<string, number>)["icc_profile"]).toBeGreaterThan(0);
    expect(await findMarker(cleaned!, marker)).toEqual([]);
    const out = path.join(dir, `cleaned-${crypto.randomUUID()}.${kind}`);
    await fs.writeFile(out, cleaned!);
    expect(await legacyOfficePictures(dir, kind, out)).toEqual((await Promise.all(bmps.map((b) => pixelSignature(b)))).sort());
  }, 120_000);

  it("a big-endian TIFF of two pages, each with metadata in its IFD: both pages cleaned, both pages' pixels the same", async () => {
    const marker = `Pictiffmm${crypto.randomBytes(5).toString("hex")}`;
    const second = `Pictiffpage${crypto.randomBytes(5).toString("hex")}`;
    const tiff = path.join(dir, `${marker}.tif`);
    await run(CONVERT, ["-seed", "7", "-size", "64x48", "plasma:fractal", "plasma:fractal", "-depth", "8", "-define", "tiff:endian=msb", tiff]);
    await exiftool(["-q", "-overwrite_original", `-IFD0:Artist=${marker}`, `-EXIF:UserComment=${marker}`, `-XMP-dc:Creator=${marker}`, "-GPSLatitude=48.8", "-GPSLatitudeRef=N", `-IFD1:Artist=${second}`, `-IFD1:DocumentName=${second}`, tiff]);
    const bytes = await fs.readFile(tiff);
    expect(bytes.toString("latin1", 0, 4)).toBe("MM\0*");
    const file = await makeLegacyOfficeWithBlips(dir, "ppt", `Doc${marker}`, [tiffBlip(bytes)]);
    for (const m of [marker, second]) expect(await findMarker(file, m)).not.toEqual([]);

    const { status, body, cleaned } = await removeViaApi(server, file, "slides.ppt");
    expect(status, JSON.stringify(body)).toBe(200);
    for (const m of [marker, second]) expect(await findMarker(cleaned!, m)).toEqual([]);
    // Cleaned in place, of the same length: the Pictures stream's sectors follow each other in the file.
    const at = cleaned!.indexOf(Buffer.from("MM\0*", "latin1"));
    expect(at).toBeGreaterThan(0);
    const out = path.join(dir, `cleaned-${marker}.tif`);
    await fs.writeFile(out, cleaned!.subarray(at, at + bytes.length));
    const pages = async (f: string): Promise<string> => (await run(CONVERT, [f, "-format", "%# ", "info:"])).stdout.toString("utf8");
    expect(await pages(out)).toBe(await pages(tiff));
    expect((await pages(tiff)).trim().split(" ")).toHaveLength(2);
  }, 60_000);

  it("keep=colorProfile: a TIFF picture's ICC profile stays and is listed in remaining, the rest goes", async () => {
    const marker = `Pictiffkeep${crypto.randomBytes(5).toString("hex")}`;
    const iccMarker = `Pictiffnicc${crypto.randomBytes(5).toString("hex")}`;
    const own = await fs.mkdtemp(path.join(dir, "tiff-"));
    const file = await makeLegacyOfficeWithBlips(dir, "doc", `Doc${marker}`, [tiffBlip(await fs.readFile(await makeTiff(own, marker, iccMarker)))]);
    const { status, body, cleaned } = await removeViaApi(server, file, "report.doc", { keep: "colorProfile" });
    expect(status, JSON.stringify(body)).toBe(200);
    expect(Object.keys(body["remaining"] as object)).toEqual(["icc_profile"]);
    expect(await findMarker(cleaned!, marker)).toEqual([]);
    expect(await findMarker(cleaned!, iccMarker)).not.toEqual([]);
  }, 60_000);

  it("a TIFF picture whose IFD lies outside it is refused in words, nothing handed back", async () => {
    const marker = `Pictiffbad${crypto.randomBytes(5).toString("hex")}`;
    const own = await fs.mkdtemp(path.join(dir, "tiff-"));
    const tiff = await fs.readFile(await makeTiff(own, marker));
    tiff.writeUInt32LE(tiff.length + 100, 4);
    const file = await makeLegacyOfficeWithBlips(dir, "ppt", `Doc${marker}`, [tiffBlip(tiff)]);
    const { status, body, cleaned } = await removeViaApi(server, file, "slides.ppt");
    expect(status).toBe(422);
    expect(body["error"]).toBe("The document holds a TIFF picture whose structure this service cannot follow, so its metadata cannot be removed.");
    expect(cleaned).toBeNull();
  }, 60_000);
});
