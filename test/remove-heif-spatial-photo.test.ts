import crypto from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectHeifCleanedSamePixels } from "./helpers/heif-cleaned.js";
import { heifLocations } from "./helpers/make-exif-blocks.js";
import { appendInMetaBox, box, heifPixelSignature, makeHeif } from "./helpers/make-images.js";
import { findMarker } from "./helpers/marker-scan.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { type RunningServer, startServer } from "./helpers/server.js";
import { exiftool } from "./helpers/tools.js";

/*
 * Apple's spatial photos (iPhone, Vision Pro: pillow_heif's spatial_photo.heic) are a stereo pair
 * (`ster` group) whose cameras three `uuid` item properties describe: intrinsics, extrinsics and
 * a disparity adjustment, numbers only (the forms ISO/IEC 23008-12 later named `cmin`, `cmex`).
 * ExifTool names every `uuid` box alike (Unknown_uuid), so the service refused these photos as
 * metadata left in the copy. They are now kept, their bytes past their fields zeroed, and a
 * `uuid` property of any other UUID is still refused. Added here unassociated, as in
 * remove-heif-display-properties.test.ts, so that the picture decodes as before.
 */
let server: RunningServer;
let dir: string;
const MARKER = `Spatialmark${crypto.randomBytes(6).toString("hex")}`;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-heif-spatial-"));
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

/** The three camera properties as the Vision Pro's photo holds them (the same UUIDs and values). */
const CAMERA_PROPERTIES: ReadonlyArray<[name: string, uuid: string, fields: string]> = [
  ["intrinsics", "22cc04c7d6d94e079d904eb6ecbaf3a3", "00001e002622d86e2000000020000000"],
  ["extrinsics", "4363e9145b7d4aab97aebea69803b434", "000000010000f93f"],
  ["disparity", "de22508536cb436587432f8705e7c78a", "00000125"],
];

function uuidBox(uuid: string, fields: string, tail = ""): Buffer {
  return box("uuid", Buffer.concat([Buffer.from(uuid + fields, "hex"), Buffer.from(tail, "latin1")]));
}

/** A `grpl` holding a `ster` group of the file's first two stored items. */
function stereoPair(file: Buffer): Buffer {
  const ids = heifLocations(file).slice(0, 2).map((l) => l.id);
  const fields = Buffer.alloc(12 + 4 * ids.length);
  fields.writeUInt32BE(2000, 4);
  fields.writeUInt32BE(ids.length, 8);
  ids.forEach((id, i) => fields.writeUInt32BE(id, 12 + 4 * i));
  return box("grpl", box("ster", fields));
}

const uuidsListed = async (file: string): Promise<string> => exiftool(["-b", "-j", "-u", "-QuickTime:Unknown_uuid", "-QuickTime:Unknown_ster", file]);

describe("POST /api/v1/remove on a HEIC with the camera properties of an Apple spatial photo", () => {
  it("keeps them and the stereo group byte for byte, removes the metadata, pixels unchanged", async () => {
    const file = await makeHeif(await fs.mkdtemp(path.join(dir, "pair-")), MARKER, "heic");
    let bytes = appendInMetaBox(await fs.readFile(file), ["iprp", "ipco"], Buffer.concat(CAMERA_PROPERTIES.map(([, uuid, fields]) => uuidBox(uuid, fields))));
    bytes = appendInMetaBox(bytes, [], stereoPair(bytes));
    await fs.writeFile(file, bytes);
    const before = await uuidsListed(file);
    expect((JSON.parse(before) as Array<Record<string, unknown>>)[0]!["Unknown_uuid"]).toBeDefined();
    const pixels = await heifPixelSignature(file);

    const out = await expectHeifCleanedSamePixels(server, file, MARKER, pixels);
    expect(await uuidsListed(out)).toBe(before.replace(file, out));
    const cleaned = await fs.readFile(out);
    for (const [, uuid, fields] of CAMERA_PROPERTIES) expect(cleaned.includes(Buffer.from(uuid + fields, "hex"))).toBe(true);
  });

  it.each(CAMERA_PROPERTIES.map(([name, uuid, fields]) => ({ name, uuid, fields })))("the $name property carrying bytes past its fields: they do not reach the copy, pixels identical", async ({ uuid, fields }) => {
    const marker = `Uuidtail${crypto.randomBytes(6).toString("hex")}`;
    const file = await makeHeif(await fs.mkdtemp(path.join(dir, "tail-")), MARKER, "heic");
    await fs.writeFile(file, appendInMetaBox(await fs.readFile(file), ["iprp", "ipco"], uuidBox(uuid, fields, ` ${marker}`)));
    expect(await findMarker(file, marker)).not.toEqual([]);

    await expectHeifCleanedSamePixels(server, file, marker, await heifPixelSignature(file));
  });

  it("a uuid property of any other UUID is still refused, with no copy", async () => {
    const marker = `Uuidother${crypto.randomBytes(6).toString("hex")}`;
    const file = await makeHeif(await fs.mkdtemp(path.join(dir, "other-")), MARKER, "heic");
    await fs.writeFile(file, appendInMetaBox(await fs.readFile(file), ["iprp", "ipco"], uuidBox(crypto.randomBytes(16).toString("hex"), "00000000", marker)));

    const { status, body, cleaned } = await removeViaApi(server, file, "photo.heic");
    expect(status, JSON.stringify(body)).toBe(422);
    expect(body["error"]).toBe("The file's metadata could not be removed completely.");
    expect(cleaned).toBeNull();
  });
});
