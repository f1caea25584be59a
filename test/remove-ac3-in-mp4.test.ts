import crypto from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mediaContent, quickTimeTags, streamKinds } from "./helpers/make-media.js";
import { findMarker } from "./helpers/marker-scan.js";
import { appendInside } from "./helpers/plant-boxes.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { type RunningServer, startServer } from "./helpers/server.js";
import { ffmpegQuiet, run } from "./helpers/tools.js";

/*
 * AC-3 and E-AC-3 sound in MP4/M4A (Dolby Digital, as films and TV recordings carry it): ExifTool
 * reports its codec configuration (dac3, dec3) as an unnamed box, so every such file was refused
 * 'could not be removed completely' (taglib's ac3.m4a and eac3.m4a test files; test fails on main).
 */

let server: RunningServer;
let dir: string;
const MARKER = `Dolby${crypto.randomBytes(6).toString("hex")}`;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-ac3-mp4-"));
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

async function makeDolby(codec: "ac3" | "eac3"): Promise<string> {
  const file = path.join(dir, `${codec}-${crypto.randomUUID()}.mp4`);
  await run("ffmpeg", [...ffmpegQuiet, "-f", "lavfi", "-i", "sine=frequency=440:duration=1", "-c:a", codec, "-metadata", `title=${MARKER}`, "-metadata:s:a", `handler_name=${MARKER}`, file]);
  await quickTimeTags(file, MARKER);
  return file;
}

describe("AC-3 and E-AC-3 sound in an MP4", () => {
  it.each(["ac3", "eac3"] as const)("%s is cleaned, its sound decoding the same", async (codec) => {
    const file = await makeDolby(codec);
    expect(await findMarker(file, MARKER)).not.toEqual([]);
    const before = await mediaContent(file);
    const { status, body, cleaned } = await removeViaApi(server, file);
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body["remaining"]).toEqual({});
    const out = path.join(dir, `cleaned-${path.basename(file)}`);
    await fs.writeFile(out, cleaned!);
    expect(await findMarker(out, MARKER)).toEqual([]);
    expect(await streamKinds(out)).toEqual(await streamKinds(file));
    expect(await mediaContent(out)).toEqual(before);
  });

  it.each([["ac3", "dac3"], ["eac3", "dec3"]] as const)("%s is refused, never handed back, when its %s box carries more than the codec's numbers", async (codec, box) => {
    const file = await makeDolby(codec);
    await appendInside(file, ["moov", "trak", "mdia", "minf", "stbl", "stsd", "entry", box], Buffer.from(MARKER));
    const { status, body } = await removeViaApi(server, file);
    expect(status, JSON.stringify(body)).toBe(422);
    expect(body["error"]).toBe("The file's metadata could not be removed completely.");
  });
});
