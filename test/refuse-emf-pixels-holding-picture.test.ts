import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeEmf } from "./helpers/make-legacy-pictures.js";
import { emfRecord, withEmfRecords, words } from "./helpers/make-metafile-records.js";
import { makeMarkedJpeg } from "./helpers/make-office.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { type RunningServer, startServer } from "./helpers/server.js";
import { CONVERT, EXIFTOOL, exiftool, run } from "./helpers/tools.js";

const MARKER = "PXZQ8";
let server: RunningServer;
let dir: string;

beforeAll(async () => {
  server = await startServer();
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-metafile-photo-bits-"));
});

afterAll(async () => {
  await server?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

/** 24-bit pixels, 4 a row: rows of 12 bytes, no padding, so every byte of the bits is a pixel's. */
const WIDTH = 4;

/** A plain (BI_RGB) 24-bit DIB whose pixel bytes begin with `jpeg`, zeros after it. */
function dibOf(jpeg: Buffer): { header: Buffer; bits: Buffer; height: number } {
  const height = Math.ceil(jpeg.length / (3 * WIDTH));
  const header = Buffer.concat([words(40, WIDTH, height), Buffer.from([1, 0, 24, 0]), words(0, 3 * WIDTH * height, 0, 0, 0, 0)]);
  const bits = Buffer.concat([jpeg, Buffer.alloc(3 * WIDTH * height - jpeg.length)]);
  return { header, bits, height };
}

/** STRETCHDIBITS ([MS-EMF] 2.3.1.7) of that DIB. */
function emfWith(jpeg: Buffer): Buffer {
  const { header, bits, height } = dibOf(jpeg);
  const head = words(0, 0, 40, 40, 0, 0, 0, 0, WIDTH, height, 80, header.length, 80 + header.length, bits.length, 0, 0x00cc0020, 40, 40);
  return withEmfRecords(makeEmf(MARKER), [emfRecord(81, head, header, bits)]);
}

/** Pictures ExifTool reads where it finds them, each carrying the marker in a tag the drawing's cleaner does not scan for (a JPEG comment, a bare TIFF's Artist) or one it does (EXIF). */
async function picture(kind: "jpeg comment" | "tiff artist" | "jpeg exif"): Promise<Buffer> {
  if (kind === "jpeg exif") return makeMarkedJpeg(dir, MARKER);
  const file = path.join(dir, kind === "tiff artist" ? "inside.tif" : "inside.jpg");
  await run(CONVERT, ["-size", "4x4", "xc:#3366cc", ...(kind === "tiff artist" ? ["-compress", "none"] : []), file]);
  await run(EXIFTOOL, ["-q", "-overwrite_original", kind === "tiff artist" ? `-Artist=${MARKER}` : `-Comment=${MARKER}`, file]);
  return fs.readFile(file);
}

describe("an EMF whose bitmap's pixels begin with a picture", () => {
  // ExifTool knows no EMF, and reads a JPEG or TIFF it finds in an unknown file's first kilobyte
  // ("JPEG-like data after unknown header"): the drawing's pixels, copied as pixels, show that
  // picture's tags, which the walk of the drawing's records cannot see. (A WMF is not such a
  // file: ExifTool knows its header, calls it unsupported and reads nothing past it.)
  it.each(["jpeg comment", "tiff artist", "jpeg exif"] as const)("pixels beginning with a %s: refused rather than handed back with the marker as clean", async (kind) => {
    const inside = await picture(kind);
    const original = emfWith(inside);
    expect(original.indexOf(inside)).toBeLessThan(1024 - 4);
    const file = path.join(dir, `${kind.replace(" ", "-")}.emf`);
    await fs.writeFile(file, original);
    expect(await exiftool(["-s3", "-Artist", "-Comment", file])).toContain(MARKER);

    const { status, body, cleaned } = await removeViaApi(server, file);
    expect(cleaned, JSON.stringify(body)).toBeNull();
    expect(status).toBe(422);
  });
});
