import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempFiles } from "./helpers/fuzz-proc.js";
import { findMarker } from "./helpers/marker-scan.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { type RunningServer, startServer } from "./helpers/server.js";
import { EXIFTOOL, run } from "./helpers/tools.js";

const MARKER = "CLEANAHEADMARKER7";

let dir: string;
let server: RunningServer;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-ahead-"));
  server = await startServer();
});

afterAll(async () => {
  await server?.stop();
  if (dir != null) await fs.rm(dir, { recursive: true, force: true });
});

/** The md5 of each decoded frame of an animated PNG. */
async function decodedFrames(file: string): Promise<string[]> {
  const { stdout } = await run("ffmpeg", ["-nostdin", "-loglevel", "error", "-f", "apng", "-i", file, "-f", "framemd5", "-"]);
  return stdout
    .toString("utf8")
    .split("\n")
    .filter((l) => l !== "" && !l.startsWith("#"));
}

/**
 * A removal starts cleaning a JPEG, PNG or PDF (named by its first bytes) while ExifTool detects
 * the type, and keeps that cleaning only when ExifTool names the same type.
 */
describe("cleaning that starts before detection counts only when detection agrees", () => {
  it("an animated PNG (its bytes say PNG, ExifTool says APNG) is cleaned as detected: marker gone, every frame the same, no temp file left", async () => {
    const file = path.join(dir, "anim.png");
    await run("ffmpeg", ["-v", "error", "-y", "-f", "lavfi", "-i", "testsrc=size=32x32:rate=5", "-frames:v", "3", "-plays", "0", "-f", "apng", file]);
    // ffmpeg decodes no APNG with ExifTool's chunks before IDAT: the frames are taken before marking.
    const original = await decodedFrames(file);
    await run("perl", [EXIFTOOL, "-q", "-overwrite_original", `-PNG:Comment=${MARKER}`, `-XMP-dc:Creator=${MARKER}`, file]);
    expect(await findMarker(file, MARKER)).not.toEqual([]);
    const r = await removeViaApi(server, file);
    expect(r.status).toBe(200);
    const cleaned = path.join(dir, "anim.cleaned.png");
    await fs.writeFile(cleaned, r.cleaned!);
    expect(await findMarker(cleaned, MARKER)).toEqual([]);
    const frames = await decodedFrames(cleaned);
    expect(frames).toEqual(original);
    expect(frames.length).toBe(3);
    await expect.poll(() => tempFiles(server.dataDir), { timeout: 5000 }).toEqual([]);
  });

  it("a file that starts like a JPEG but is none gets detection's answer, and its early cleaning leaves no temp file", async () => {
    const bytes = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff]), Buffer.from(`not a picture ${MARKER} `.repeat(200))]);
    const file = path.join(dir, "fake.jpg");
    await fs.writeFile(file, bytes);
    const r = await removeViaApi(server, file);
    expect(r.status).toBe(422);
    expect(r.body["success"]).toBe(false);
    await expect.poll(() => tempFiles(server.dataDir), { timeout: 5000 }).toEqual([]);
    const ok = await removeViaApi(server, file.replace("fake.jpg", "anim.png"));
    expect(ok.status).toBe(200);
  });

  it("a file that starts like a PDF but is none is refused with a reason, and its early cleaning leaves no temp file", async () => {
    const file = path.join(dir, "fake.pdf");
    await fs.writeFile(file, Buffer.from(`%PDF-1.4\n${`not a document ${MARKER} `.repeat(200)}`));
    const r = await removeViaApi(server, file);
    expect(r.status).toBe(422);
    expect(r.body["success"]).toBe(false);
    expect(String(r.body["error"])).toMatch(/PDF/);
    await expect.poll(() => tempFiles(server.dataDir), { timeout: 5000 }).toEqual([]);
  });
});
