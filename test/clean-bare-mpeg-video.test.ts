import crypto from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { streamHash } from "./helpers/make-media.js";
import { AFD, CAPTION, makeBareMpegVideo, plantUserData as plantMpeg2, streamUnits } from "./helpers/make-mpeg2.js";
import { type Mpeg4Encoder, plantUserData as plantMpeg4 } from "./helpers/make-mpeg4.js";
import { findMarker } from "./helpers/marker-scan.js";
import { cleanedCopyViaApi, removeViaApi } from "./helpers/remove-api.js";
import { type RunningServer, startServer } from "./helpers/server.js";
import { ffmpegQuiet, run } from "./helpers/tools.js";

/*
 * A bare video stream (`.m2v`, `.m1v`, `.m4v`: what a DVD authoring tool, an encoder's raw output
 * or a capture card leaves) has no container: ExifTool names it MPEG like a program stream, and
 * every one was refused as a type no cleaner handles. Its user data and GOP time codes go as in a
 * container's stream, in place: the copy is as long as the file and decodes to the same frames.
 */

let server: RunningServer;
let dir: string;
const MARKER = `BareEs${crypto.randomBytes(6).toString("hex")}`;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-bare-video-"));
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

async function encode(name: string, args: readonly string[]): Promise<string> {
  const file = path.join(dir, name);
  await run("ffmpeg", [...ffmpegQuiet, "-f", "lavfi", ...args, file]);
  return file;
}

/** The payloads of the MPEG-4 user_data units of a bare stream, trailing zeros left out. */
function mpeg4UserData(bytes: Buffer): string[] {
  const found: string[] = [];
  for (let at = bytes.indexOf(Buffer.from([0, 0, 1, 0xb2])); at >= 0; at = bytes.indexOf(Buffer.from([0, 0, 1, 0xb2]), at + 4)) {
    const next = bytes.indexOf(Buffer.from([0, 0, 1]), at + 4);
    found.push(bytes.toString("latin1", at + 4, next < 0 ? bytes.length : next).replace(/\0+$/, ""));
  }
  return found;
}

describe("bare MPEG video streams", () => {
  it.each([
    ["mpeg2video", "m2v"],
    ["mpeg1video", "m1v"],
  ] as const)("%s: the planted units and the time codes go, captions and AFD stay, same length, same frames", async (codec, ext) => {
    const file = await makeBareMpegVideo(dir, `planted.${ext}`, codec, MARKER);
    const before = await streamUnits(file, dir);
    expect(before.timeCodes[0]).toBe("10:11:12:13");
    expect(before.userData.filter((u) => u.includes(MARKER)).length).toBeGreaterThan(10);

    const { out, removed } = await cleanedCopyViaApi(server, file, dir);
    expect(await findMarker(out, MARKER)).toEqual([]);
    expect((await fs.stat(out)).size).toBe((await fs.stat(file)).size);
    const after = await streamUnits(out, dir);
    expect(new Set(after.timeCodes)).toEqual(new Set(["00:00:00:00"]));
    expect(after.timeCodes.length).toBe(before.timeCodes.length);
    expect(after.userData.filter((u) => u.equals(CAPTION)).length).toBeGreaterThanOrEqual(before.userData.filter((u) => u.equals(CAPTION)).length);
    expect(after.userData.filter((u) => u.equals(AFD)).length).toBe(before.userData.filter((u) => u.equals(AFD)).length);
    expect(removed["mpegVideoUserData"]).toBeGreaterThan(10);
    expect(removed["mpegTimeCodes"]).toBe(before.timeCodes.length);
    expect(await streamHash(out, "0:V", true)).toBe(await streamHash(file, "0:V", true));
  }, 60_000);

  it.each<[Mpeg4Encoder, string]>([
    ["mpeg4", ""],
    ["libxvid", "XviD0"],
  ])("MPEG-4 Part 2 by %s: the planted unit and the encoder's name go, what the decoder reads stays, same frames", async (encoder, keptPrefix) => {
    const plain = await encode(`plain-${encoder}.m4v`, ["-i", "testsrc=size=64x48:rate=10:duration=1", "-c:v", encoder, "-g", "5", "-bf", "0", "-f", "m4v"]);
    const file = path.join(dir, `planted-${encoder}.m4v`);
    await fs.writeFile(file, plantMpeg4(await fs.readFile(plain), `Clip by ${MARKER} on camera 7`));
    expect(mpeg4UserData(await fs.readFile(file)).filter((u) => u.includes(MARKER)).length).toBe(2);

    const { out, removed } = await cleanedCopyViaApi(server, file, dir);
    expect(await findMarker(out, MARKER)).toEqual([]);
    expect((await fs.stat(out)).size).toBe((await fs.stat(file)).size);
    const units = mpeg4UserData(await fs.readFile(out));
    expect(units.some((u) => u.includes("Lavc"))).toBe(false);
    // Xvid's version changes how ffmpeg decodes; ffmpeg's own name in a bare stream does not.
    if (keptPrefix !== "") expect(units.some((u) => u.startsWith(keptPrefix))).toBe(true);
    expect(removed["mpeg4UserData"]).toBeGreaterThanOrEqual(2);
    expect(await streamHash(out, "0:V", true)).toBe(await streamHash(file, "0:V", true));
  }, 60_000);

  it("a unit cut by the cleaner's 1 MiB window is cleaned whole; a stream of several windows keeps its frames", async () => {
    const plain = await encode("big.m2v", ["-i", "testsrc=size=640x480:rate=25:duration=2,noise=alls=60:allf=t+u", "-c:v", "mpeg2video", "-q:v", "2", "-g", "12", "-f", "mpeg2video"]);
    const bytes = plantMpeg2(await fs.readFile(plain), MARKER);
    expect(bytes.length).toBeGreaterThan(3 * 1024 * 1024);
    // A unit put at the last start code before the first window ends, long enough to run past it.
    const window = 1024 * 1024;
    const at = bytes.subarray(0, window - 16).lastIndexOf(Buffer.from([0, 0, 1]));
    const straddling = Buffer.from(`\0\0\x01\xb2Straddling ${MARKER} ${"y".repeat(window - at + 4000)}`, "latin1");
    const file = path.join(dir, "straddling.m2v");
    await fs.writeFile(file, Buffer.concat([bytes.subarray(0, at), straddling, bytes.subarray(at)]));

    const { out } = await cleanedCopyViaApi(server, file, dir);
    expect(await findMarker(out, MARKER)).toEqual([]);
    const copy = await fs.readFile(out);
    expect(copy.subarray(at + 4, at + straddling.length).equals(Buffer.alloc(straddling.length - 4, 0xff))).toBe(true);
    expect(await streamHash(out, "0:V", true)).toBe(await streamHash(file, "0:V", true));
  }, 120_000);

  it("a bare stream with a user data unit longer than any encoder writes: refused as too complex", async () => {
    const plain = await encode("long.m2v", ["-i", "testsrc=size=176x144:rate=25:duration=1", "-c:v", "mpeg2video", "-f", "mpeg2video"]);
    const bytes = await fs.readFile(plain);
    const gop = bytes.indexOf(Buffer.from([0, 0, 1, 0xb8]));
    const file = path.join(dir, "long-unit.m2v");
    await fs.writeFile(file, Buffer.concat([bytes.subarray(0, gop), Buffer.from(`\0\0\x01\xb2${MARKER} ${"x".repeat(70_000)}`, "latin1"), bytes.subarray(gop)]));
    const { status, body } = await removeViaApi(server, file);
    expect(status, JSON.stringify(body)).toBe(422);
    expect(body["error"]).toBe("The file is too complex to process within this service's limits.");
  }, 60_000);
});
