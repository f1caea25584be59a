import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodePictureAhead } from "../src/metadata/findings/previews.js";
import { picture, withThumbnail } from "./helpers/make-findings.js";
import { EXIFTOOL, run } from "./helpers/tools.js";

let dir: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-previews-ahead-"));
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

// The comparison itself, with the picture decoded ahead, is proven through the service in
// findings.test.ts (a thumbnail of another picture is high in extraction and removal alike).
describe("the main picture decoded ahead of the ExifTool read", () => {
  it("is decoded for a JPEG with an EXIF block, into the 16 x 16 grey grid the comparison reads", async () => {
    const main = await withThumbnail(dir, await picture(dir, "camera.jpg"), await picture(dir, "other.png", "gradient:red-blue"));
    const ahead = await decodePictureAhead(main);
    expect(ahead?.grid).toBeInstanceOf(Uint8Array);
    expect(ahead?.grid?.length).toBe(16 * 16);
  });

  it("is left to the comparison for a JPEG whose header holds only JFIF and XMP", async () => {
    const plain = await picture(dir, "plain.jpg");
    await run(EXIFTOOL, ["-q", "-overwrite_original", "-XMP-dc:Title=no preview here", plain]);
    const head = await fs.readFile(plain);
    expect(head.includes(Buffer.from("Exif\0\0", "latin1"))).toBe(false);
    expect(await decodePictureAhead(plain)).toBeNull();
  });

  it("is left to the comparison for a JPEG whose EXIF block has no thumbnail IFD", async () => {
    const tagged = await picture(dir, "tagged.jpg");
    await run(EXIFTOOL, ["-q", "-overwrite_original", "-Make=Canon", "-DateTimeOriginal=2024:03:15 10:30:00", tagged]);
    expect((await fs.readFile(tagged)).includes(Buffer.from("Exif\0\0", "latin1"))).toBe(true);
    expect(await decodePictureAhead(tagged)).toBeNull();
  });
});
