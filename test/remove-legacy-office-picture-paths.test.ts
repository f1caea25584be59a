import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { legacyOfficePictures, legacyOfficeText } from "./helpers/make-legacy-office.js";
import { findMarker } from "./helpers/marker-scan.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { type RunningServer, startServer } from "./helpers/server.js";

/**
 * A picture's shape in an Office 97-2003 file names the file the picture was inserted from
 * (OfficeArt's pibName: `C:\Documents and Settings\NAME\...`), which ExifTool does not read: the
 * copy keeps the bare file name only (fixture from Apache POI, see fixtures/xls/README.md; on
 * main it came back 200 with `remaining` empty and the user's folder in it).
 */

const FIXTURE = path.join(import.meta.dirname, "fixtures", "xls", "sheet-with-drawing.xls");

let server: RunningServer;
let dir: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-picture-paths-"));
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

describe("a picture's file name in an Excel 97-2003 drawing", () => {
  it("loses its folders; the picture and the cells stay", async () => {
    expect(await findMarker(FIXTURE, "rob-local")).not.toEqual([]);
    const { status, body, cleaned } = await removeViaApi(server, FIXTURE);
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body["remaining"]).toEqual({});
    expect(await findMarker(cleaned!, "rob-local")).toEqual([]);
    expect(await findMarker(cleaned!, "Documents and Settings")).toEqual([]);
    expect(cleaned!.includes(Buffer.from("untitled.bmp\0", "utf16le"))).toBe(true);
    const out = path.join(dir, "cleaned.xls");
    await fs.writeFile(out, cleaned!);
    const pictures = await legacyOfficePictures(dir, "xls", FIXTURE);
    expect(pictures).toHaveLength(1);
    expect(await legacyOfficePictures(dir, "xls", out)).toEqual(pictures);
    expect(await legacyOfficeText(dir, "xls", out)).toBe(await legacyOfficeText(dir, "xls", FIXTURE));
  }, 180_000);

  it("Word: a picture's alternative text that is its path keeps the bare name; the text stays", async () => {
    const fixture = path.join(import.meta.dirname, "fixtures", "doc", "picture-description-path.doc");
    const drive = Buffer.from("A:\\cidades.jpg", "utf16le");
    const count = (b: Buffer): number => b.toString("latin1").split(drive.toString("latin1")).length - 1;
    expect(count(await fs.readFile(fixture))).toBeGreaterThan(0);
    const { status, body, cleaned } = await removeViaApi(server, fixture);
    expect(status, JSON.stringify(body)).toBe(200);
    expect(count(cleaned!)).toBe(0);
    expect(cleaned!.includes(Buffer.from("cidades.jpg\0", "utf16le"))).toBe(true);
    const out = path.join(dir, "cleaned.doc");
    await fs.writeFile(out, cleaned!);
    expect(await legacyOfficeText(dir, "doc", out)).toBe(await legacyOfficeText(dir, "doc", fixture));
  }, 180_000);
});
