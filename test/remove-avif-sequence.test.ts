import crypto from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeAvifSequence } from "./helpers/make-avif-sequence.js";
import { streamHash } from "./helpers/make-media.js";
import { findMarker } from "./helpers/marker-scan.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { type RunningServer, startServer } from "./helpers/server.js";
import { exiftool, pixelSignature, run } from "./helpers/tools.js";

let server: RunningServer;
let dir: string;
const MARKER = `Avifs${crypto.randomBytes(6).toString("hex")}`;
const STAR = fileURLToPath(new URL("./fixtures/avif/star.avifs", import.meta.url));

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-avif-sequence-"));
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
  if (dir != null) await fs.rm(dir, { recursive: true, force: true });
});

async function cleaned(file: string, name: string): Promise<{ out: string; removed: Record<string, number> }> {
  const r = await removeViaApi(server, file, name);
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  expect(r.body["remaining"]).toEqual({});
  const out = path.join(dir, `cleaned-${crypto.randomUUID()}-${name}`);
  await fs.writeFile(out, r.cleaned!);
  return { out, removed: r.body["removed"] as Record<string, number> };
}

/** The decoded frames of every track, with their timing. */
async function frames(file: string): Promise<string> {
  return streamHash(file, "0", true);
}

/** ImageMagick (libheif) reads the still picture of a file named .avif; the brand `avis` alone it refuses. */
async function stillSignature(file: string): Promise<string> {
  const still = path.join(dir, `still-${crypto.randomUUID()}.avif`);
  await fs.copyFile(file, still);
  return pixelSignature(still);
}

/** Track count and kinds as ffprobe sees them. */
async function streams(file: string): Promise<string> {
  const { stdout } = await run("ffprobe", ["-v", "error", "-show_entries", "stream=index,codec_name,width,height,nb_frames", "-of", "csv", file]);
  return stdout.toString("utf8");
}

describe("AVIF image sequences (.avifs) are cleaned on both sides: the still picture's items and the movie's boxes", () => {
  it("removes the Exif and XMP items, the movie's and the track's user data, keyed metadata, XMP and handler names; frames and still picture unchanged", async () => {
    const file = await makeAvifSequence(dir, MARKER);
    // Each place holds the marker before cleaning, as ExifTool reads it.
    const before = await exiftool(["-G1", "-a", "-u", "-s", file]);
    for (const tag of ["Artist", "GPSLatitude", "Title", "Author", "Comment", "HandlerDescription"]) expect(before).toMatch(new RegExp(`${tag}\\s*:`));
    expect(before).toContain(MARKER);

    const { out, removed } = await cleaned(file, "clip.avifs");
    expect(await findMarker(out, MARKER)).toEqual([]);
    expect(removed).toMatchObject({ exif: expect.any(Number), xmp: expect.any(Number), quicktime: expect.any(Number) });
    expect(await frames(out)).toBe(await frames(file));
    expect(await streams(out)).toBe(await streams(file));
    expect(await stillSignature(out)).toBe(await stillSignature(file));
    const after = await exiftool(["-G1", "-a", "-u", "-s", "-ee", "--System:all", out]);
    expect(after).toContain("AV1 Image Sequence");
    expect(after).not.toMatch(/GPS|Artist|Author|Comment|XMP/);
    expect(after).not.toMatch(/(Create|Modify)Date\s*:\s*[1-9]/);
  });

  it("keeps the alpha plane's track tied to the colour track (Pillow's star.avifs, made by GPAC): both tracks' frames, the still picture and its alpha unchanged", async () => {
    const { out, removed } = await cleaned(STAR, "star.avifs");
    // GPAC signs the handler names ("GPAC avifs", "GPAC pict Handler"); the movie holds 2020 dates.
    expect(await findMarker(out, "GPAC")).toEqual([]);
    expect(removed["quicktime"]).toBeGreaterThan(0);
    expect(await frames(out)).toBe(await frames(STAR));
    expect(await stillSignature(out)).toBe(await stillSignature(STAR));
    const after = await exiftool(["-G1", "-a", "-u", "-s", out]);
    expect(after).toMatch(/Unknown_auxl/);
    expect(after).toContain("urn:mpeg:mpegB:cicp:systems:auxiliary:alpha");
    expect(after).not.toContain("2020:");
  });
});
