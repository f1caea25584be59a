import crypto from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { heifLocations } from "./helpers/make-exif-blocks.js";
import { makeHeif } from "./helpers/make-images.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { type RunningServer, startServer } from "./helpers/server.js";
import { exiftool } from "./helpers/tools.js";

/**
 * After ExifTool's rewrite of a HEIF, what it carried along unread (the data of items it has no
 * name for, bytes no item points at) is found by reading the items. When the items do not add up
 * that cannot be done, and the file used to be handed back as ExifTool wrote it, marker and all
 * (fuzz seed 1696388774: #3260, a tile whose type was damaged; #3586, an XMP item whose length
 * was). Such a file is now refused as damaged. The same files undamaged are cleaned by
 * remove-heif-thumbnail.test.ts and remove-heif-shape.test.ts.
 */
let server: RunningServer;
let dir: string;
const MARKER = `Heifitems${crypto.randomBytes(6).toString("hex")}`;
const REFUSAL = "The image file is damaged: its items' data and references do not add up.";

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-heif-items-"));
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
  if (dir != null) await fs.rm(dir, { recursive: true, force: true });
});

async function expectRefused(bytes: Buffer, name: string): Promise<void> {
  const file = path.join(dir, name);
  await fs.writeFile(file, bytes);
  const { status, body, cleaned } = await removeViaApi(server, file);
  expect(status).toBe(422);
  expect(body["error"]).toBe(REFUSAL);
  expect(cleaned).toBeNull();
}

it("refuses a HEIC whose grid tile has a type no reader knows (#3260): its JPEG thumbnail's EXIF would have stayed in the file", async () => {
  const bytes = await fs.readFile(await makeHeif(await fs.mkdtemp(path.join(dir, "t-")), MARKER, "heic", { jpegThumbnail: true }));
  const tile = bytes.indexOf("hvc1", bytes.indexOf("iinf", 0, "latin1"), "latin1");
  expect(tile).toBeGreaterThan(0);
  bytes.write("hvq1", tile, "latin1");
  await expectRefused(bytes, "tile.heic");
});

it("refuses an AVIF whose XMP item's content type and length were damaged (#3586): ExifTool reads no XMP there and keeps it, and it runs into the picture's data", async () => {
  const bytes = await fs.readFile(await makeHeif(await fs.mkdtemp(path.join(dir, "x-")), MARKER, "avif"));
  const located = heifLocations(bytes).filter((l) => l.method === 0 && l.extents.length === 1);
  const head = (l: (typeof located)[number]): string => bytes.toString("latin1", l.extents[0]![0], l.extents[0]![0] + Math.min(l.extents[0]![1], 64));
  const xmp = located.find((l) => head(l).includes("<?xpacket") || head(l).includes("<x:xmpmeta"));
  const exif = located.find((l) => /Exif\0\0|MM\0\*|II\*\0/.test(head(l)));
  const picture = located.filter((l) => l !== xmp && l !== exif);
  expect(xmp).toBeDefined();
  expect(picture).toHaveLength(1);
  const pictureAt = picture[0]!.extents[0]![0];
  const [at] = xmp!.extents[0]!;
  expect(pictureAt).toBeGreaterThan(at);
  const [field, size] = xmp!.lengthFields[0]!;
  bytes.writeUIntBE(pictureAt + 16 - at, field, size);
  const type = bytes.indexOf("application/rdf+xml", bytes.indexOf("iinf", 0, "latin1"), "latin1");
  expect(type).toBeGreaterThan(0);
  bytes.write("!", type, "latin1");
  const damaged = path.join(dir, "damaged.avif");
  await fs.writeFile(damaged, bytes);
  expect(await exiftool(["-s3", "-XMP:all", damaged]), "ExifTool reads no XMP in the damaged item").toBe("");
  await expectRefused(bytes, "xmp.avif");
});
