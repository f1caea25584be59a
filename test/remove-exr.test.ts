import crypto from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildExr, exrAttribute, exrFloat, exrPreview, exrString } from "./helpers/make-exr.js";
import { findMarker } from "./helpers/marker-scan.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { findingsViaApi, type RunningServer, startServer } from "./helpers/server.js";
import { exiftool, run } from "./helpers/tools.js";

/*
 * OpenEXR pictures (.exr: what renderers, compositors and HDR photography write) were refused as
 * unsupported. Their headers' attributes carry the owner, comments, the capture date and place,
 * camera settings, renderer attributes (scene paths, host names) and a preview picture.
 */

let server: RunningServer;
let dir: string;
const MARKER = "ExrHidden5821";

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-exr-"));
  server = await startServer();
});

afterAll(async () => {
  await server?.stop();
  if (dir != null) await fs.rm(dir, { recursive: true, force: true });
});

/** What a writer adds: standard attributes of who, when and where, a renderer's own, a preview, and a kept name in a type of the writer's. */
function writerAttributes(): Buffer[] {
  const chromaticities = Buffer.alloc(32);
  [0.64, 0.33, 0.3, 0.6, 0.15, 0.06, 0.3127, 0.329].forEach((v, i) => chromaticities.writeFloatLE(v, i * 4));
  const matrix = Buffer.alloc(64);
  matrix.write(MARKER, 8, "latin1");
  return [
    exrString("owner", `${MARKER} owner`),
    exrString("comments", `${MARKER} comments`),
    exrString("capDate", "2026:03:04 05:06:07"),
    exrFloat("utcOffset", 3600),
    exrFloat("longitude", 2.2945),
    exrFloat("latitude", 48.8584),
    exrFloat("altitude", 35),
    exrFloat("expTime", 0.01),
    exrString("renderScene", `/home/${MARKER}/shots/sh010.ma`),
    exrAttribute("multiHost", "stringvector", Buffer.concat([Buffer.from([13, 0, 0, 0]), Buffer.from(MARKER, "latin1")])),
    exrAttribute("worldToCamera", "m44f", matrix),
    exrAttribute("timeCode", "timecode", Buffer.from([0x07, 0x06, 0x05, 0x04, 0, 0, 0, 0])),
    exrString("xDensity", MARKER),
    exrPreview(8, 4, MARKER),
    exrAttribute("chromaticities", "chromaticities", chromaticities),
  ];
}

async function write(name: string, data: Buffer): Promise<string> {
  const file = path.join(dir, name);
  await fs.writeFile(file, data);
  return file;
}

/** ffmpeg's decode of one part, frame by frame (md5s of the pixels). */
async function decoded(file: string, part = 0): Promise<string> {
  const { stdout } = await run("ffmpeg", ["-v", "error", "-part", String(part), "-i", file, "-f", "framemd5", "-"]);
  return stdout.toString("utf8").split("\n").filter((l) => l !== "" && !l.startsWith("#")).join("\n");
}

async function cleanedCopy(file: string): Promise<{ out: string; cleaned: Buffer; body: Record<string, unknown> }> {
  const { status, body, cleaned } = await removeViaApi(server, file);
  expect(status, JSON.stringify(body)).toBe(200);
  expect(body["remaining"]).toEqual({});
  const out = path.join(dir, `cleaned-${crypto.randomUUID()}.exr`);
  await fs.writeFile(out, cleaned!);
  expect(await findMarker(out, MARKER)).toEqual([]);
  return { out, cleaned: cleaned!, body };
}

describe("OpenEXR", () => {
  it("drops every attribute decoding does not need, a preview, channel reserved bytes and bytes between chunks; the pixels decode the same", async () => {
    const data = buildExr([{ width: 40, height: 24, extra: writerAttributes() }], {
      reserved: Buffer.from("Exr", "latin1"),
      between: Buffer.from(` ${MARKER} `, "latin1"),
      trailer: Buffer.from(`trailer ${MARKER}`, "latin1"),
    });
    const file = await write("render.exr", data);
    const findings = await findingsViaApi(server, "render.exr", data);
    expect(findings.map((f) => f.kind).sort()).toEqual(["hidden", "location", "people", "time"]);
    const { out, cleaned, body } = await cleanedCopy(file);
    expect(body["removed"]).toEqual({ openexr: 13 });
    expect(await decoded(out)).toBe(await decoded(file));
    // The colour primaries stay: without them the values would be read as another colour space's.
    expect((await exiftool(["-s3", "-Chromaticities", out])).trim()).toBe((await exiftool(["-s3", "-Chromaticities", file])).trim());
    const channels = cleaned.indexOf("channels\0chlist\0", 0, "latin1") + 20;
    expect([...cleaned.subarray(channels + 7, channels + 10)]).toEqual([0, 0, 0]);
  });

  it("cleans ffmpeg's ZIP-compressed scan lines (16 to a chunk): its writer's name goes, the pixels decode the same", async () => {
    const file = path.join(dir, "ffmpeg.exr");
    await run("ffmpeg", ["-v", "error", "-f", "lavfi", "-i", "testsrc=size=96x70", "-frames:v", "1", "-pix_fmt", "gbrpf32le", "-c:v", "exr", "-compression", "zip16", "-format", "half", file]);
    expect((await exiftool(["-s3", "-Compression", "-Writer", file])).trim().split("\n")).toEqual(["ZIP", "lavc"]);
    const { out, cleaned } = await cleanedCopy(file);
    expect(cleaned.includes("lavc")).toBe(false);
    expect(await decoded(out)).toBe(await decoded(file));
  });

  it("cleans a tiled picture with mipmap levels and a multi-part file of a scan-line and a tiled part, each part decoding the same", async () => {
    const tiled = await write("tiled.exr", buildExr([{ width: 40, height: 24, tiles: { size: 16, mode: 1 }, extra: writerAttributes() }]));
    const tiledCopy = await cleanedCopy(tiled);
    expect((await exiftool(["-s3", "-Tiles", tiledCopy.out])).trim()).toBe((await exiftool(["-s3", "-Tiles", tiled])).trim());
    expect(await decoded(tiledCopy.out)).toBe(await decoded(tiled));

    const parts = await write(
      "parts.exr",
      buildExr(
        [
          { width: 32, height: 20, name: "beauty", extra: writerAttributes() },
          { width: 24, height: 18, name: "depth", tiles: { size: 8, mode: 0 }, extra: [exrString("owner", `${MARKER} second`)] },
        ],
        { between: Buffer.from(MARKER, "latin1") },
      ),
    );
    const { out } = await cleanedCopy(parts);
    for (const part of [0, 1]) expect(await decoded(out, part), `part ${part}`).toBe(await decoded(parts, part));
    expect((await exiftool(["-ee", "-s3", "-Name", out])).trim().split("\n")).toEqual(["beauty", "depth"]);
  });

  it("refuses a chunk outside the file as damaged, and deep data as not cleaned yet", async () => {
    const outside = buildExr([{ width: 8, height: 4 }]);
    const tables = outside.indexOf(0, outside.lastIndexOf("screenWindowWidth", undefined, "latin1") + 30) + 1;
    outside.writeBigUInt64LE(BigInt(outside.length + 10), tables);
    const deep = buildExr([{ width: 8, height: 4 }, { width: 8, height: 4 }]);
    const type = deep.indexOf("scanlineimage", 0, "latin1");
    deep.write("deepscanline\0", type, "latin1");
    const cases: [string, Buffer, string][] = [
      ["outside.exr", outside, "The OpenEXR picture could not be read: a chunk of its pixels lies outside the file."],
      ["deep.exr", deep, "The OpenEXR file holds deep data (several samples per pixel), which this service cannot clean yet."],
    ];
    for (const [name, data, error] of cases) {
      const { status, body } = await removeViaApi(server, await write(name, data));
      expect(status, name).toBe(422);
      expect(body["error"], name).toBe(error);
    }
  });
});
