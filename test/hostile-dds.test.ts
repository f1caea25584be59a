import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DDSCAPS2_CUBEMAP_ALLFACES, DDSD_DEPTH, DDSD_MIPMAPCOUNT, DDSD_TEXTURE, DIMENSION_3D, DXGI_R8G8B8A8_UNORM, ddsHeader, patternBytes } from "./helpers/make-dds.js";
import { HEALTH_MS, REFUSAL_MS, TREE_MB, removeBytesWatched } from "./helpers/quick-refusal.js";
import { type RunningServer, startServer } from "./helpers/server.js";

/**
 * DirectDraw Surface textures whose headers declare far more than the file holds (gigabytes of
 * pixels in 4 KB, a mip count of 1000, an array of four billion textures): the cleaner sizes the
 * pixel data from the header alone, so each is a quick 422 naming why, with /healthz answering
 * and nothing left on the disk, however much the header claims.
 */

let dir: string;
let server: RunningServer;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-hostile-dds-"));
  server = await startServer();
});

afterAll(async () => {
  await server?.stop();
  if (dir != null) await fs.rm(dir, { recursive: true, force: true });
});

const KB4 = 4096;
const MAX = 0xffffffff;

describe("DDS headers that declare more than the file holds", () => {
  it.each([
    ["a 65,535 x 65,535 DXT1 texture with its full mip chain (2.8 GB) in 4 KB", { width: 65535, height: 65535, mipCount: 16, flags: DDSD_TEXTURE | DDSD_MIPMAPCOUNT, fourCc: "DXT1" }, "its pixel data is cut short"],
    ["the widest and tallest DXT5 cube map a header can declare", { width: MAX, height: MAX, fourCc: "DXT5", caps2: DDSCAPS2_CUBEMAP_ALLFACES }, "its pixel data is cut short"],
    ["a mip count of 1000", { width: 32, height: 32, mipCount: 1000, flags: DDSD_TEXTURE | DDSD_MIPMAPCOUNT, fourCc: "DXT1" }, "it declares more mip levels than its size allows"],
    ["a DX10 array of four billion 1x1 textures", { width: 1, height: 1, dxgiFormat: DXGI_R8G8B8A8_UNORM, arraySize: MAX }, "its pixel data is cut short"],
    ["a DX10 volume four billion slices deep", { width: 16, height: 16, depth: MAX, flags: DDSD_TEXTURE | DDSD_DEPTH, dxgiFormat: DXGI_R8G8B8A8_UNORM, dimension: DIMENSION_3D }, "its pixel data is cut short"],
    ["a DX10 texture of a planar video format (NV12)", { width: 16, height: 16, dxgiFormat: 103 }, "its pixel format is not one whose size the cleaner knows"],
  ] as const)("%s is a quick 422", async (_, header, why) => {
    const head = ddsHeader(header);
    const data = Buffer.concat([head, patternBytes(KB4 - head.length, 7)]);
    const { result, ms, peakTreeMb, slowestHealthMs } = await removeBytesWatched(server, dir, "hostile.dds", data);
    expect(result.status).toBe(422);
    expect(result.body["error"]).toBe(`The DDS texture cannot be cleaned: ${why}.`);
    expect(ms).toBeLessThan(REFUSAL_MS);
    expect(peakTreeMb).toBeLessThan(TREE_MB);
    expect(slowestHealthMs).toBeLessThan(HEALTH_MS);
  });
});
