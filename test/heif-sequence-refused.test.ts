import crypto from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { removeViaApi } from "./helpers/remove-api.js";
import { type RunningServer, startServer } from "./helpers/server.js";
import { exiftool, ffmpegQuiet, run } from "./helpers/tools.js";

/*
 * A HEIF image sequence whose major brand is `msf1` (ExifTool's HEIFS): Debian's libheif (1.15)
 * writes none and ffmpeg 5.1 no HEIF, so no cleaning of one could be checked against a real
 * writer's layout. Until one can, the type is refused in words, never handed to a cleaner of
 * another kind. (A sequence whose major brand is `avis`, or `heic` beside a still picture, is
 * cleaned by heif-sequence.ts: remove-avif-sequence.test.ts.)
 */

let server: RunningServer;
let dir: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-heifs-"));
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

describe("a HEIF image sequence (brand msf1)", () => {
  it("is refused in words as a type the service does not clean, with no copy", async () => {
    const marker = `Heifseq${crypto.randomBytes(6).toString("hex")}`;
    const file = path.join(dir, "frames.heics");
    await run("ffmpeg", [
      ...ffmpegQuiet, "-f", "lavfi", "-i", "testsrc=size=64x48:rate=5", "-frames:v", "4",
      "-c:v", "libx265", "-x265-params", "log-level=error", "-tag:v", "hvc1", "-brand", "msf1", "-metadata:s:v", `handler_name=${marker}`, "-f", "mp4", file,
    ]);
    expect((await exiftool(["-s3", "-FileType", file])).trim()).toBe("HEIFS");

    const { status, body, cleaned } = await removeViaApi(server, file);
    expect(status).toBe(422);
    expect(body["error"]).toBe("Metadata removal is not supported for this file type (HEIFS)");
    expect(cleaned).toBeNull();
  }, 60_000);
});
