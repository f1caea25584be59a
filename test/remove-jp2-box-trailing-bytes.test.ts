import crypto from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { box, boxes } from "./helpers/make-formats.js";
import { findMarker } from "./helpers/marker-scan.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { type RunningServer, startServer } from "./helpers/server.js";
import { CONVERT, exiftool, pixelSignature, run } from "./helpers/tools.js";

/*
 * The boxes a JP2 keeps (image header, colour, resolution, reader requirements...) were copied
 * whole: bytes after their fields, which no decoder reads, came into the clean copy.
 */

let server: RunningServer;
let dir: string;
const MARKER = `Boxtail${crypto.randomBytes(6).toString("hex")}`;
const tail = Buffer.concat([Buffer.from(` ${MARKER} `), Buffer.from(MARKER, "utf16le")]);

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-jp2-tail-"));
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

/** `b` with `extra` after its payload, its length fixed. */
function extended(b: Buffer, extra: Buffer): Buffer {
  return box(b.toString("latin1", 4, 8), Buffer.concat([b.subarray(8), extra]));
}

/** The payload of the first box of `type` found by walking `path` (superboxes) from the top. */
function payloadOf(buf: Buffer, boxPath: readonly string[]): Buffer {
  let level = boxes(buf);
  let found: Buffer | undefined;
  for (const type of boxPath) {
    found = level.find((b) => b.type === type)?.bytes;
    if (found == null) throw new Error(`no ${boxPath.join("/")} box`);
    level = boxes(found, 8);
  }
  return found!.subarray(8);
}

describe("POST /api/v1/remove on a JP2 whose kept boxes have bytes after their fields", () => {
  it("cuts them from the image header, colour, resolution and reader requirements boxes; pixels unchanged", async () => {
    const made = path.join(dir, "made.jp2");
    await run(CONVERT, ["-size", "32x24", "gradient:#ff2000-#0030ff", made]);
    const drawn = await fs.readFile(made);
    const resd = Buffer.from([0x0b, 0x13, 0, 1, 0x0b, 0x13, 0, 1, 0, 0]); // 2835 px/m both ways
    const rreq = Buffer.from([1, 0x80, 0x80, 0, 1, 0, 5, 0x80, 0, 0]);
    const parts = boxes(drawn).flatMap(({ type, bytes }) => {
      if (type === "ftyp") return [bytes, extended(box("rreq", rreq), tail)];
      if (type !== "jp2h") return [bytes];
      const children = boxes(bytes, 8).map((c) => (c.type === "ihdr" || c.type === "colr" ? extended(c.bytes, tail) : c.bytes));
      return [box("jp2h", Buffer.concat([...children, box("res ", extended(box("resd", resd), tail))]))];
    });
    const file = path.join(dir, "marked.jp2");
    await fs.writeFile(file, Buffer.concat(parts));
    expect((await findMarker(file, MARKER)).length).toBeGreaterThan(0);

    const { status, body, cleaned } = await removeViaApi(server, file, "picture.jp2");
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body["remaining"]).toEqual({});
    const out = path.join(dir, "cleaned.jp2");
    await fs.writeFile(out, cleaned!);
    expect(await findMarker(out, MARKER)).toEqual([]);
    // Each box holds its fields as drawn (openjpeg refuses an image header of another length).
    expect(payloadOf(cleaned!, ["jp2h", "ihdr"]).equals(payloadOf(drawn, ["jp2h", "ihdr"]))).toBe(true);
    expect(payloadOf(cleaned!, ["jp2h", "colr"]).equals(payloadOf(drawn, ["jp2h", "colr"]))).toBe(true);
    expect(payloadOf(cleaned!, ["jp2h", "res ", "resd"]).equals(resd)).toBe(true);
    expect(payloadOf(cleaned!, ["rreq"]).equals(rreq)).toBe(true);
    expect((await exiftool(["-s3", "-Jpeg2000:DisplayXResolution", out])).trim()).not.toBe("");
    expect(await pixelSignature(out)).toBe(await pixelSignature(made));
  });
});
