import crypto from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { commentSegment } from "./helpers/j2k-segments.js";
import { box } from "./helpers/make-images.js";
import { findMarker } from "./helpers/marker-scan.js";
import { expectQuickRefusal, REFUSAL_MS } from "./helpers/quick-refusal.js";
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

/**
 * A 32x32 gradient in four tiles written by OpenJPEG (a JP2 file, or a bare codestream: `j2k`)
 * with the marker as its comment (`-C`, in the codestream's main header, next to OpenJPEG's own),
 * and a second comment (or `extra`, another segment) put by hand into the first tile-part's
 * header, whose length (Psot) and the codestream box's length grow by it. `opj` adds options
 * (`-TLM`: an index of tile-part lengths).
 */
async function commented(kind: "jp2" | "j2k", opj: readonly string[] = [], extra = commentSegment(`tile ${MARKER}`)): Promise<string> {
  const ppm = path.join(dir, "gradient.ppm");
  await run(CONVERT, ["-size", "32x32", "gradient:#ff2000-#0030ff", "-depth", "8", ppm]);
  const made = path.join(dir, `made.${kind}`);
  await run("/usr/bin/opj_compress", ["-i", ppm, "-o", made, "-t", "16,16", "-n", "3", "-C", `main ${MARKER}`, ...opj]);
  const bytes = await fs.readFile(made);
  const codestream = kind === "jp2" ? bytes.indexOf("jp2c", 0, "latin1") - 4 : null;
  const sot = bytes.indexOf(SOT, codestream == null ? 2 : codestream + 8);
  const tileHeaderEnd = sot + 12;
  const out = Buffer.concat([bytes.subarray(0, tileHeaderEnd), extra, bytes.subarray(tileHeaderEnd)]);
  out.writeUInt32BE(out.readUInt32BE(sot + 6) + extra.length, sot + 6);
  const boxLength = codestream == null ? 0 : out.readUInt32BE(codestream);
  if (boxLength !== 0) out.writeUInt32BE(boxLength + extra.length, codestream!);
  const file = path.join(dir, `commented-${opj.length}.${kind}`);
  await fs.writeFile(file, out);
  return file;
}

describe("POST /api/v1/remove on a JP2 whose codestream holds comments", () => {
  // ExifTool neither reads nor rewrites the COM segments inside a JP2's codestream box: an
  // encoder's name (Kakadu, OpenJPEG) and any text the user gave it came back in the clean copy,
  // with `remaining` empty.
  it("blanks the comments of the main header and of a tile-part header, pixels unchanged", async () => {
    const file = await commented("jp2");
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

  // ExifTool cannot rewrite a JPX whose codestream is in fragments, which the answer called damaged.
  it("refuses a JPX whose codestream is reached through a fragment table as a type it does not clean", async () => {
    const bytes = await fs.readFile(await commented("jp2"));
    bytes.write("jpx ", 20, "latin1");
    const codestream = bytes.indexOf("jp2c", 0, "latin1") - 4;
    // One fragment: offset (64 bits), length, data reference 0 (this file).
    const fragment = Buffer.alloc(16);
    fragment.writeUInt16BE(1, 0);
    fragment.writeBigUInt64BE(BigInt(codestream + 8), 2);
    fragment.writeUInt32BE(bytes.readUInt32BE(codestream) - 8, 10);
    const file = path.join(dir, "fragments.jpf");
    await fs.writeFile(file, Buffer.concat([bytes, box("ftbl", box("flst", fragment))]));
    const { status, body } = await removeViaApi(server, file, "fragments.jpf");
    expect(status, JSON.stringify(body)).toBe(422);
    expect(body["error"]).toBe("Metadata removal is not supported for this file type (JPX with fragment tables)");
  });

  // The walk steps over a tile-part's data by its length (Psot). A length ending inside the
  // tile-part's own header, at a segment that leads back to the SOD, sent it round forever: the
  // request held a worker until its deadline.
  it("answers at once for a tile-part whose length leads back into its own header", async () => {
    // A packet-length segment (PLT: marker, length, index) right after the SOT, whose payload
    // holds the header of another segment that ends at the SOD; Psot points at that header.
    const segment = Buffer.from("ff58000b00ff580006cafebabe", "hex");
    const bytes = await fs.readFile(await commented("jp2", [], segment));
    const sot = bytes.indexOf(SOT, bytes.indexOf("jp2c", 0, "latin1") + 4);
    const looped = Buffer.from(bytes);
    looped.writeUInt32BE(12 + 5, sot + 6);
    const file = path.join(dir, "looped.jp2");
    await fs.writeFile(file, looped);
    const started = Date.now();
    const { status, body } = await removeViaApi(server, file, "looped.jp2");
    expect(Date.now() - started).toBeLessThan(REFUSAL_MS);
    expect(status, JSON.stringify(body)).toBe(422);
    expect(body["error"]).toBe("The JPEG 2000 file is damaged: a tile-part length runs outside its codestream.");
  }, 60_000);
});

describe("POST /api/v1/remove on a bare JPEG 2000 codestream (.j2c, .j2k)", () => {
  // A bare codestream used to be refused as a type the service does not clean; its only metadata
  // is its comments, which ExifTool reads (as Comment) but cannot write in this format.
  it("cuts the comments of the main header and of a tile-part header, pixels unchanged", async () => {
    const file = await commented("j2k");
    const original = await fs.readFile(file);
    expect(original.indexOf(`tile ${MARKER}`)).toBeGreaterThan(0);
    expect(await exiftool(["-s3", "-Comment", file])).toContain(MARKER);
    const pixels = await pixelSignature(file);

    const { status, body, cleaned } = await removeViaApi(server, file, "tiles.j2k");
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body["remaining"]).toEqual({});
    const out = path.join(dir, "cleaned.j2k");
    await fs.writeFile(out, cleaned!);
    expect(await findMarker(out, MARKER)).toEqual([]);
    expect(cleaned!.includes("OpenJPEG")).toBe(false);
    expect(cleaned!.length).toBeLessThan(original.length);
    expect((await exiftool(["-s3", "-FileType", out])).trim()).toBe("J2C");
    expect(await pixelSignature(out)).toBe(pixels);
  });

  it("refuses a codestream whose index of tile-part lengths a cut tile-part comment would make wrong", async () => {
    const file = await commented("j2k", ["-TLM"]);
    const { status, body } = await removeViaApi(server, file, "indexed.j2k");
    expect(status, JSON.stringify(body)).toBe(422);
    expect(body["error"]).toBe("The JPEG 2000 codestream's tile-part comments cannot be removed without breaking its index of tile-parts.");
  });

  it("refuses at once a codestream of 300,000 one-byte comments (2 MB; ExifTool reads each as a tag: 83-91 s at 270 MB)", async () => {
    const bytes = await fs.readFile(await commented("j2k"));
    const sizEnd = 4 + bytes.readUInt16BE(4);
    const many = Buffer.concat([bytes.subarray(0, sizEnd), Buffer.concat(Array<Buffer>(300_000).fill(commentSegment("x"))), bytes.subarray(sizEnd)]);
    await expectQuickRefusal(server, dir, "comments.j2k", many);
  }, 60_000);
});
