import crypto from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findMarker } from "./helpers/marker-scan.js";
import { readTar } from "./helpers/read-archives.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { type RunningServer, startServer } from "./helpers/server.js";
import { CONVERT, exiftool, pixelSignature, run } from "./helpers/tools.js";

let server: RunningServer;
let dir: string;
const MARKER = `TarVSeven${crypto.randomBytes(6).toString("hex")}`;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-tar-v7-"));
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

describe("POST /api/v1/remove on a tar archive of the pre-POSIX (V7) format", () => {
  it("cleans it member by member like any tar (Pillow's hopper.tar was 'not supported (unknown)'), markers gone, same pixels", async () => {
    const members = path.join(dir, "members");
    await fs.mkdir(members);
    const photo = path.join(members, "photo.jpg");
    await run(CONVERT, ["-size", "40x30", "gradient:#ff2000-#0030ff", photo]);
    await exiftool(["-q", "-overwrite_original", `-EXIF:Artist=${MARKER}`, `-XMP-dc:Creator=${MARKER}`, photo]);
    const pixels = await pixelSignature(photo);
    const file = path.join(dir, "old.tar");
    // GNU tar's V7 format: no "ustar" magic, which ExifTool looks for.
    await run("tar", ["--format=v7", "-cf", file, "-C", members, "photo.jpg"]);
    const original = await fs.readFile(file);
    expect(original.toString("latin1", 257, 262)).not.toBe("ustar");
    expect((await exiftool(["-s3", "-FileType", file])).trim()).toBe("");

    const { status, body, cleaned } = await removeViaApi(server, file, "old.tar");
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body["remaining"]).toEqual({});
    expect(await findMarker(cleaned!, MARKER)).toEqual([]);
    const read = await readTar(cleaned!);
    expect(read.map((m) => m.header.name)).toEqual(["photo.jpg"]);
    const out = path.join(dir, "photo-clean.jpg");
    await fs.writeFile(out, read[0]!.data);
    expect(await pixelSignature(out)).toBe(pixels);
  });
});
