import crypto from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { iccProfile } from "./helpers/make-images.js";
import { findMarker } from "./helpers/marker-scan.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { type RunningServer, startServer } from "./helpers/server.js";
import { CONVERT, exiftool, pixelSignature, run } from "./helpers/tools.js";

let server: RunningServer;
let dir: string;
const MARKER = `GapMark${crypto.randomBytes(6).toString("hex")}`;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-bmp-gap-"));
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

/** The marker as UTF-8 and UTF-16, as a writer would hide it. */
const hidden = Buffer.concat([Buffer.from(`hidden ${MARKER} `), Buffer.from(MARKER, "utf16le")]);

/**
 * A BMP drawn by ImageMagick (`format`) with `gap` put between its colour table (or header) and
 * its pixels, the pixel offset and file size moved to match. ImageMagick writes the pixels right
 * after the table.
 */
async function withGap(name: string, format: string, type: string, gap: Buffer): Promise<string> {
  const file = path.join(dir, name);
  await run(CONVERT, ["-size", "40x30", "gradient:#ff2000-#0030ff", "-type", type, `${format}:${file}`]);
  const bmp = await fs.readFile(file);
  const pixelsAt = bmp.readUInt32LE(10);
  const out = Buffer.concat([bmp.subarray(0, pixelsAt), gap, bmp.subarray(pixelsAt)]);
  out.writeUInt32LE(pixelsAt + gap.length, 10);
  out.writeUInt32LE(out.length, 2);
  await fs.writeFile(file, out);
  return file;
}

describe("POST /api/v1/remove on a BMP with bytes between its colour table and its pixels", () => {
  // The bytes before the pixel offset (bfOffBits) that no table or profile covers were copied as they were.
  it.each([
    ["an 8-bit palette picture (BMP3)", "BMP3", "Palette"],
    ["a true-colour picture (V5 header)", "BMP", "TrueColor"],
  ])("zeroes them in %s, pixels unchanged", async (_what, format, type) => {
    const file = await withGap(`${format}-${type}.bmp`, format, type, hidden);
    expect(await findMarker(file, MARKER)).not.toEqual([]);
    const { status, body, cleaned } = await removeViaApi(server, file, "picture.bmp");
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body["remaining"]).toEqual({});
    const out = path.join(dir, `cleaned-${format}-${type}.bmp`);
    await fs.writeFile(out, cleaned!);
    expect(await findMarker(out, MARKER)).toEqual([]);
    expect(await pixelSignature(out)).toBe(await pixelSignature(file));
  });

  it("with keep=colorProfile, a V5 header's profile in that gap stays and the rest of the gap is zeroed", async () => {
    const profile = iccProfile("Kept profile");
    const file = await withGap("profile.bmp", "BMP", "TrueColor", Buffer.concat([hidden, profile, hidden]));
    const bmp = await fs.readFile(file);
    const infoAt = 14;
    bmp.write("DEBM", infoAt + 56, "latin1");
    bmp.writeUInt32LE(bmp.readUInt32LE(10) - profile.length - hidden.length - infoAt, infoAt + 112);
    bmp.writeUInt32LE(profile.length, infoAt + 116);
    await fs.writeFile(file, bmp);
    const description = async (f: string): Promise<string> => (await exiftool(["-s3", "-ICC_Profile:ProfileDescription", f])).trim();
    expect(await description(file)).toBe("Kept profile");

    const { status, body, cleaned } = await removeViaApi(server, file, "picture.bmp", { keep: "colorProfile" });
    expect(status, JSON.stringify(body)).toBe(200);
    const out = path.join(dir, "cleaned-profile.bmp");
    await fs.writeFile(out, cleaned!);
    expect(await findMarker(out, MARKER)).toEqual([]);
    expect(await description(out)).toBe("Kept profile");
    // ImageMagick refuses this hand-made profile, so the pixel array is compared byte for byte.
    const pixelsAt = bmp.readUInt32LE(10);
    expect(cleaned!.readUInt32LE(10)).toBe(pixelsAt);
    expect(cleaned!.subarray(pixelsAt).equals(bmp.subarray(pixelsAt))).toBe(true);
  });
});
