import crypto from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { expectHeifCleanedSamePixels } from "./helpers/heif-cleaned.js";
import { heifPixelSignature, makeHeif } from "./helpers/make-images.js";
import { type RunningServer, startServer } from "./helpers/server.js";
import { exiftool, run } from "./helpers/tools.js";

/**
 * A HEIF whose thumbnail is a `jpeg` item, as Sony's cameras write their HIF (a 160x120 JPEG
 * referenced by `thmb`, beside HEVC thumbnails), with the marker in the thumbnail JPEG's own EXIF
 * and comment and in the main picture's EXIF and XMP. ExifTool's rewrite keeps the JPEG, which it
 * reads as a preview (PreviewImage, or ThumbnailImage at 160 pixels): every Sony HIF was refused.
 */
let server: RunningServer;
let dir: string;
const MARKER = `Sonythumb${crypto.randomBytes(6).toString("hex")}`;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-heif-thumbnail-"));
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
  if (dir != null) await fs.rm(dir, { recursive: true, force: true });
});

it("cleans a HEIF with a JPEG thumbnail item: the JPEG item and its references go, the HEVC thumbnail stays, the picture decodes the same", async () => {
  const file = await makeHeif(dir, MARKER, "heic", { jpegThumbnail: true });
  const before = await exiftool(["-s", "-s", "-s", "-PreviewImage", file]);
  expect(before, "the generated file shows ExifTool its JPEG thumbnail").toMatch(/Binary data \d+ bytes/);
  const out = await expectHeifCleanedSamePixels(server, file, MARKER, await heifPixelSignature(file));
  const after = await exiftool(["-a", "-G1", "-s", out]);
  expect(after).not.toMatch(/PreviewImage|ThumbnailImage/);
  // The HEVC thumbnail stays, as libheif lists it.
  const info = (await run("/usr/bin/heif-info", [out])).stdout.toString("utf8");
  expect(info).toMatch(/thumbnail: 32x24/);
});

it("cleans one whose last box, holding the thumbnail JPEG, lost its header to a run of zeros (fuzz seed 1696388774, #3070): what no picture item covers there is blanked as in an mdat", async () => {
  const file = await makeHeif(dir, MARKER, "heic", { jpegThumbnail: true });
  const bytes = await fs.readFile(file);
  let last = 0;
  for (let at = 0; at < bytes.length; at += bytes.readUInt32BE(at)) last = at;
  expect(bytes.toString("latin1", last + 4, last + 8)).toBe("mdat");
  expect(bytes.subarray(last).includes(MARKER)).toBe(true);
  // Size zero: the box runs to the end of the file; its type is no reader's.
  bytes.fill(0, last, last + 8);
  const damaged = path.join(dir, "headerless.heic");
  await fs.writeFile(damaged, bytes);
  await expectHeifCleanedSamePixels(server, damaged, MARKER, await heifPixelSignature(file));
});
