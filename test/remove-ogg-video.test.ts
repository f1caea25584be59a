import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findMarker } from "./helpers/marker-scan.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { type RunningServer, startServer } from "./helpers/server.js";
import { ffmpegQuiet, run } from "./helpers/tools.js";

/*
 * Ogg video (Theora, ExifTool's OGV; mutagen's sample.oggtheora) was an unsupported type, though
 * its comment headers are the Vorbis comments an Ogg audio file's cleaning already empties.
 */

let server: RunningServer;
let dir: string;
const MARKER = "OggTheoraMark5190";

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-ogv-"));
  server = await startServer();
});

afterAll(async () => {
  await server?.stop();
  if (dir != null) await fs.rm(dir, { recursive: true, force: true });
});

async function decoded(file: string, stream: "v" | "a"): Promise<string> {
  return (await run("ffmpeg", [...ffmpegQuiet, "-i", file, "-map", `0:${stream}`, "-f", "md5", "-"])).stdout.toString("utf8").trim();
}

describe("POST /api/v1/remove on an Ogg video", () => {
  it("empties its Theora and Vorbis comment headers (title, artist, a stream's comment, the encoder) and keeps both streams as they decode", async () => {
    const file = path.join(dir, "clip.ogv");
    await run("ffmpeg", [
      ...ffmpegQuiet, "-f", "lavfi", "-i", "testsrc=d=1:s=64x48", "-f", "lavfi", "-i", "sine=d=1", "-c:v", "libtheora", "-c:a", "libvorbis",
      "-metadata", `title=${MARKER}`, "-metadata", `artist=${MARKER}`, "-metadata:s:v", `comment=${MARKER}`, file,
    ]);
    expect(await findMarker(file, MARKER)).not.toEqual([]);
    expect((await fs.readFile(file)).includes("Lavf")).toBe(true);

    const outcome = await removeViaApi(server, file);
    expect(outcome.status, JSON.stringify(outcome.body)).toBe(200);
    expect(outcome.body["removed"]).toMatchObject({ vorbis: expect.any(Number) });
    expect(outcome.body["remaining"]).toEqual({});
    const out = path.join(dir, "cleaned.ogv");
    await fs.writeFile(out, outcome.cleaned!);
    expect(await findMarker(out, MARKER)).toEqual([]);
    expect((await fs.readFile(out)).includes("Lavf")).toBe(false);
    expect(await decoded(out, "v")).toBe(await decoded(file, "v"));
    expect(await decoded(out, "a")).toBe(await decoded(file, "a"));
  });
});
