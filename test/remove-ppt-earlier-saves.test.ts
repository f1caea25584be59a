import crypto from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import CFB from "cfb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { legacyOfficeRendering, makeMarkedLegacyOffice } from "./helpers/make-legacy-office.js";
import { withDeletedPicture, withEarlierSave } from "./helpers/make-ppt-edits.js";
import { findMarker } from "./helpers/marker-scan.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { findingsViaApi, type RunningServer, startServer } from "./helpers/server.js";
import { CONVERT, run } from "./helpers/tools.js";

/*
 * PowerPoint's fast saves append what changed and leave the earlier records whole: a slide's
 * earlier wording, a deleted slide, the earlier title. No reader of the presentation shows them,
 * but they were in the copy, a 200 with nothing said (18 of Apache POI's presentations held
 * such records). So were pictures deleted from the presentation, in its Pictures stream. The
 * records no save refers to any more and the pictures the picture store does not name become
 * zeros; the presentation shows the same. Extraction reports them, with the text they hold.
 */

let server: RunningServer;
let dir: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-ppt-earlier-saves-"));
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

async function save(bytes: Buffer, name: string): Promise<string> {
  const file = path.join(dir, `${crypto.randomUUID()}-${name}`);
  await fs.writeFile(file, bytes);
  return file;
}

/** What catppt reads: the text atoms of every record of the stream in its order, the earlier saves' included. */
async function catppt(file: string): Promise<string> {
  return (await run("catppt", ["-d", "utf-8", file])).stdout.toString("utf8");
}

describe("POST /api/v1/remove on PowerPoint 97-2003 presentations saved fast", () => {
  it("a slide's wording before the last save goes; the presentation shows the same", async () => {
    // As long as the slide's text, "Hello slide text", which it replaces in the earlier version.
    const earlier = `Was${crypto.randomBytes(4).toString("hex")}words`;
    const file = await makeMarkedLegacyOffice(dir, "ppt", `PptEdits${crypto.randomBytes(4).toString("hex")}`);
    const fastSaved = await save(withEarlierSave(await fs.readFile(file), "Hello slide text", earlier), "fast-saved.ppt");
    // The construction is sound: LibreOffice shows the current version; the earlier one is in the file.
    const shown = await legacyOfficeRendering(dir, "ppt", fastSaved);
    expect(shown).toEqual(await legacyOfficeRendering(dir, "ppt", file));
    expect(shown.text).toContain("Hello slide text");
    expect(await findMarker(await fs.readFile(fastSaved), earlier)).not.toEqual([]);

    const { status, body, cleaned } = await removeViaApi(server, fastSaved, "fast-saved.ppt");
    expect(status, JSON.stringify(body)).toBe(200);
    expect(await findMarker(cleaned!, earlier)).toEqual([]);
    expect(await legacyOfficeRendering(dir, "ppt", cleaned!)).toEqual(shown);
  }, 180_000);

  it("PowerPoint's own presentation saved twice (Apache POI's 41071.ppt): the first save's title goes, the presentation shows the same", async () => {
    const file = path.join(import.meta.dirname, "fixtures", "ppt", "earlier-title.ppt");
    const earlierTitle = "Jägartips inför jul";
    expect(await catppt(file)).toContain(earlierTitle);
    const shown = await legacyOfficeRendering(dir, "ppt", file);
    expect(shown.text).not.toContain(earlierTitle);
    const earlierRecords = (f: { kind: string; title: string }): boolean => f.kind === "hidden" && f.title.includes("earlier saves");
    const reported = (await findingsViaApi(server, "earlier-title.ppt", await fs.readFile(file))).filter(earlierRecords);
    expect(reported).toHaveLength(1);
    expect(reported[0]!.value).toContain(earlierTitle);

    const { status, body, cleaned } = await removeViaApi(server, file, "earlier-title.ppt");
    expect(status, JSON.stringify(body)).toBe(200);
    for (const encoding of ["utf16le", "latin1"] as const) expect(cleaned!.includes(Buffer.from(earlierTitle, encoding)), encoding).toBe(false);
    expect((await findingsViaApi(server, "cleaned.ppt", cleaned!)).filter(earlierRecords)).toEqual([]);
    const copy = await save(cleaned!, "cleaned.ppt");
    expect(await legacyOfficeRendering(dir, "ppt", copy)).toEqual(shown);
    expect(await catppt(copy)).toContain("Tom presentasjon");
  }, 180_000);

  it("a picture deleted from the presentation, which its picture store no longer names, goes; the pictures shown stay", async () => {
    const shownPicture = path.join(dir, `shown-${crypto.randomUUID()}.jpg`);
    const deletedPicture = path.join(dir, `deleted-${crypto.randomUUID()}.jpg`);
    await run(CONVERT, ["-size", "64x48", "gradient:#c02020-#2020c0", shownPicture]);
    await run(CONVERT, ["-size", "64x48", "xc:gray", "+noise", "Random", deletedPicture]);
    const file = await makeMarkedLegacyOffice(dir, "ppt", `PptPictures${crypto.randomBytes(4).toString("hex")}`, [await fs.readFile(shownPicture)]);
    const jpeg = await fs.readFile(deletedPicture);
    // Some of the deleted picture's compressed pixels: no cleaning of its metadata takes them out.
    const sos = jpeg.indexOf(Buffer.from([0xff, 0xda]));
    const pixels = jpeg.subarray(sos + 64, sos + 128);
    const withDeleted = await save(withDeletedPicture(await fs.readFile(file), jpeg), "deleted-picture.ppt");
    const shown = await legacyOfficeRendering(dir, "ppt", withDeleted);
    expect(shown).toEqual(await legacyOfficeRendering(dir, "ppt", file));
    expect((await fs.readFile(withDeleted)).includes(pixels)).toBe(true);

    const { status, body, cleaned } = await removeViaApi(server, withDeleted, "deleted-picture.ppt");
    expect(status, JSON.stringify(body)).toBe(200);
    expect(cleaned!.includes(pixels)).toBe(false);
    expect(await legacyOfficeRendering(dir, "ppt", cleaned!)).toEqual(shown);
  }, 180_000);

  it("PowerPoint's own presentation with a deleted picture (Apache POI's 43781.ppt): the deleted picture goes, the one shown stays whole", async () => {
    const file = path.join(import.meta.dirname, "fixtures", "ppt", "deleted-picture.ppt");
    const pngs = picturesOf(await fs.readFile(file));
    const deleted = pngs.find((p) => p.width === 140 && p.height === 280)!;
    const kept = pngs.find((p) => p.width === 752 && p.height === 564)!;
    const shown = await legacyOfficeRendering(dir, "ppt", file);
    const deletedPictures = (f: { kind: string; title: string }): boolean => f.kind === "hidden" && f.title.includes("deleted from it");
    expect((await findingsViaApi(server, "deleted-picture.ppt", await fs.readFile(file))).filter(deletedPictures).map((f) => f.value)).toEqual(["1"]);

    const { status, body, cleaned } = await removeViaApi(server, file, "deleted-picture.ppt");
    expect(status, JSON.stringify(body)).toBe(200);
    expect(cleaned!.includes(deleted.pixels)).toBe(false);
    expect((await findingsViaApi(server, "cleaned.ppt", cleaned!)).filter(deletedPictures)).toEqual([]);
    expect(cleaned!.includes(kept.pixels)).toBe(true);
    expect(await legacyOfficeRendering(dir, "ppt", cleaned!)).toEqual(shown);
  }, 180_000);
});

/** The PNG pictures of a presentation's Pictures stream: their size, and the first 64 bytes of their compressed pixels. */
function picturesOf(file: Buffer): { width: number; height: number; pixels: Buffer }[] {
  const stream = Buffer.from(CFB.find(CFB.read(file, { type: "buffer" }), "Pictures")!.content);
  const found: { width: number; height: number; pixels: Buffer }[] = [];
  for (let at = 0; at + 8 <= stream.length; at += 8 + stream.readUInt32LE(at + 4)) {
    const blip = stream.subarray(at + 8, at + 8 + stream.readUInt32LE(at + 4));
    const ihdr = blip.indexOf("IHDR");
    const idat = blip.indexOf("IDAT");
    if (ihdr < 0 || idat < 0) continue;
    found.push({ width: blip.readUInt32BE(ihdr + 4), height: blip.readUInt32BE(ihdr + 8), pixels: blip.subarray(idat + 4, idat + 68) });
  }
  return found;
}
