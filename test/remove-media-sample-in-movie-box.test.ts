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
 * An MP4 whose sample table places a sample inside the movie box (a chunk offset damaged, found
 * by the fuzz test as a length that lied): ffmpeg's remux copied the track headers there, handler
 * name and all, as a frame of the video, where no reader of metadata looks. A muxer never writes a
 * sample outside media data; such a file is refused as damaged.
 */

let server: RunningServer;
let dir: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-sample-in-moov-"));
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

/** The MP4 with a chunk of its first track placed on that track's handler box, in the movie box. */
function withChunkOnHandler(mp4: Buffer): Buffer {
  const moov = mp4.indexOf("moov");
  const mdat = mp4.indexOf("mdat");
  expect(moov, "the movie box comes before the media data").toBeLessThan(mdat);
  const hdlr = mp4.indexOf("hdlr", moov) - 4;
  const stco = mp4.indexOf("stco", moov);
  expect(hdlr).toBeGreaterThan(moov);
  expect(stco).toBeGreaterThan(hdlr);
  const damaged = Buffer.from(mp4);
  // stco: type, version and flags, entry count, then the chunks' offsets: one of the last moved,
  // as the fuzz test's was (a first chunk moved makes the remux lose the track: a 422 already).
  const chunks = mp4.readUInt32BE(stco + 8);
  expect(chunks).toBeGreaterThan(3);
  damaged.writeUInt32BE(hdlr, stco + 12 + 4 * (chunks - 3));
  return damaged;
}

describe("POST /api/v1/remove on an MP4 whose sample table places a sample in its movie box", () => {
  it("refuses it as damaged (the same file whole is cleaned)", async () => {
    const marker = `InMoov${crypto.randomBytes(5).toString("hex")}`;
    const whole = await fs.readFile(await makeMarkedMedia(dir, "mp4", marker));

    const clean = await removeViaApi(server, await savedIn(dir, "whole.mp4", whole));
    expect(clean.status, JSON.stringify(clean.body)).toBe(200);
    expect(await findMarker(clean.cleaned!, marker)).toEqual([]);

    const damaged = await removeViaApi(server, await savedIn(dir, "damaged.mp4", withChunkOnHandler(whole)));
    expect(damaged.status, JSON.stringify(damaged.body)).toBe(422);
    expect(damaged.body["error"]).toBe("The MP4 file is damaged: its sample tables place a sample inside its 'moov' box.");
    expect(damaged.cleaned).toBeNull();
  }, 120_000);
});
