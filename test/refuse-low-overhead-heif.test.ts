import crypto from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { box } from "./helpers/make-images.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { type RunningServer, startServer } from "./helpers/server.js";
import { exiftool } from "./helpers/tools.js";

/*
 * The low-overhead form of HEIF (ISO/IEC 23008-12:2025; libheif writes it): a 16-byte `ftyp` of
 * major brand `mif3` whose minor version names the coding, then a `mini` box whose bit-packed
 * header holds the picture's size, codec configuration, ICC profile, Exif and XMP. ExifTool names
 * it MP4 and reads nothing in it; the movie cleaner called it a damaged MP4. It is now named for
 * what it is, a type the service does not clean, with no copy. The `mini` box here holds only an
 * Exif-like payload (the refusal reads no further than the brand).
 */
let server: RunningServer;
let dir: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-mini-"));
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

it("a low-overhead HEIF (brand mif3, a mini box) is refused in words as a type the service does not clean, with no copy", async () => {
  const marker = `Minimark${crypto.randomBytes(6).toString("hex")}`;
  const file = path.join(dir, "photo.heif");
  await fs.writeFile(file, Buffer.concat([box("ftyp", Buffer.from("mif3avif", "latin1")), box("mini", Buffer.from(`\x08\x08\x80Exif\0\0MM\0*${marker}`, "latin1"))]));
  expect((await exiftool(["-s3", "-FileType", file])).trim()).toBe("MP4");

  const { status, body, cleaned } = await removeViaApi(server, file);
  expect(status).toBe(422);
  expect(body["error"]).toBe("Metadata removal is not supported for this file type (low-overhead HEIF, brand mif3)");
  expect(cleaned).toBeNull();
});
