import crypto from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeMpeg4Video } from "./helpers/make-mpeg4.js";
import { findMarker } from "./helpers/marker-scan.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { savedIn } from "./helpers/saved.js";
import { type RunningServer, startServer } from "./helpers/server.js";

/*
 * A video whose codec ffmpeg does not know is copied by the remux as opaque bytes: an Xvid AVI
 * whose codec tag lost a bit ("FMP4" read as "FLP4", found by the mutation test of MPEG-4 user
 * data) went out with its "Clip by ..." user data in every key frame and in its codec
 * configuration, which only the MPEG-4 walk removes. What cannot be read cannot be proved clean:
 * such a file is refused.
 */

let server: RunningServer;
let dir: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-unknown-codec-"));
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

describe("POST /api/v1/remove on a video whose codec ffmpeg does not know", () => {
  it("refuses it, saying so (the same file with its codec tag whole is cleaned)", async () => {
    const marker = `Codec${crypto.randomBytes(5).toString("hex")}`;
    const whole = await fs.readFile(await makeMpeg4Video(dir, "avi", "libxvid", marker));

    const clean = await removeViaApi(server, await savedIn(dir, "whole.avi", whole));
    expect(clean.status, JSON.stringify(clean.body)).toBe(200);
    expect(await findMarker(clean.cleaned!, marker)).toEqual([]);

    // The BITMAPINFOHEADER's compression (after its size, width, height, planes and bit count).
    const strf = whole.indexOf("strf");
    const tag = strf + 8 + 16;
    expect(whole.toString("latin1", tag, tag + 4)).toBe("FMP4");
    const damaged = Buffer.from(whole);
    damaged.write("FLP4", tag, "latin1");
    const refused = await removeViaApi(server, await savedIn(dir, "damaged.avi", damaged));
    expect(refused.status, JSON.stringify(refused.body)).toBe(422);
    expect(refused.body["error"]).toBe("The AVI file holds a video stream in a format this service does not know, so what rides inside it cannot be checked.");
    expect(refused.cleaned).toBeNull();
  }, 120_000);
});
