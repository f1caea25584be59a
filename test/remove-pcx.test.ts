import crypto from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findMarker } from "./helpers/marker-scan.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { type RunningServer, startServer } from "./helpers/server.js";
import { CONVERT, exiftool, pixelSignature, run } from "./helpers/tools.js";

let server: RunningServer;
let dir: string;
const MARKER = `Pcxmark${crypto.randomBytes(6).toString("hex")}`;
const HEADER = 128;
const FILLER = 74;
const PALETTE = 769;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-pcx-"));
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

/**
 * A 9x5 gradient written by ImageMagick as a PCX (an 8-bit picture with its VGA palette at the end,
 * or a three-plane true-colour one), with the marker where a writer can hide it: in the header's
 * reserved filler and in bytes after the pixels (before the palette, which readers take from the
 * file's end, or at the end of a picture that has none). Resolves to the marked file and the
 * signature of the pixels ImageMagick wrote: ImageMagick itself takes the palette from right after
 * the pixels, so it reads the marked 8-bit picture with the wrong colours, and the cleaned copy
 * must show the picture as written.
 */
async function markedPicture(type: "Palette" | "TrueColor"): Promise<{ file: string; pixels: string }> {
  const made = path.join(dir, `made-${crypto.randomUUID()}.pcx`);
  await run(CONVERT, ["-size", "9x5", "gradient:#ff2000-#0030ff", "-type", type, made]);
  const bytes = Buffer.from(await fs.readFile(made));
  bytes.write(MARKER, FILLER, "latin1");
  const extra = Buffer.from(`trailer ${MARKER}`, "latin1");
  const parts = type === "Palette"
    ? [bytes.subarray(0, bytes.length - PALETTE), extra, bytes.subarray(bytes.length - PALETTE)]
    : [bytes, extra];
  const file = path.join(dir, `marked-${crypto.randomUUID()}.pcx`);
  await fs.writeFile(file, Buffer.concat(parts));
  return { file, pixels: await pixelSignature(made) };
}

describe("POST /api/v1/remove on PCX pictures", () => {
  it.each(["Palette", "TrueColor"] as const)("cuts what a writer hid in the header's filler and after the pixels (%s), pixels unchanged", async (type) => {
    const { file, pixels } = await markedPicture(type);
    const original = await fs.readFile(file);
    expect(original.indexOf(MARKER)).toBe(FILLER);
    expect(original.lastIndexOf(MARKER)).toBeGreaterThan(HEADER);
    expect((await exiftool(["-s3", "-FileType", file])).trim()).toBe("PCX");

    const { status, body, cleaned } = await removeViaApi(server, file, "paint.pcx");
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body["remaining"]).toEqual({});
    const out = path.join(dir, `cleaned-${crypto.randomUUID()}.pcx`);
    await fs.writeFile(out, cleaned!);
    expect(await findMarker(out, MARKER)).toEqual([]);
    expect(cleaned!.subarray(FILLER, HEADER).every((b) => b === 0)).toBe(true);
    expect((await exiftool(["-s3", "-FileType", out])).trim()).toBe("PCX");
    expect(await pixelSignature(out)).toBe(pixels);
  });

  it("says in words why a picture whose pixels are cut short cannot be cleaned", async () => {
    const { file } = await markedPicture("TrueColor");
    const bytes = await fs.readFile(file);
    await fs.writeFile(file, bytes.subarray(0, HEADER + 20));
    const started = Date.now();
    const { status, body } = await removeViaApi(server, file, "cut.pcx");
    expect(status).toBe(422);
    expect(body["error"]).toBe("The PCX picture is damaged: its pixel data is cut short.");
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});
