import crypto from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeMarkedMedia } from "./helpers/make-media.js";
import { findMarker } from "./helpers/marker-scan.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { savedIn } from "./helpers/saved.js";
import { type RunningServer, startServer } from "./helpers/server.js";

/*
 * ffmpeg's MP4 demuxer reads a box whose fields claim more than the box holds on into the boxes
 * after it. An M4A whose decoder configuration (in `esds`) claimed 4 kB (one flipped bit, found by
 * the fuzz test) had its title, artist, comment and cover copied into the clean copy as the sound's
 * codec configuration, where ExifTool's re-read finds no tag: the copy went out with every marker.
 */

let server: RunningServer;
let dir: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-overread-"));
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

/** The M4A with its AudioSpecificConfig's descriptor (tag 5, a 4-byte length as ffmpeg writes it) claiming 4101 bytes. */
function withOverlongConfig(m4a: Buffer): Buffer {
  const esds = m4a.indexOf("esds");
  expect(esds).toBeGreaterThan(0);
  const descriptor = m4a.indexOf(Buffer.from([0x05, 0x80, 0x80, 0x80]), esds);
  expect(descriptor - esds).toBeLessThan(64);
  const damaged = Buffer.from(m4a);
  damaged[descriptor + 3] = 0xa0;
  return damaged;
}

describe("POST /api/v1/remove on an MP4 whose codec configuration claims more than its box holds", () => {
  it("refuses it as damaged (the same file whole is cleaned)", async () => {
    const marker = `Overread${crypto.randomBytes(5).toString("hex")}`;
    const whole = await fs.readFile(await makeMarkedMedia(dir, "m4a", marker));

    const clean = await removeViaApi(server, await savedIn(dir, "whole.m4a", whole));
    expect(clean.status, JSON.stringify(clean.body)).toBe(200);
    expect(await findMarker(clean.cleaned!, marker)).toEqual([]);

    const damaged = await removeViaApi(server, await savedIn(dir, "damaged.m4a", withOverlongConfig(whole)));
    expect(damaged.status, JSON.stringify(damaged.body)).toBe(422);
    expect(damaged.body["error"]).toBe("The M4A file is damaged: one of its boxes claims more bytes than it holds.");
    expect(damaged.cleaned).toBeNull();
  }, 120_000);
});
