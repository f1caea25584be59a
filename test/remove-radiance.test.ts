import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { markedRadiance } from "./helpers/make-radiance.js";
import { findMarker } from "./helpers/marker-scan.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { type RunningServer, startServer } from "./helpers/server.js";
import { exiftool, run } from "./helpers/tools.js";

/*
 * Radiance RGBE pictures (.hdr: renderers, HDR photography) were refused as unsupported. Their
 * text header carries the rendering programs' command lines (with the scene files' paths), the
 * view the scene was rendered from, the software, capture dates and comments.
 */

let server: RunningServer;
let dir: string;
const MARKER = "HdrHidden7340";

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-hdr-"));
  server = await startServer();
});

afterAll(async () => {
  await server?.stop();
  if (dir != null) await fs.rm(dir, { recursive: true, force: true });
});

/** What renderers and HDR tools write into the header, and an exposure whose value is text. */
const WRITER_LINES = [
  `# made on ${MARKER}'s workstation`,
  `rpict -vf /home/${MARKER}/views/front.vf -x 512 /home/${MARKER}/scene.oct`,
  `pfilt -x /2 -y /2`,
  `SOFTWARE=${MARKER} HDR 2.1`,
  `VIEW= -vtv -vp 12.5 3.2 1.6 -vd 0 1 0`,
  `CAPDATE=2026:03:04 05:06:07`,
  `GMT=2026:03:04 04:06:07`,
  `EXPOSURE=${MARKER}`,
  `EXPOSURE=1.5`,
];

async function pixels(file: string): Promise<Buffer> {
  return (await run("/usr/bin/convert", [file, "-depth", "16", "rgb:-"])).stdout;
}

describe("Radiance HDR", () => {
  it("keeps the header variables decoding needs and drops command lines, views, software, dates, comments and bytes after the pixels, for run-length and flat scan lines", async () => {
    for (const [name, width] of [["rle.hdr", 40], ["flat.hdr", 6]] as const) {
      const file = await markedRadiance(dir, name, width, WRITER_LINES, Buffer.from(`after the pixels: ${MARKER}`, "latin1"));
      expect(await exiftool(["-s3", "-Software", file])).toContain(MARKER);
      const { status, body, cleaned } = await removeViaApi(server, file);
      expect(status, JSON.stringify(body)).toBe(200);
      expect(body["remaining"]).toEqual({});
      const out = path.join(dir, `cleaned-${name}`);
      await fs.writeFile(out, cleaned!);
      expect(await findMarker(out, MARKER), name).toEqual([]);
      const header = cleaned!.toString("latin1", 0, cleaned!.indexOf("\n\n", 0, "latin1"));
      expect(header.split("\n"), name).toEqual(["#?RADIANCE", "GAMMA=0.454545", "PRIMARIES=0.64 0.33 0.3 0.6 0.15 0.06 0.3127 0.329", "FORMAT=32-bit_rle_rgbe", "EXPOSURE=1.5"]);
      expect(await pixels(out), name).toEqual(await pixels(file));
    }
  });

  it("walks the old format's repeated pixels (1, 1, 1, count) to the end of the last scan line", async () => {
    const pixel = (r: number, g: number, b: number, e: number): Buffer => Buffer.from([r, g, b, e]);
    // Two lines of 300 pixels: one pixel, then 1, 1, 1, 43 (43 repeats) and 1, 1, 1, 1 (256 more, shifted by 8 bits).
    const line = Buffer.concat([pixel(10, 20, 30, 128), pixel(1, 1, 1, 43), pixel(1, 1, 1, 1)]);
    const pixelsData = Buffer.concat([line, line]);
    const head = Buffer.from(`#?RADIANCE\nSOFTWARE=${MARKER}\nFORMAT=32-bit_rle_rgbe\n\n-Y 2 +X 300\n`, "latin1");
    const file = path.join(dir, "old-runs.hdr");
    await fs.writeFile(file, Buffer.concat([head, pixelsData, Buffer.from(MARKER, "latin1")]));
    const { status, body, cleaned } = await removeViaApi(server, file);
    expect(status, JSON.stringify(body)).toBe(200);
    expect(cleaned).toEqual(Buffer.concat([Buffer.from("#?RADIANCE\nFORMAT=32-bit_rle_rgbe\n\n-Y 2 +X 300\n", "latin1"), pixelsData]));
  });

  it("refuses a picture whose pixels are cut short as damaged", async () => {
    const file = await markedRadiance(dir, "whole.hdr", 40, WRITER_LINES);
    const data = await fs.readFile(file);
    const cut = path.join(dir, "cut.hdr");
    await fs.writeFile(cut, data.subarray(0, data.length - 50));
    const { status, body } = await removeViaApi(server, cut);
    expect(status).toBe(422);
    expect(body["error"]).toBe("The Radiance HDR picture could not be read: its pixels are cut short.");
  });
});
