import crypto from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { streamHash } from "./helpers/make-media.js";
import { findMarker } from "./helpers/marker-scan.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { type RunningServer, startServer } from "./helpers/server.js";
import { ffmpegQuiet, run } from "./helpers/tools.js";
import { chunks, withLongerChunk } from "./helpers/wav-chunks.js";

/*
 * A WAV's `fmt ` chunk holds the format's fields (16 bytes for PCM), then, for the other formats,
 * `cbSize` and as many bytes of the format's own extension. ffmpeg skips whatever a longer chunk
 * holds past that, so a writer may hide anything there: the copy's `fmt ` ends where the format
 * does, and the sound decodes sample for sample as before.
 */

let server: RunningServer;
let dir: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-wav-format-"));
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

const cases = [
  // ffmpeg writes PCM's 16 bytes; Microsoft ADPCM's 18 + 32 (its coefficients); A-law's 18 + 0;
  // float, and 6 channels of PCM, as WAVE_FORMAT_EXTENSIBLE, 18 + 22.
  { codec: "pcm_s16le", channels: 1, formatLength: 16 },
  { codec: "adpcm_ms", channels: 1, formatLength: 50 },
  { codec: "pcm_alaw", channels: 1, formatLength: 18 },
  { codec: "pcm_f32le", channels: 1, formatLength: 40 },
  { codec: "pcm_s16le", channels: 6, formatLength: 40 },
];

describe("bytes past the format in a WAV's fmt chunk", () => {
  it.each(cases)("$codec, $channels channel(s): they do not reach the copy, the same samples", async ({ codec, channels, formatLength }) => {
    const marker = `WavFmt${crypto.randomBytes(6).toString("hex")}`;
    const made = path.join(dir, `made-${codec}-${channels}.wav`);
    await run("ffmpeg", [...ffmpegQuiet, "-f", "lavfi", "-i", "sine=frequency=440:duration=1", "-ac", String(channels), "-c:a", codec, made]);
    const original = await fs.readFile(made);
    const format = chunks(original).find((c) => c.id === "fmt ")!.data;
    expect(format.length).toBe(formatLength);
    const file = path.join(dir, `format-${codec}-${channels}.wav`);
    await fs.writeFile(file, withLongerChunk(original, "fmt ", Buffer.from(` ${marker} `, "latin1")));
    expect(await findMarker(file, marker)).not.toEqual([]);

    const { status, body, cleaned } = await removeViaApi(server, file);
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body["remaining"]).toEqual({});
    expect(await findMarker(cleaned!, marker)).toEqual([]);
    expect(chunks(cleaned!).find((c) => c.id === "fmt ")!.data).toEqual(format);
    const out = path.join(dir, `cleaned-${codec}-${channels}.wav`);
    await fs.writeFile(out, cleaned!);
    expect(await streamHash(out, "0:a", true)).toBe(await streamHash(made, "0:a", true));
  }, 60_000);
});
