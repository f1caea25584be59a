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
const MARKER = `J2kcom${crypto.randomBytes(6).toString("hex")}`;
const SOT = Buffer.from([0xff, 0x90]);

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-jp2-com-"));
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

/** A COM segment holding `text` as Latin-1 (registration value 1). */
function comment(text: string): Buffer {
  const body = Buffer.from(text, "latin1");
  const segment = Buffer.alloc(6);
  segment.writeUInt16BE(0xff64, 0);
  segment.writeUInt16BE(4 + body.length, 2);
  segment.writeUInt16BE(1, 4);
  return Buffer.concat([segment, body]);
}

/**
 * A 32x32 gradient in four tiles written by OpenJPEG with the marker as its comment (`-C`, in the
 * codestream's main header, next to OpenJPEG's own), and a second comment put by hand into the
 * first tile-part's header, whose length (Psot) and the codestream box's length grow by it.
 */
async function commentedJp2(): Promise<string> {
  const ppm = path.join(dir, "gradient.ppm");
  await run(CONVERT, ["-size", "32x32", "gradient:#ff2000-#0030ff", "-depth", "8", ppm]);
  const made = path.join(dir, "made.jp2");
  await run("/usr/bin/opj_compress", ["-i", ppm, "-o", made, "-t", "16,16", "-n", "3", "-C", `main ${MARKER}`]);
  const bytes = await fs.readFile(made);
  const codestream = bytes.indexOf("jp2c", 0, "latin1") - 4;
  const sot = bytes.indexOf(SOT, codestream + 8);
  const tileHeaderEnd = sot + 12;
  const extra = comment(`tile ${MARKER}`);
  const out = Buffer.concat([bytes.subarray(0, tileHeaderEnd), extra, bytes.subarray(tileHeaderEnd)]);
  out.writeUInt32BE(out.readUInt32BE(sot + 6) + extra.length, sot + 6);
  const boxLength = out.readUInt32BE(codestream);
  if (boxLength !== 0) out.writeUInt32BE(boxLength + extra.length, codestream);
  const file = path.join(dir, "commented.jp2");
  await fs.writeFile(file, out);
  return file;
}

describe("POST /api/v1/remove on a JP2 whose codestream holds comments", () => {
  // ExifTool neither reads nor rewrites the COM segments inside a JP2's codestream box: an
  // encoder's name (Kakadu, OpenJPEG) and any text the user gave it came back in the clean copy,
  // with `remaining` empty.
  it("blanks the comments of the main header and of a tile-part header, pixels unchanged", async () => {
    const file = await commentedJp2();
    const original = await fs.readFile(file);
    expect(original.indexOf(`main ${MARKER}`)).toBeGreaterThan(0);
    expect(original.indexOf(`tile ${MARKER}`)).toBeGreaterThan(0);
    const pixels = await pixelSignature(file);

    const { status, body, cleaned } = await removeViaApi(server, file, "tiles.jp2");
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body["remaining"]).toEqual({});
    const out = path.join(dir, "cleaned.jp2");
    await fs.writeFile(out, cleaned!);
    expect(await findMarker(out, MARKER)).toEqual([]);
    expect(cleaned!.includes("OpenJPEG")).toBe(false);
    expect(cleaned!.length).toBe(original.length);
    expect((await exiftool(["-s3", "-FileType", out])).trim()).toBe("JP2");
    expect(await pixelSignature(out)).toBe(pixels);
  });
});
