import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makePsd } from "./helpers/make-formats.js";
import { makeEps, makeIllustratorEps } from "./helpers/make-postscript.js";
import { layerBlock, withLayerBlocks } from "./helpers/make-psd-layers.js";
import { type RunningServer, startServer } from "./helpers/server.js";
import { watchRemoval } from "./helpers/watch-service.js";

/**
 * Files built against this session's new code paths (RTF's destination allow-list, PSD layers
 * and smart objects, Illustrator EPS): each a valid or a hostile file that cost the service far
 * more memory than its size, or a refusal, before it was fixed.
 */

/** /healthz on a busy 2-core machine: the contract says under a second. */
const HEALTH_MS = 1000;
/** The service and its children together (~200 MB idle with a worker and ExifTool started). */
const TREE_MB = 600;
/** The same, for a 24 MB EPS read whole by the cleaner (a string per line took 550 MB). */
const LINES_TREE_MB = 420;
/** The same, for an 84 MB PSD whose layer metadata settings are read whole (a buffer per item took 620 MB). */
const SETTINGS_TREE_MB = 480;

let dir: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-hostile-paths-"));
});

afterAll(async () => {
  if (dir != null) await fs.rm(dir, { recursive: true, force: true });
});

/**
 * Removal of `data` by a server of its own, watched: memory the service keeps after earlier
 * requests (its heaps grown) would blur the peak of this one.
 */
async function removeWatched(name: string, data: Buffer | string) {
  const file = path.join(dir, name);
  await fs.writeFile(file, data);
  const server: RunningServer = await startServer();
  try {
    return await watchRemoval(server, file);
  } finally {
    await server.stop();
  }
}

describe("RTF", () => {
  it("a 6 MB document of three million empty groups is cleaned within fixed memory (was a worker out of memory, 422)", async () => {
    const { result, peakTreeMb, slowestHealthMs } = await removeWatched("groups.rtf", `{\\rtf1\\ansi ${"{}".repeat(3_000_000)}hello}`);
    expect(result.status, JSON.stringify(result.body)).toBe(200);
    expect(result.cleaned!.toString("latin1")).toContain("hello}");
    expect(peakTreeMb).toBeLessThan(TREE_MB);
    expect(slowestHealthMs).toBeLessThan(HEALTH_MS);
  }, 120_000);

  it("a million tiny pictures, or one picture's data in two million pieces, are a 422 within fixed memory (a worker ran out of its heap first: 780 MB)", async () => {
    for (const [name, rtf] of [
      ["pictures.rtf", `{\\rtf1\\ansi ${"{\\pict ab}".repeat(1_000_000)}hello}`],
      ["pieces.rtf", `{\\rtf1\\ansi {\\pict\\pngblip ${"ab\\zz ".repeat(2_000_000)}}hello}`],
    ]) {
      const { result, peakTreeMb, slowestHealthMs } = await removeWatched(name!, rtf!);
      expect(result.status).toBe(422);
      expect(result.body["error"]).toBe("The file is too complex to process within this service's limits.");
      expect(peakTreeMb).toBeLessThan(TREE_MB);
      expect(slowestHealthMs).toBeLessThan(HEALTH_MS);
    }
  }, 120_000);
});

const u32 = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
};

/** A layer record of no channels, no mask, no blending ranges, named "abc", without blocks (40 bytes). */
const BARE_RECORD = Buffer.concat([Buffer.alloc(16), Buffer.from([0, 0]), Buffer.from("8BIMnorm", "latin1"), Buffer.from([255, 0, 0, 0]), u32(12), u32(0), u32(0), Buffer.from([3, 0x61, 0x62, 0x63])]);

/** `blocks` global `Lr16` blocks of `records` bare layer records each, planted in ImageMagick's layered PSD. */
async function psdWithRecords(blocks: number, records: number): Promise<Buffer> {
  const info = Buffer.concat([Buffer.from([records >> 8, records & 0xff]), Buffer.concat(Array<Buffer>(records).fill(BARE_RECORD))]);
  const base = await fs.readFile(await makePsd(dir, "hostile"));
  return withLayerBlocks(base, () => Buffer.alloc(0), Buffer.concat(Array<Buffer>(blocks).fill(layerBlock("Lr16", info))));
}

/** `n` empty timeline items (`mlst`, which stay) in a layer's metadata setting (`shmd`). */
function timelineItems(n: number): Buffer {
  const item = Buffer.concat([Buffer.from("8BIMmlst", "latin1"), Buffer.alloc(8)]);
  return layerBlock("shmd", Buffer.concat([u32(n), Buffer.concat(Array<Buffer>(n).fill(item))]));
}

describe("PSD", () => {
  it("five metadata settings of a million empty timeline items each (84 MB) are cleaned without a buffer per item (620 MB before, now ~340)", async () => {
    const base = await fs.readFile(await makePsd(dir, "hostile"));
    const shmd = timelineItems(1_048_000);
    const data = withLayerBlocks(base, () => Buffer.alloc(0), Buffer.concat([shmd, shmd, shmd, shmd, shmd]));
    const { result, peakTreeMb, slowestHealthMs } = await removeWatched("timeline.psd", data);
    expect(result.status, JSON.stringify(result.body)).toBe(200);
    expect(result.cleaned!.length).toBeGreaterThan(5 * 16_000_000);
    expect(peakTreeMb).toBeLessThan(SETTINGS_TREE_MB);
    expect(slowestHealthMs).toBeLessThan(HEALTH_MS);
  }, 120_000);

  it("60 MB of 1.3 million bare layer records in 16-bit layer info blocks is a quick 422 (was 22 s, 800 MB, a worker out of memory)", async () => {
    const data = await psdWithRecords(40, 32767);
    const { result, peakTreeMb, slowestHealthMs, ms } = await removeWatched("records.psd", data);
    expect(result.status).toBe(422);
    expect(result.body["error"]).toBe("The file is too complex to process within this service's limits.");
    expect(ms).toBeLessThan(8_000);
    expect(peakTreeMb).toBeLessThan(TREE_MB);
    expect(slowestHealthMs).toBeLessThan(HEALTH_MS);
  }, 120_000);
});

describe("EPS", () => {
  it("a program of four million short lines is cleaned without a string per line (the service and its children peaked at 550 MB, now ~280)", async () => {
    const eps = (await fs.readFile(await makeIllustratorEps(dir, "hostile"))).toString("latin1");
    const data = Buffer.from(eps.replace("%%EndComments", `%%EndComments\n${"0 pop\n".repeat(4_000_000)}`), "latin1");
    const { result, peakTreeMb, slowestHealthMs } = await removeWatched("lines.eps", data);
    expect(result.status, JSON.stringify(result.body)).toBe(200);
    expect(result.cleaned!.toString("latin1")).toContain("0 pop\n".repeat(1000));
    expect(peakTreeMb).toBeLessThan(LINES_TREE_MB);
    expect(slowestHealthMs).toBeLessThan(HEALTH_MS);
  }, 120_000);

  it("an XMP packet opened and followed by 40,000 unfinished end lines is a quick 422 (the end was searched by a regular expression in time growing with their square)", async () => {
    await makeEps(dir, "hostile");
    const eps = (await fs.readFile(path.join(dir, "unplanted.eps"))).toString("latin1");
    const data = Buffer.from(eps.replace("%%EndComments", `%%EndComments\n<?xpacket begin=\n${"<?xpacket end=".repeat(40_000)}\n`), "latin1");
    const { result, ms } = await removeWatched("packet.eps", data);
    expect(result.status).toBe(422);
    expect(result.body["error"]).toBe("The PostScript file is damaged: an XMP packet has no end.");
    expect(ms).toBeLessThan(5_000);
  }, 120_000);
});
