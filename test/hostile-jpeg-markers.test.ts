import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectQuickRefusal, HEALTH_MS, REFUSAL_MS, TOO_COMPLEX } from "./helpers/quick-refusal.js";
import { postFile, type RunningServer, startServer } from "./helpers/server.js";
import { CONVERT, exiftool, run } from "./helpers/tools.js";
import { watchService } from "./helpers/watch-service.js";

/**
 * JPEGs whose header ExifTool walks one marker or byte at a time: stray markers without a segment
 * (stuffed 0xFF00, RSTn, TEM; 8 MB of them took it 5-6 s of CPU, the service 13 s), fill bytes
 * (8 MB: 3 s), and segments hidden from the screen behind a byte that is no marker (the screen
 * stopped there, ExifTool read on: a million empty segments, 6 s of CPU, 28 s through the
 * service). Each is a quick 422 for extraction and removal alike, while a picture with as many
 * stray markers as ExifTool reads in a moment is still read.
 */

let dir: string;
let server: RunningServer;
let jpeg: Buffer;
const MARKER = "stray-marker-artist";

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-hostile-jpeg-markers-"));
  server = await startServer();
  const made = path.join(dir, "made.jpg");
  await run(CONVERT, ["-size", "64x48", "gradient:#ff2000-#0030ff", "-quality", "90", made]);
  await exiftool(["-q", "-overwrite_original", `-EXIF:Artist=${MARKER}`, made]);
  jpeg = await fs.readFile(made);
});

afterAll(async () => {
  await server?.stop();
  if (dir != null) await fs.rm(dir, { recursive: true, force: true });
});

const times = (n: number, piece: Buffer): Buffer => Buffer.concat(Array<Buffer>(n).fill(piece));

/** The picture with `inserted` right after its first segment (JFIF), before its EXIF and tables. */
function withAfterFirstSegment(inserted: Buffer): Buffer {
  const end = 4 + jpeg.readUInt16BE(4);
  return Buffer.concat([jpeg.subarray(0, end), inserted, jpeg.subarray(end)]);
}

async function extract(name: string, data: Buffer): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await postFile(`${server.baseUrl}/api/v1/extract`, { name, data }, { headers: { "X-API-Key": server.apiKey } });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** Extraction of `data` must be a quick 422 too, the service answering meanwhile. */
async function expectQuickExtractRefusal(name: string, data: Buffer): Promise<void> {
  const started = Date.now();
  const { result, slowestHealthMs } = await watchService(server, () => extract(name, data));
  expect(result.status, `${name}: ${JSON.stringify(result.body)}`).toBe(422);
  expect(result.body["error"]).toBe(TOO_COMPLEX);
  expect(Date.now() - started, name).toBeLessThan(REFUSAL_MS);
  expect(slowestHealthMs, name).toBeLessThan(HEALTH_MS);
}

describe("JPEG headers ExifTool walks a marker at a time", () => {
  it("4 million stuffed 0xFF00 markers before the tables (8 MB; ExifTool 5-6 s of CPU, the service 13 s) are a quick 422", async () => {
    const data = withAfterFirstSegment(times(4_000_000, Buffer.from([0xff, 0x00])));
    await expectQuickExtractRefusal("ff00.jpg", data);
    await expectQuickRefusal(server, dir, "ff00.jpg", data);
  }, 120_000);

  it("a million restart markers each followed by a stray byte (3 MB), and 4 MB of fill bytes, are quick 422s", async () => {
    const restarts = withAfterFirstSegment(times(1_000_000, Buffer.from([0xff, 0xd0, 0x41])));
    await expectQuickExtractRefusal("restarts.jpg", restarts);
    await expectQuickRefusal(server, dir, "restarts.jpg", restarts);
    const fill = withAfterFirstSegment(Buffer.alloc(4_000_000, 0xff));
    await expectQuickExtractRefusal("fill.jpg", fill);
    await expectQuickRefusal(server, dir, "fill.jpg", fill);
  }, 120_000);

  it("a million empty segments behind one byte that is no marker (which ExifTool reads past; 28 s through the service) are a quick 422", async () => {
    const data = withAfterFirstSegment(Buffer.concat([Buffer.from("A"), times(1_000_000, Buffer.from([0xff, 0xef, 0, 2]))]));
    await expectQuickExtractRefusal("hidden-segments.jpg", data);
    await expectQuickRefusal(server, dir, "hidden-segments.jpg", data);
  }, 120_000);

  it("a picture with 5,000 stray markers, which ExifTool reads in a moment, is still read, its EXIF shown", async () => {
    const data = withAfterFirstSegment(times(5_000, Buffer.from([0xff, 0x00, 0xff, 0xd3])));
    const { status, body } = await extract("some-stray.jpg", data);
    expect(status, JSON.stringify(body)).toBe(200);
    const metadata = body["metadata"] as Record<string, Record<string, unknown>>;
    expect(metadata["exif"]?.["Artist"]).toBe(MARKER);
    expect(metadata["File"]?.["ImageWidth"]).toBe("64");
  }, 60_000);
});
