import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { lumaAtEighth } from "../src/metadata/findings/jpeg-dc.js";
import { withThumbnail } from "./helpers/make-findings.js";
import { loggedTool, type QpdfLog } from "./helpers/qpdf-log.js";
import { type RunningServer, postFile, startServer } from "./helpers/server.js";
import { CONVERT, run } from "./helpers/tools.js";

let dir: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-eighth-"));
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

/** A textured picture of `size` (plasma from `seed`), written by ImageMagick with `options`. */
async function plasma(name: string, size: string, seed: number, options: string[] = []): Promise<string> {
  const file = path.join(dir, name);
  await run(CONVERT, ["-seed", String(seed), "-size", size, "plasma:fractal", ...options, file]);
  return file;
}

/** Random noise of `size`, written by ImageMagick with `options`. */
async function noise(name: string, size: string, options: string[]): Promise<string> {
  const file = path.join(dir, name);
  await run(CONVERT, ["-seed", "9", "-size", size, "xc:gray50", "+noise", "Random", ...options, file]);
  return file;
}

/** djpeg's grey output at an eighth of the size (`P5 W H 255` then a byte a pixel). */
async function djpegEighth(file: string): Promise<{ width: number; height: number; pixels: Buffer }> {
  const pgm = (await run("djpeg", ["-grayscale", "-scale", "1/8", "-pnm", file])).stdout;
  const m = /^P5\s+(\d+)\s+(\d+)\s+255\s/.exec(pgm.subarray(0, 64).toString("latin1"))!;
  return { width: Number(m[1]), height: Number(m[2]), pixels: pgm.subarray(m[0].length) };
}

describe("a JPEG read at its eighth, from its blocks' averages", () => {
  it("gives djpeg -grayscale -scale 1/8's pixels byte for byte: 4:2:0 with restart markers, 4:2:2, 4:4:4, grey, odd sizes, noise with long codes", async () => {
    const files = [
      await plasma("420-restarts.jpg", "301x203", 1, ["-sampling-factor", "2x2", "-define", "jpeg:restart-interval=3", "-quality", "80"]),
      await plasma("422.jpg", "160x120", 2, ["-sampling-factor", "2x1", "-quality", "92"]),
      await plasma("444.jpg", "200x100", 3, ["-sampling-factor", "1x1", "-quality", "95"]),
      await plasma("grey.jpg", "97x65", 4, ["-colorspace", "gray", "-quality", "70"]),
      // Noise at quality 100 has AC codes longer than the decoder's lookup (up to 16 bits) and long values.
      await noise("noise-q100.jpg", "640x480", ["-sampling-factor", "1x1", "-quality", "100"]),
      await noise("noise-restarts.jpg", "333x251", ["-sampling-factor", "2x2", "-define", "jpeg:restart-interval=1", "-quality", "98"]),
    ];
    for (const file of files) {
      const eighth = lumaAtEighth(await fs.readFile(file), 1_000_000);
      const djpeg = await djpegEighth(file);
      expect(eighth, file).not.toBeNull();
      expect({ width: eighth!.width, height: eighth!.height }, file).toEqual({ width: djpeg.width, height: djpeg.height });
      expect(Buffer.from(eighth!.pixels).equals(djpeg.pixels.subarray(0, djpeg.width * djpeg.height)), file).toBe(true);
    }
  });

  it("leaves to the other decoders a progressive JPEG, one past the pixel bound, and one cut short", async () => {
    const progressive = await fs.readFile(await plasma("progressive.jpg", "160x120", 5, ["-interlace", "JPEG"]));
    expect(lumaAtEighth(progressive, 1_000_000)).toBeNull();
    const baseline = await fs.readFile(await plasma("baseline.jpg", "160x120", 5));
    expect(lumaAtEighth(baseline, 160 * 120 - 1)).toBeNull();
    expect(lumaAtEighth(baseline.subarray(0, baseline.length - 400), 1_000_000)).toBeNull();
  });
});

describe("a camera-sized EXIF thumbnail (160 x 120) compared with its picture", () => {
  let server: RunningServer;
  let djpeg: QpdfLog;
  beforeAll(async () => {
    djpeg = await loggedTool(dir, "djpeg");
    server = await startServer({ PATH: djpeg.path });
  });
  afterAll(async () => server?.stop());

  async function previews(file: string): Promise<unknown> {
    const res = await postFile(`${server.baseUrl}/api/v1/extract`, { name: path.basename(file), data: await fs.readFile(file) }, { headers: { "X-API-Key": server.apiKey } });
    expect(res.status).toBe(200);
    return ((await res.json()) as { findings: Array<{ kind: string }> }).findings.find((f) => f.kind === "previews");
  }

  it("of the same picture is low, of another picture high, the 1 MP picture read at its eighth without starting djpeg", async () => {
    await djpeg.clear();
    const original = await plasma("original.jpg", "1152x864", 7, ["-quality", "92"]);
    const same = path.join(dir, "same.jpg");
    await fs.copyFile(original, same);
    expect(await previews(await withThumbnail(dir, same, original, [], "160x120"))).toMatchObject({ severity: "low" });
    const other = await plasma("other.jpg", "1152x864", 8, ["-quality", "92"]);
    const withOther = path.join(dir, "with-other.jpg");
    await fs.copyFile(original, withOther);
    expect(await previews(await withThumbnail(dir, withOther, other, [], "160x120"))).toMatchObject({ severity: "high", tags: ["exif:ThumbnailImage"] });
    expect(await djpeg.runs()).toEqual([]);
  });

  it("of a progressive picture, which djpeg decodes, is low for the same picture and high for another", async () => {
    await djpeg.clear();
    const original = await plasma("progressive-original.jpg", "1152x864", 7, ["-quality", "92", "-interlace", "JPEG"]);
    expect(await previews(await withThumbnail(dir, original, original, [], "160x120"))).toMatchObject({ severity: "low" });
    const withOther = await plasma("progressive-with-other.jpg", "1152x864", 7, ["-quality", "92", "-interlace", "JPEG"]);
    expect(await previews(await withThumbnail(dir, withOther, await plasma("progressive-other.jpg", "1152x864", 8), [], "160x120"))).toMatchObject({ severity: "high" });
    expect((await djpeg.runs()).length).toBeGreaterThanOrEqual(2);
  });
});
