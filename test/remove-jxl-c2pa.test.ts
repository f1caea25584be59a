import crypto from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeJxl } from "./helpers/make-formats.js";
import { c2paStore } from "./helpers/make-jumbf.js";
import { findMarker } from "./helpers/marker-scan.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { type RunningServer, startServer } from "./helpers/server.js";
import { CONVERT, pixelSignature, run } from "./helpers/tools.js";

let server: RunningServer;
let dir: string;
const MARKER = `JxlMark${crypto.randomBytes(6).toString("hex")}`;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-jxl-c2pa-"));
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

/** The picture as libjxl decodes it (djxl to PNG). */
async function decoded(file: string): Promise<string> {
  const out = `${file}.png`;
  await run("/usr/bin/djxl", [file, out]);
  return pixelSignature(out);
}

/** Removes through the API, expecting a clean 200, and writes the copy as `cleaned-NAME`. */
async function cleaned(file: string): Promise<{ out: string; bytes: Buffer }> {
  const { status, body, cleaned: bytes } = await removeViaApi(server, file);
  expect(status, JSON.stringify(body)).toBe(200);
  expect(body["remaining"]).toEqual({});
  const out = path.join(path.dirname(file), `cleaned-${path.basename(file)}`);
  await fs.writeFile(out, bytes!);
  return { out, bytes: bytes! };
}

describe("POST /api/v1/remove on a JPEG XL file", () => {
  // ExifTool's rewrite keeps a JPEG XL's jumb boxes, so the proof found the manifest still there
  // and refused a valid signed file (422).
  it("with a C2PA manifest (jumb box): cleaned, the manifest and the marker gone, pixels unchanged", async () => {
    const sub = await fs.mkdtemp(path.join(dir, "c2pa-"));
    const file = path.join(sub, "signed.jxl");
    await fs.writeFile(file, Buffer.concat([await fs.readFile(await makeJxl(sub, MARKER)), c2paStore(`claim by ${MARKER}`)]));
    expect(await findMarker(file, MARKER)).not.toEqual([]);

    const { out, bytes } = await cleaned(file);
    expect(await findMarker(out, MARKER)).toEqual([]);
    expect(bytes.includes("jumb", 0, "latin1")).toBe(false);
    expect(await decoded(out)).toBe(await decoded(file));
  });

  // A JPEG recompressed by cjxl keeps what rebuilds the original JPEG in a `jbrd` box: its comment
  // and other APP segments (Brotli-compressed, unseen by ExifTool), which djxl writes back.
  it("recompressed from a JPEG with a comment: the JPEG rebuilt from the copy holds no comment, pixels unchanged", async () => {
    const sub = await fs.mkdtemp(path.join(dir, "jbrd-"));
    const jpeg = path.join(sub, "photo.jpg");
    await run(CONVERT, ["-seed", "7", "-size", "64x48", "plasma:fractal", "-quality", "90", "-set", "comment", `comment ${MARKER}`, jpeg]);
    const file = path.join(sub, "photo.jxl");
    await run("/usr/bin/cjxl", [jpeg, file]);
    const rebuilt = path.join(sub, "rebuilt.jpg");
    await run("/usr/bin/djxl", [file, rebuilt]);
    expect(await findMarker(rebuilt, MARKER)).not.toEqual([]);

    const { out } = await cleaned(file);
    const rebuiltClean = path.join(sub, "rebuilt-clean.jpg");
    await run("/usr/bin/djxl", [out, rebuiltClean]);
    expect(await findMarker(rebuiltClean, MARKER)).toEqual([]);
    expect(await decoded(out)).toBe(await decoded(file));
  });
});
