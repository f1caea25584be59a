import crypto from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { box } from "./helpers/make-formats.js";
import { iccProfile } from "./helpers/make-images.js";
import { findMarker } from "./helpers/marker-scan.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { type RunningServer, startServer } from "./helpers/server.js";
import { CONVERT, exiftool, pixelSignature, run } from "./helpers/tools.js";

let server: RunningServer;
let dir: string;
const MARKER = `Jp2icc${crypto.randomBytes(6).toString("hex")}`;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-jp2-icc-"));
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

/**
 * A JP2 (ImageMagick) whose colour is given by an ICC profile (colour method 2, as Kakadu and
 * Photoshop write it; Pillow's balloon_eciRGBv2_aware.jp2) with the marker as its description and
 * copyright, in place of ImageMagick's sRGB by number; `enumeratedToo` keeps that number after it.
 */
async function jp2WithIcc(name: string, enumeratedToo: boolean): Promise<string> {
  const made = path.join(dir, `made-${name}.jp2`);
  await run(CONVERT, ["-size", "32x24", "gradient:#ff2000-#0030ff", made]);
  const bytes = await fs.readFile(made);
  const jp2h = bytes.indexOf("jp2h", 0, "latin1") - 4;
  const size = bytes.readUInt32BE(jp2h);
  const colr = bytes.indexOf("colr", jp2h, "latin1") - 4;
  const enumerated = bytes.subarray(colr, colr + bytes.readUInt32BE(colr));
  expect(enumerated[8]).toBe(1);
  const icc = box("colr", Buffer.concat([Buffer.from([2, 0, 0]), iccProfile(MARKER)]));
  const header = Buffer.concat([bytes.subarray(jp2h, colr), icc, enumeratedToo ? enumerated : Buffer.alloc(0), bytes.subarray(colr + enumerated.length, jp2h + size)]);
  header.writeUInt32BE(header.length);
  const file = path.join(dir, `${name}.jp2`);
  await fs.writeFile(file, Buffer.concat([bytes.subarray(0, jp2h), header, bytes.subarray(jp2h + size)]));
  return file;
}

describe("POST /api/v1/remove on a JP2 whose colour is given by an ICC profile", () => {
  it.each([
    ["alone", false],
    ["beside a colour space by number", true],
  ] as const)("removes the profile (%s): marker gone, sRGB given by number, pixels unchanged", async (name, enumeratedToo) => {
    const file = await jp2WithIcc(name.replace(/ /g, "-"), enumeratedToo);
    const before = await exiftool(["-G0", "-s", file]);
    expect(before).toContain(MARKER);
    expect(before).toMatch(/\[ICC_Profile\]\s+ProfileDescription\s+: /);

    const r = await removeViaApi(server, file, "picture.jp2");
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body["remaining"]).toEqual({});
    expect(r.body["removed"]).toMatchObject({ icc_profile: expect.any(Number) });
    const out = path.join(dir, `clean-${crypto.randomUUID()}.jp2`);
    await fs.writeFile(out, r.cleaned!);
    expect(await findMarker(out, MARKER)).toEqual([]);
    expect(await pixelSignature(out)).toBe(await pixelSignature(file));
    const after = await exiftool(["-G0", "-s", out]);
    expect(after).toMatch(/ColorSpecMethod\s+: Enumerated/);
    expect(after).toMatch(/ColorSpace\s+: sRGB/);
    expect(after).not.toContain("ICC_Profile");
  });

  it("keeps the profile with keep=colorProfile", async () => {
    const file = await jp2WithIcc("kept", false);
    const r = await removeViaApi(server, file, "picture.jp2", { keep: "colorProfile" });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.cleaned!.includes(Buffer.from(MARKER))).toBe(true);
  });
});
