import crypto from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectHeifCleanedSamePixels } from "./helpers/heif-cleaned.js";
import { heifWithItems } from "./helpers/make-exif-blocks.js";
import { heifPixelSignature, insertInHevcItem, makeHeif } from "./helpers/make-images.js";
import { identificationSeiNal } from "./helpers/make-sei.js";
import { findMarker } from "./helpers/marker-scan.js";
import { type RunningServer, startServer } from "./helpers/server.js";

/*
 * A HEIC's picture is an HEVC item whose data (in `mdat`) is NAL units each after its length, as
 * an MP4's samples are: an encoder may put SEI user data among them (x265 writes its options
 * there; heif-enc drops that one, so it is planted here by hand, before the first slice). Neither
 * ExifTool's rewrite nor the in-place blanking looked into a picture's bytes.
 */

let server: RunningServer;
let dir: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-heic-item-sei-"));
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

describe("POST /api/v1/remove on a HEIC whose picture data holds SEI user data", () => {
  // The plain shape is blanked in place; an item of a type neither ExifTool nor the blanking knows
  // (a text note) sends the file to ExifTool's rewrite, after which the leftovers are blanked.
  it.each([
    { shape: "plain", note: false },
    { shape: "with a text item", note: true },
  ])("$shape: it is overwritten in place, pixels identical", async ({ note }) => {
    const marker = `Heicsei${crypto.randomBytes(6).toString("hex")}`;
    const own = await fs.mkdtemp(path.join(dir, "case-"));
    const file = await makeHeif(own, `Exif${crypto.randomBytes(4).toString("hex")}`, "heic");
    const text = Buffer.from("a note", "latin1");
    const made = note ? heifWithItems(await fs.readFile(file), [{ type: "mime", contentType: "text/plain", extents: [[0, text.length]] }], text) : await fs.readFile(file);
    const nal = identificationSeiNal(marker, "hevc");
    const length = Buffer.alloc(4);
    length.writeUInt32BE(nal.length);
    const planted = path.join(own, "sei.heic");
    await fs.writeFile(planted, insertInHevcItem(made, Buffer.concat([length, nal])));
    expect(await findMarker(planted, marker)).not.toEqual([]);
    const pixels = await heifPixelSignature(planted);
    expect(pixels).toBe(await heifPixelSignature(file));

    const out = await expectHeifCleanedSamePixels(server, planted, marker, pixels);
    // In place, nothing moved.
    if (!note) expect((await fs.stat(out)).size).toBe((await fs.stat(planted)).size);
  }, 60_000);
});
