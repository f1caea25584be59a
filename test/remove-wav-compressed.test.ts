import crypto from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mediaContent } from "./helpers/make-media.js";
import { findMarker } from "./helpers/marker-scan.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { type RunningServer, startServer } from "./helpers/server.js";
import { exiftool, ffmpegQuiet, run } from "./helpers/tools.js";
import { chunks, withLongerChunk } from "./helpers/wav-chunks.js";

let server: RunningServer;
let dir: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-remove-wav-compressed-"));
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

describe("POST /api/v1/remove on a compressed WAV (a `fact` chunk: Microsoft ADPCM)", () => {
  // Every format but PCM has a fact chunk, whose sample count ExifTool reads: such WAVs were refused
  // ('could not be removed completely'), the sounds packaged in Tika's Doc1_ole.doc among them.
  it("is cleaned: tags gone, sample count kept (and nothing past it), the same sound", async () => {
    const marker = `WavFact${crypto.randomBytes(5).toString("hex")}`;
    const made = path.join(dir, "made.wav");
    await run("ffmpeg", [...ffmpegQuiet, "-f", "lavfi", "-i", "sine=frequency=440:duration=1", "-c:a", "adpcm_ms", "-metadata", `title=${marker}`, "-metadata", `artist=${marker}`, made]);
    const file = path.join(dir, "sound.wav");
    await fs.writeFile(file, withLongerChunk(await fs.readFile(made), "fact", Buffer.from(`${marker}fact`, "latin1")));
    expect((await exiftool(["-s3", "-Encoding", file])).trim()).toBe("Microsoft ADPCM");
    const samples = chunks(await fs.readFile(file)).find((c) => c.id === "fact")!.data.readUInt32LE(0);
    expect(await findMarker(file, `${marker}fact`)).not.toEqual([]);

    const { status, body, cleaned } = await removeViaApi(server, file, "sound.wav");
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body["remaining"]).toEqual({});
    expect(await findMarker(cleaned!, marker)).toEqual([]);
    const fact = chunks(cleaned!).find((c) => c.id === "fact")!;
    expect(fact.data.length).toBe(4);
    expect(fact.data.readUInt32LE(0)).toBe(samples);
    const out = path.join(dir, "cleaned.wav");
    await fs.writeFile(out, cleaned!);
    expect(await mediaContent(out)).toEqual(await mediaContent(file));
  }, 60_000);
});
